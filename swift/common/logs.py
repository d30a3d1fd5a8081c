# Owns process logging. One logger per component (route); severity is the log level.
# In the all-in-one every process logs to its own file (option ``log_file``); otherwise
# to syslog at ``log_address`` when it exists, else to stderr.
"""Logging: :func:`get_logger` and the adapter that adds the transaction id."""

import logging
import logging.handlers
import os
import sys
import threading
import weakref

import greenlet

_LEVELS = {'DEBUG': logging.DEBUG, 'INFO': logging.INFO, 'WARNING': logging.WARNING,
           'WARN': logging.WARNING, 'ERROR': logging.ERROR, 'CRITICAL': logging.CRITICAL}
_handlers = {}
_handlers_lock = threading.Lock()


class SwiftLogAdapter(logging.LoggerAdapter):
    """Adds ``(txn: <id>)`` and the client ip to messages when known.

    ``txn_id`` is per greenthread/thread: set it with ``logger.txn_id = tx``. The state
    is keyed by the running greenlet (each OS thread has its own main greenlet), not
    kept in a ``threading.local``: one made before eventlet patched the interpreter is
    shared by every greenthread of the process, and concurrent requests then logged
    each other's transaction ids.
    """

    _states = weakref.WeakKeyDictionary()   # greenlet -> {'txn_id':, 'client_ip':}

    @classmethod
    def _state(cls):
        current = greenlet.getcurrent()
        state = cls._states.get(current)
        if state is None:
            state = cls._states[current] = {}
        return state

    def __init__(self, logger, server):
        super().__init__(logger, {})
        self.server = server

    @property
    def txn_id(self):
        return self._state().get('txn_id')

    @txn_id.setter
    def txn_id(self, value):
        self._state()['txn_id'] = value

    @property
    def client_ip(self):
        return self._state().get('client_ip')

    @client_ip.setter
    def client_ip(self, value):
        self._state()['client_ip'] = value

    def process(self, msg, kwargs):
        txn_id = self.txn_id
        if txn_id:
            msg = '%s (txn: %s)' % (msg, txn_id)
        client_ip = self.client_ip
        if client_ip:
            msg = '%s (client_ip: %s)' % (msg, client_ip)
        return msg, kwargs

    def notice(self, msg, *args, **kwargs):
        """Swift's NOTICE level maps to INFO here."""
        self.info(msg, *args, **kwargs)

    def set_statsd_prefix(self, prefix):
        """Metrics go through a stats client, not the logger (no-op)."""


def _make_handler(conf, server):
    log_file = conf.get('log_file')
    if log_file:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        handler = logging.handlers.WatchedFileHandler(log_file)
        handler.setFormatter(logging.Formatter(
            '%(asctime)s ' + server + ': %(levelname)s %(message)s'))
        return handler
    address = conf.get('log_address', '/dev/log')
    if address.startswith('/') and os.path.exists(address):
        facility = getattr(logging.handlers.SysLogHandler,
                           conf.get('log_facility', 'LOG_LOCAL0'),
                           logging.handlers.SysLogHandler.LOG_LOCAL0)
        try:
            handler = logging.handlers.SysLogHandler(address=address, facility=facility)
            handler.setFormatter(logging.Formatter(server + ': %(message)s'))
            return handler
        except OSError:
            pass
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s ' + server + ': %(levelname)s %(message)s'))
    return handler


def get_logger(conf, name=None, log_route=None):
    """Return the component logger described by ``conf``.

    :param conf: dict with optional ``log_name``, ``log_level`` (INFO),
        ``log_file``, ``log_address``, ``log_facility``.
    :param name: server name shown in lines (default ``conf['log_name']`` or 'swift').
    :param log_route: the logging.Logger name (default ``name``).
    :returns: :class:`SwiftLogAdapter`.
    """
    conf = conf or {}
    name = name or conf.get('log_name') or 'swift'
    log_route = log_route or name
    logger = logging.getLogger('swift.' + log_route)
    logger.propagate = False
    key = (log_route, conf.get('log_file'), conf.get('log_address'))
    with _handlers_lock:
        if key not in _handlers:
            for old in list(logger.handlers):
                logger.removeHandler(old)
            handler = _make_handler(conf, name)
            logger.addHandler(handler)
            _handlers[key] = handler
    logger.setLevel(_LEVELS.get(str(conf.get('log_level', 'INFO')).upper(), logging.INFO))
    return SwiftLogAdapter(logger, name)
