# Rejects requests whose (unquoted) path contains a forbidden character, is longer than
# maximum_length characters, or matches forbidden_regexp (Swift's name_check; by default
# "." and ".." path segments), with 400 and Swift's messages. Options (defaults):
# forbidden_chars '"`<> , maximum_length 255, forbidden_regexp /\./|/\.\./|/\.$|/\.\.$
# (an empty forbidden_regexp disables that check). /info section ``name_check``.
"""name_check middleware."""

import re
from urllib.parse import unquote

from swift.common.config import ConfigError
from swift.common.logs import get_logger
from swift.common.swob import HTTPBadRequest, Request
from swift.proxy.controllers.info import register_swift_info

FORBIDDEN_CHARS = '\'"`<>'
MAX_LENGTH = 255
FORBIDDEN_REGEXP = r'/\./|/\.\./|/\.$|/\.\.$'


class NameCheckMiddleware:
    """Answers 400 for forbidden object/container/account names.

    :param app: next WSGI app.
    :param conf: dict with the options above.
    :raises ConfigError: for a non-integer maximum_length or a bad regular expression.
    """

    def __init__(self, app, conf, logger=None):
        self.app = app
        self.forbidden_chars = conf.get('forbidden_chars', FORBIDDEN_CHARS)
        try:
            self.maximum_length = int(conf.get('maximum_length', MAX_LENGTH))
        except ValueError:
            raise ConfigError('maximum_length must be an integer, got %r'
                              % conf.get('maximum_length'), option='maximum_length')
        self.forbidden_regexp = conf.get('forbidden_regexp', FORBIDDEN_REGEXP)
        try:
            self.compiled_regexp = (re.compile(self.forbidden_regexp)
                                    if self.forbidden_regexp else None)
        except re.error as err:
            raise ConfigError('forbidden_regexp %r: %s' % (self.forbidden_regexp, err),
                              option='forbidden_regexp')
        self.logger = logger or get_logger(conf, log_route='name_check')
        register_swift_info(app, 'name_check', forbidden_chars=self.forbidden_chars,
                            maximum_length=self.maximum_length,
                            forbidden_regexp=self.forbidden_regexp)

    def error_message(self, path):
        """Swift's 400 body for ``path`` (native str), or None when it is allowed."""
        if any(char in path for char in self.forbidden_chars):
            return ('Object/Container/Account name contains forbidden chars from %s'
                    % self.forbidden_chars)
        if len(path) > self.maximum_length:
            return ('Object/Container/Account name longer than the allowed maximum %s'
                    % self.maximum_length)
        if self.compiled_regexp is not None and self.compiled_regexp.search(path):
            return ('Object/Container/Account name contains a forbidden substring '
                    'from regular expression %s' % self.forbidden_regexp)
        return None

    def __call__(self, env, start_response):
        req = Request(env)
        # Swift checks unquote(req.path): the path in characters, not bytes
        path = unquote(req.path, errors='surrogateescape')
        message = self.error_message(path)
        if message is None:
            return self.app(env, start_response)
        self.logger.debug('name_check: rejected %s: %s', req.path, message)
        return HTTPBadRequest(request=req, body=message.encode('utf-8'))(
            env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#name_check``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: NameCheckMiddleware(app, conf)
