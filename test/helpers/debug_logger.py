"""A logger for tests that records every line by level."""

import logging


class DebugLogger(logging.LoggerAdapter):
    """Collects messages in ``lines[level_name]``; quacks like SwiftLogAdapter."""

    def __init__(self, name='test'):
        super().__init__(logging.getLogger('test.' + name), {})
        self.lines = {'debug': [], 'info': [], 'warning': [], 'error': [], 'exception': []}
        self.txn_id = None
        self.client_ip = None

    def _record(self, level, msg, args):
        self.lines[level].append(msg % args if args else msg)

    def debug(self, msg, *args, **kwargs):
        self._record('debug', msg, args)

    def info(self, msg, *args, **kwargs):
        self._record('info', msg, args)

    notice = info

    def warning(self, msg, *args, **kwargs):
        self._record('warning', msg, args)

    def error(self, msg, *args, **kwargs):
        self._record('error', msg, args)

    def exception(self, msg, *args, **kwargs):
        self._record('exception', msg, args)

    def all_lines(self):
        """Every recorded line, in level order."""
        return [line for lines in self.lines.values() for line in lines]
