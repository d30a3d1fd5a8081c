# The one seam to eventlet (DESIGN.md 5): every use of green sockets, pools, timeouts,
# sleep and tpool goes through this module, so that changing concurrency model later is
# one module's work.
"""Concurrency primitives (eventlet today)."""

import warnings

with warnings.catch_warnings():
    # eventlet announces its bugfix-only status on import; we know (DESIGN.md 5).
    warnings.simplefilter('ignore')
    import eventlet
import eventlet.debug
import greenlet
import eventlet.greenio
import eventlet.queue
import eventlet.semaphore
import eventlet.event
import eventlet.wsgi
import eventlet.green.socket
import eventlet.green.threading
from eventlet import tpool

GreenPool = eventlet.GreenPool
GreenPile = eventlet.GreenPile
Timeout = eventlet.Timeout
Queue = eventlet.queue.Queue
LightQueue = eventlet.queue.LightQueue
QueueEmpty = eventlet.queue.Empty
Semaphore = eventlet.semaphore.Semaphore
Event = eventlet.event.Event
GreenSocket = eventlet.greenio.GreenSocket
green_socket = eventlet.green.socket
wsgi = eventlet.wsgi
listen = eventlet.listen
spawn = eventlet.spawn
spawn_n = eventlet.spawn_n
spawn_after = eventlet.spawn_after
sleep = eventlet.sleep
kill = eventlet.kill
GreenletExit = greenlet.GreenletExit


def monkey_patch():
    """Patch the stdlib for green I/O once, at process entry (servers and daemons)."""
    eventlet.monkey_patch(all=False, socket=True, select=True, thread=True, time=True)
    eventlet.debug.hub_exceptions(False)


def run_in_thread(func, *args, **kwargs):
    """Run a blocking call (fsync, big read) in a real thread without stalling the hub."""
    return tpool.execute(func, *args, **kwargs)


def greenthread_yield():
    """Let other greenthreads run."""
    eventlet.sleep(0)


def current_greenthread():
    """The running greenthread (a greenlet), e.g. to :data:`kill` it later."""
    return greenlet.getcurrent()


def reinit_after_fork():
    """Give a forked child a fresh hub: the parent's epoll fd must not be shared."""
    import eventlet.hubs
    eventlet.hubs.use_hub()
