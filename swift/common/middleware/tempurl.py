# Temporary URLs (Swift's tempurl): an object request carrying
# ``?temp_url_sig=<sig>&temp_url_expires=<when>`` is allowed without a token when the
# signature is an HMAC, under one of the account's or container's Temp-URL keys
# (``X-{Account,Container}-Meta-Temp-URL-Key[-2]``), of
#       ``METHOD\nEXPIRES\nPATH``                 (PATH = /v1/<a>/<c>/<o>)
#       ``METHOD\nEXPIRES\nprefix:/v1/<a>/<c>/<prefix>``  with ``temp_url_prefix=``
#       ``ip=<range>\n`` in front of either         with ``temp_url_ip_range=``
# Rules (Swift 2.38):
#   * EXPIRES is epoch seconds or ISO 8601 ``YYYY-MM-DDTHH:MM:SSZ``; the HMAC is always
#     over the epoch integer. Past or unparseable -> 401.
#   * The signature is hex (40 chars sha1, 64 sha256, 128 sha512) or
#     ``<digest>:<base64>`` (standard or URL-safe, padding optional); the digest must
#     be in ``allowed_digests`` (sha1 sha256 sha512; sha1 deprecated).
#   * A HEAD is allowed by a HEAD, GET, POST or PUT signature; other methods need
#     their own and must be in ``methods``.
#   * Every refusal is the same 401 ``401 Unauthorized: Temp URL invalid\n`` (no body
#     on HEAD), decided before the object is looked at, so it never tells whether the
#     object exists.
#   * An accepted request is authorized for its one container (container key) or
#     account (account key) through ``swift.authorize`` + ``swift.authorize_override``
#     (auth middlewares below then let it through) with REMOTE_USER ``.wsgi.tempurl``;
#     its query string keeps only the tempurl parameters and ``filename``.
#   * Incoming headers X-Object-Manifest / X-Symlink-Target -> 400; configured
#     incoming headers are removed, outgoing ones filtered (allow lists win).
#   * GET/HEAD 2xx answers get ``Content-Disposition`` (``inline`` param, ``filename``
#     param, the object's own, else ``attachment`` with the object's base name) and
#     ``Expires`` (the expiry as an HTTP date), identical for HEAD and GET (BL-17).
"""tempurl middleware."""

import base64
import binascii
import calendar
import hmac
import ipaddress
import os
import time
import urllib.parse
from dataclasses import dataclass

from swift.common.config import ConfigError
from swift.common.logs import get_logger
from swift.common.swob import (HTTPBadRequest, HTTPUnauthorized, http_date, split_path,
                               wsgi_quote, wsgi_to_str)
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_account_info, get_container_info

SUPPORTED_DIGESTS = ('sha1', 'sha256', 'sha512')
DEPRECATED_DIGESTS = frozenset(('sha1',))
DEFAULT_ALLOWED_DIGESTS = 'sha1 sha256 sha512'
# Headers that would let a PUT tempurl point at data its signature does not cover.
DISALLOWED_INCOMING_HEADERS = ('x-object-manifest', 'x-symlink-target')
DEFAULT_METHODS = 'GET HEAD PUT POST DELETE'
DEFAULT_INCOMING_REMOVE_HEADERS = 'x-timestamp x-open-expired'
DEFAULT_INCOMING_ALLOW_HEADERS = ''
DEFAULT_OUTGOING_REMOVE_HEADERS = 'x-object-meta-*'
DEFAULT_OUTGOING_ALLOW_HEADERS = 'x-object-meta-public-*'
EXPIRES_ISO8601_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
# Hex signature length -> digest (Swift's extract_digest_and_algorithm).
HEX_DIGEST_BY_LENGTH = {40: 'sha1', 64: 'sha256', 128: 'sha512'}
# Methods whose signature also allows a HEAD of the same path.
HEAD_SIGNATURE_METHODS = ('HEAD', 'GET', 'POST', 'PUT')
ACCOUNT_SCOPE = 'account'
CONTAINER_SCOPE = 'container'
INVALID_BODY = b'401 Unauthorized: Temp URL invalid\n'


# ---------------------------------------------------------------- signatures

