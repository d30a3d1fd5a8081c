# The one seam to eventlet (DESIGN.md 5): every use of green sockets, pools, timeouts,
# sleep and tpool goes through this module, so that changing concurrency model later is
# one module's work.
"""Concurrency primitives (eventlet today)."""

import os
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


_real_threading = eventlet.patcher.original('threading')
_real_queue = eventlet.patcher.original('queue')


class BackgroundMd5:
    """md5 of a byte stream, computed by a real OS thread while the caller's
    greenthread goes on sending or writing (hashlib releases the GIL while it hashes
    2 KiB or more, so the hashing runs on another core).

    Same interface as ``hashlib.md5``'s ``update`` / ``hexdigest``. At most
    ``max_pending`` chunks wait for the thread: beyond that ``update`` yields to other
    greenthreads until the thread catches up, so memory stays bounded.

    :param max_pending: chunks queued at most (64 x 64 KiB = 4 MiB).
    """

    POLL_S = 0.0005

    def __init__(self, max_pending=64):
        import hashlib
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._pending = _real_queue.SimpleQueue()
        self._done = _real_threading.Event()
        self._max_pending = max_pending
        self._digest = None
        self._closed = False
        # the thread holds no reference to self: a hasher dropped without close()
        # is collected, and __del__ ends the thread
        thread = _real_threading.Thread(target=_hash_queue, name='md5', daemon=True,
                                        args=(self._md5, self._pending, self._done))
        thread.start()

    def update(self, data):
        """Queue ``data`` (bytes) to be hashed."""
        if self._closed:
            raise ValueError('update() after hexdigest() or close()')
        while self._pending.qsize() >= self._max_pending:
            sleep(self.POLL_S)
        self._pending.put(data)

    def hexdigest(self):
        """The md5 (hex) of everything queued; waits (green) for the thread."""
        if self._digest is None:
            self.close()
            while not self._done.is_set():
                sleep(self.POLL_S)
            self._digest = self._md5.hexdigest()
        return self._digest

    def close(self):
        """End the thread (after what is queued); no more updates."""
        if not self._closed:
            self._closed = True
            self._pending.put(None)

    def __del__(self):
        pending = getattr(self, '_pending', None)
        if pending is not None and not self._closed:
            self._closed = True
            pending.put(None)


def _hash_queue(md5, pending, done):
    try:
        while True:
            data = pending.get()
            if data is None:
                return
            md5.update(data)
    finally:
        done.set()


class BackgroundFileMd5:
    """md5 and length of a whole file, computed by a real OS thread that reads the
    file itself (from offset 0 to EOF, through a duplicate of ``fileno``), so that a
    caller streaming the same file is never held back by the hashing and keeps no
    chunk in memory for it.

    :param fileno: an open file descriptor (not closed by this object).
    :param read_bytes: read size in bytes.
    """

    POLL_S = 0.0005

    def __init__(self, fileno, read_bytes=1 << 20):
        import hashlib
        self._fd = os.dup(fileno)
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._done = _real_threading.Event()
        self._state = {'bytes': 0, 'error': None, 'cancel': False}
        thread = _real_threading.Thread(
            target=_hash_file, name='md5', daemon=True,
            args=(self._fd, read_bytes, self._md5, self._state, self._done))
        thread.start()

    def result(self):
        """Wait (green) for the thread; returns (bytes read, md5 hex).

        :raises OSError: when reading the file failed.
        """
        while not self._done.is_set():
            sleep(self.POLL_S)
        if self._state['error'] is not None:
            raise self._state['error']
        return self._state['bytes'], self._md5.hexdigest()

    def cancel(self):
        """Stop reading soon (the result is then meaningless)."""
        self._state['cancel'] = True


def _hash_file(fd, read_bytes, md5, state, done):
    try:
        offset = 0
        while not state['cancel']:
            data = os.pread(fd, read_bytes, offset)
            if not data:
                break
            md5.update(data)
            offset += len(data)
        state['bytes'] = offset
    except OSError as err:
        state['error'] = err
    finally:
        os.close(fd)
        done.set()