def get_tempurl_keys_from_metadata(meta: dict) -> list:
    """The Temp-URL keys in an account/container info ``meta`` dict.

    :param meta: lower-cased metadata names (without the X-*-Meta- prefix) -> values.
    :returns: list of key strs (``temp-url-key`` then ``temp-url-key-2`` order as given).
    """
    return [value for key, value in (meta or {}).items()
            if key.lower() in ('temp-url-key', 'temp-url-key-2') and value]


def strict_b64decode(value: str) -> bytes:
    """Decode standard base64 whose padding may be missing or excessive.

    :raises ValueError: for any character outside the base64 alphabet.
    """
    body = value.rstrip('=')
    allowed = set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
    if any(char not in allowed for char in body):
        raise ValueError('invalid base64 characters')
    try:
        return base64.b64decode(body + '=' * (-len(body) % 4), validate=True)
    except binascii.Error as err:
        raise ValueError(str(err))


def extract_digest_and_algorithm(value: str) -> tuple:
    """Split a signature into (digest name, lower-case hex digest).

    :param value: hex digest (length picks sha1/sha256/sha512) or
        ``<name>:<base64 digest>`` (standard or URL-safe alphabet).
    :returns: (name, hex str); the name is not checked against any allow list.
    :raises ValueError: for non-hex/non-base64 text or a hex length of no digest.
    """
    if ':' in value:
        name, encoded = value.split(':', 1)
        if ('-' in encoded or '_' in encoded) and not ('+' in encoded or '/' in encoded):
            encoded = encoded.replace('-', '+').replace('_', '/')
        return name, binascii.hexlify(strict_b64decode(encoded)).decode('ascii')
    try:
        binascii.unhexlify(value)
    except (binascii.Error, ValueError):
        raise ValueError('Non-hexadecimal digest')
    name = HEX_DIGEST_BY_LENGTH.get(len(value))
    if name is None:
        raise ValueError('Bad digest length')
    return name, value


def get_hmac(method: str, path: str, expires: int, key, digest: str = 'sha1',
             ip_range: str = None) -> str:
    """Hex HMAC of Swift's temp URL message.

    :param method: HTTP method (``GET``...).
    :param path: native str ``/v1/a/c/o`` or ``prefix:/v1/a/c/<prefix>``.
    :param expires: int epoch seconds.
    :param key: the Temp-URL key (str or bytes).
    :param digest: hashlib name (sha1, sha256, sha512).
    :param ip_range: when set, ``ip=<range>`` is the message's first line.
    :returns: lower-case hex str.
    """
    parts = [method, str(expires), path]
    if ip_range:
        parts.insert(0, 'ip=%s' % ip_range)
    if isinstance(key, str):
        key = key.encode('utf-8')
    message = '\n'.join(parts).encode('utf-8', 'surrogateescape')
    return hmac.new(key, message, digest).hexdigest()


def parse_expires(value: str, now: float) -> int:
    """``temp_url_expires`` -> int epoch seconds, or 0 when invalid or past.

    :param value: epoch integer text or ISO 8601 ``YYYY-MM-DDTHH:MM:SSZ``.
    :param now: current epoch seconds.
    """
    try:
        expires = int(value)
    except ValueError:
        try:
            expires = calendar.timegm(time.strptime(value, EXPIRES_ISO8601_FORMAT))
        except ValueError:
            return 0
    return 0 if expires < now else expires


def disposition_format(disposition_type: str, filename: str) -> str:
    """Content-Disposition value with both filename forms (RFC 6266, RFC 5987 3.2).

    :param filename: native str.
    """
    return '''%s; filename="%s"; filename*=UTF-8''%s''' % (
        disposition_type, urllib.parse.quote(filename, safe=' /'),
        urllib.parse.quote(filename))


def authorize_same_account(account):
    """``swift.authorize`` callback allowing only paths in ``account`` (native str)."""
    def authorize(req):
        try:
            _version, acc, _rest = req.split_path(2, 3, True)
        except ValueError:
            return HTTPUnauthorized(request=req)
        return None if wsgi_to_str(acc) == account else HTTPUnauthorized(request=req)
    return authorize


def authorize_same_container(account, container):
    """``swift.authorize`` callback allowing only paths in ``account/container``."""
    def authorize(req):
        try:
            _version, acc, cont, _rest = req.split_path(3, 4, True)
        except ValueError:
            return HTTPUnauthorized(request=req)
        if wsgi_to_str(acc) == account and wsgi_to_str(cont) == container:
            return None
        return HTTPUnauthorized(request=req)
    return authorize


def get_allowed_digests(names: list, logger=None) -> tuple:
    """Split configured digest names into (allowed, deprecated) sets.

    Unsupported names are dropped with a warning; deprecated ones warned about.

    :raises ConfigError: when no supported digest remains.
    """
    configured = set(names)
    allowed = configured & set(SUPPORTED_DIGESTS)
    if logger is not None:
        for name in sorted(configured - allowed):
            logger.warning('The following digest is not supported: %s', name)
        for name in sorted(allowed & DEPRECATED_DIGESTS):
            logger.warning('The following digest is deprecated: %s', name)
    if not allowed:
        raise ConfigError('allowed_digests: no valid digest found in %r'
                          % ' '.join(names), option='allowed_digests')
    return allowed, allowed & DEPRECATED_DIGESTS


# ---------------------------------------------------------------- config

def _header_to_environ_key(header):
    key = 'HTTP_' + header.replace('-', '_').upper()
    if key in ('HTTP_CONTENT_LENGTH', 'HTTP_CONTENT_TYPE'):
        key = key[5:]
    return key


class HeaderFilter:
    """Remove/allow lists of header names, ``*`` suffix meaning a prefix; an allow
    match wins over a remove match (Swift's rule).

    :param remove: names to remove; :param allow: names kept anyway. Both already in
        the form they are compared in (environ keys or lower-case names).
    """

    def __init__(self, remove, allow):
        self.remove = {h for h in remove if not h.endswith('*')}
        self.remove_prefixes = tuple(h[:-1] for h in remove if h.endswith('*'))
        self.allow = {h for h in allow if not h.endswith('*')}
        self.allow_prefixes = tuple(h[:-1] for h in allow if h.endswith('*'))

    def removes(self, name):
        """True when ``name`` must be dropped."""
        if name in self.allow or (self.allow_prefixes and
                                  name.startswith(self.allow_prefixes)):
            return False
        return name in self.remove or bool(
            self.remove_prefixes and name.startswith(self.remove_prefixes))


@dataclass(frozen=True)
class TempURLConfig:
    """tempurl options (Swift's names; whitespace-separated lists)."""
    methods: tuple = tuple(DEFAULT_METHODS.split())
    incoming_remove_headers: tuple = tuple(DEFAULT_INCOMING_REMOVE_HEADERS.split())
    incoming_allow_headers: tuple = tuple(DEFAULT_INCOMING_ALLOW_HEADERS.split())
    outgoing_remove_headers: tuple = tuple(DEFAULT_OUTGOING_REMOVE_HEADERS.split())
    outgoing_allow_headers: tuple = tuple(DEFAULT_OUTGOING_ALLOW_HEADERS.split())
    allowed_digests: tuple = tuple(DEFAULT_ALLOWED_DIGESTS.split())
    deprecated_digests: tuple = ('sha1',)

    @classmethod
    def from_conf(cls, conf, logger=None):
        """Build from a paste conf dict.

        :raises ConfigError: when ``allowed_digests`` names no supported digest.
        """
        values = {}
        for name in ('methods', 'incoming_remove_headers', 'incoming_allow_headers',
                     'outgoing_remove_headers', 'outgoing_allow_headers'):
            default = ' '.join(getattr(cls, name))
            values[name] = tuple(str(conf.get(name, default)).split())
        values['methods'] = tuple(m.upper() for m in values['methods'])
        allowed, deprecated = get_allowed_digests(
            str(conf.get('allowed_digests', DEFAULT_ALLOWED_DIGESTS)).split(), logger)
        values['allowed_digests'] = tuple(sorted(allowed))
        values['deprecated_digests'] = tuple(sorted(deprecated))
        return cls(**values)

    def swift_info(self):
        """The /info ``tempurl`` section (Swift's keys and order)."""
        info = {'methods': list(self.methods),
                'incoming_remove_headers': list(self.incoming_remove_headers),
                'incoming_allow_headers': list(self.incoming_allow_headers),
                'outgoing_remove_headers': list(self.outgoing_remove_headers),
                'outgoing_allow_headers': list(self.outgoing_allow_headers),
                'allowed_digests': list(self.allowed_digests)}
        if self.deprecated_digests:
            info['deprecated_digests'] = list(self.deprecated_digests)
        return info


# ---------------------------------------------------------------- middleware

@dataclass(frozen=True)
class TempURLParams:
    """The tempurl query parameters of a request (WSGI strs; None when absent).

    ``expires`` is the parsed int (0: invalid or past); ``inline`` a bool.
    """
    sig: object = None
    expires: object = None
    prefix: object = None
    filename: object = None
    inline: bool = False
    ip_range: object = None

    @classmethod
    def from_query(cls, query_string, now):
        """Parse ``query_string`` (first value of each name wins, as Swift)."""
        qs = urllib.parse.parse_qs(query_string or '', keep_blank_values=True)

        def first(name):
            return qs[name][0] if name in qs else None
        expires = first('temp_url_expires')
        return cls(sig=first('temp_url_sig'),
                   expires=None if expires is None else parse_expires(expires, now),
                   prefix=first('temp_url_prefix'), filename=first('filename'),
                   inline='inline' in qs, ip_range=first('temp_url_ip_range'))


class TempURL:
    """WSGI filter; see the module doc.

    :param app: the next WSGI app (auth, then the proxy).
    :param conf: a :class:`TempURLConfig` or a paste conf dict.
    :param logger: injectable logger; :param clock: object with ``time()``.
    """

    def __init__(self, app, conf, logger=None, clock=None):
        self.app = app
        self.logger = logger or get_logger(
            conf if isinstance(conf, dict) else {}, log_route='tempurl')
        if not isinstance(conf, TempURLConfig):
            conf = TempURLConfig.from_conf(conf, self.logger)
        self.config = conf
        self.clock = clock or time
        self.incoming = HeaderFilter(
            [_header_to_environ_key(h) for h in conf.incoming_remove_headers],
            [_header_to_environ_key(h) for h in conf.incoming_allow_headers])
        self.outgoing = HeaderFilter([h.lower() for h in conf.outgoing_remove_headers],
                                     [h.lower() for h in conf.outgoing_allow_headers])
        self.disallowed_env_keys = {_header_to_environ_key(h): h.title()
                                    for h in DISALLOWED_INCOMING_HEADERS}
        register_swift_info(app, 'tempurl', **conf.swift_info())

    def __call__(self, env, start_response):
        if env.get('REQUEST_METHOD') == 'OPTIONS':
            return self.app(env, start_response)
        params = TempURLParams.from_query(env.get('QUERY_STRING'), self.clock.time())
        if params.sig is None and params.expires is None:
            return self.app(env, start_response)
        scope = self._validate(env, params)
        if scope is None:
            return self._invalid(env, start_response)
        for key, title in self.disallowed_env_keys.items():
            if key in env:
                return HTTPBadRequest(body=(
                    'The header %r is not allowed in this tempurl' % title
                ).encode('utf-8'))(env, start_response)
        for key in [k for k in env if self.incoming.removes(k)]:
            del env[key]
        self._authorize(env, params, scope)
        return self.app(env, self._wrap_start_response(env, params, start_response))

    # -- validation
    def _validate(self, env, params):
        """The key scope (account/container) of a valid signature, else None."""
        if not params.sig or not params.expires:
            return None
        try:
            digest, sig = extract_digest_and_algorithm(params.sig)
        except ValueError:
            return None
        if digest not in self.config.allowed_digests:
            return None
        account, container, obj = self._path_parts(env)
        if account is None:
            return None
        if params.ip_range and not self._client_in_range(env, params.ip_range):
            return None
        keys = self._get_keys(env)
        if not keys:
            return None
        if params.prefix is None:
            path = '/v1/%s/%s/%s' % (account, container, obj)
        else:
            if not obj.startswith(params.prefix):
                return None
            path = 'prefix:/v1/%s/%s/%s' % (account, container, params.prefix)
        methods = (HEAD_SIGNATURE_METHODS if env['REQUEST_METHOD'] == 'HEAD'
                   else (env['REQUEST_METHOD'],))
        found = None
        for method in methods:
            for key, scope in keys:
                expected = get_hmac(method, path, params.expires, key, digest,
                                    params.ip_range)
                # compare every candidate: timing does not tell which key matched
                if hmac.compare_digest(expected.encode('ascii'), sig.encode('ascii')):
                    found = found or scope
        if found is not None and digest in self.config.deprecated_digests:
            self.logger.debug('tempurl signed with deprecated digest %s', digest)
        return found

    def _path_parts(self, env):
        """(account, container, object) native strs of an object path whose method
        is allowed, else (None, None, None)."""
        if env['REQUEST_METHOD'] not in self.config.methods:
            return None, None, None
        try:
            version, account, container, obj = split_path(
                env.get('PATH_INFO', ''), 4, 4, True)
        except ValueError:
            return None, None, None
        if version != 'v1' or not obj.strip('/'):
            return None, None, None
        return wsgi_to_str(account), wsgi_to_str(container), wsgi_to_str(obj)

    @staticmethod
    def _client_in_range(env, ip_range):
        client = env.get('REMOTE_ADDR')
        if client is None:
            return False
        try:
            return ipaddress.ip_address(client) in ipaddress.ip_network(ip_range)
        except ValueError:
            return False

    def _get_keys(self, env):
        """[(key, scope)]: the account's keys first, then the container's."""
        account_info = get_account_info(env, self.app, swift_source='TU')
        container_info = get_container_info(env, self.app, swift_source='TU')
        return ([(key, ACCOUNT_SCOPE) for key in
                 get_tempurl_keys_from_metadata(account_info.get('meta'))] +
                [(key, CONTAINER_SCOPE) for key in
                 get_tempurl_keys_from_metadata(container_info.get('meta'))])

    def _invalid(self, env, start_response):
        body = None if env.get('REQUEST_METHOD') == 'HEAD' else INVALID_BODY
        return HTTPUnauthorized(body=body, headers={
            'Www-Authenticate': 'Swift realm="%s"' % auth_realm(env)})(env, start_response)

    # -- an accepted request
    def _authorize(self, env, params, scope):
        account, container, _obj = self._path_parts(env)
        if scope == ACCOUNT_SCOPE:
            env['swift.authorize'] = authorize_same_account(account)
        else:
            env['swift.authorize'] = authorize_same_container(account, container)
        env['swift.authorize_override'] = True
        env['REMOTE_USER'] = '.wsgi.tempurl'
        query = {'temp_url_sig': params.sig, 'temp_url_expires': params.expires}
        if params.prefix is not None:
            query['temp_url_prefix'] = params.prefix
        if params.filename:
            query['filename'] = params.filename
        env['QUERY_STRING'] = urllib.parse.urlencode(query)

    def _wrap_start_response(self, env, params, start_response):
        def tempurl_start_response(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers
                       if not self.outgoing.removes(name.lower())]
            if env['REQUEST_METHOD'] in ('GET', 'HEAD') and status[:1] == '2':
                headers = self._download_headers(env, params, headers)
            return start_response(status, headers, exc_info)
        return tempurl_start_response

    @staticmethod
    def _download_headers(env, params, headers):
        """``headers`` with Content-Disposition (query param, then the object's own,
        then the object name) and Expires set."""
        existing = None
        out = []
        for name, value in headers:
            if name.lower() == 'content-disposition':
                existing = value
            elif name.lower() != 'expires':
                out.append((name, value))
        filename = params.filename
        if params.inline:
            value = (disposition_format('inline', filename) if filename
                     else 'inline')
        elif filename:
            value = disposition_format('attachment', filename)
        elif existing:
            value = existing
        else:
            name = os.path.basename(wsgi_to_str(env['PATH_INFO']).rstrip('/'))
            value = disposition_format('attachment', name)
        out.append(('Content-Disposition', value.replace('\n', '%0A')))
        out.append(('Expires', http_date(params.expires)))
        return out


def auth_realm(env):
    """The account of ``env``'s path, quoted, for ``Www-Authenticate: Swift
    realm=...`` ('unknown' when the path has none)."""
    try:
        _version, account, _rest = split_path(env.get('PATH_INFO', ''), 2, 3, True)
    except ValueError:
        return 'unknown'
    return wsgi_quote(account)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#tempurl``).

    :raises ConfigError: at load time for an ``allowed_digests`` with no valid name.
    """
    conf = dict(global_conf)
    conf.update(local_conf)
    logger = get_logger(conf, log_route='tempurl')
    config = TempURLConfig.from_conf(conf, logger)
    return lambda app: TempURL(app, config, logger=logger)
