# Development auth with users in the config (Swift's tempauth; swift-catalog.md 6, 7).
#   * Users: ``user_<account>_<user> = <key> [group ...] [storage_url]`` (also
#     ``user64_<b64 account>_<b64 user>``). Groups ``.admin`` (account owner) and
#     ``.reseller_admin`` (every account). The storage URL defaults to
#     ``$HOST/v1/<reseller_prefix><account>``.
#   * Login: ``GET <auth_prefix>v1.0`` (also ``/auth/v1/<account>/auth``) with
#     X-Auth-User/X-Auth-Key or X-Storage-User/X-Storage-Pass -> 200 with X-Auth-Token,
#     X-Storage-Token, X-Auth-Token-Expires and X-Storage-Url. Tokens are
#     ``<reseller_prefix>tk<32 hex>`` kept in memcache under ``<prefix>/token/<token>``
#     as [expires, groups] and reused per user via ``<prefix>/user/<account:user>``.
#   * Authorization: the owner group (the account id) or .reseller_admin may do
#     anything but account PUT/DELETE (reseller only); others need a container ACL
#     (X-Container-Read/-Write: ``.r:<referrer>``, ``.rlistings``, ``account:user``,
#     ``account``). Anonymous denials are 401 with ``Www-Authenticate: Swift
#     realm="<account>"``, authenticated ones 403.
"""tempauth middleware."""

import base64
import hmac
import json
import uuid
from urllib.parse import urlparse

from swift.common.config import config_true_value, list_from_csv
from swift.common.logs import get_logger
from swift.common.swob import (HTTPBadRequest, HTTPForbidden, HTTPNotFound,
                               HTTPUnauthorized, Request, Response, split_path)
from swift.proxy.controllers.info import register_swift_info

ADMIN_GROUP = '.admin'
RESELLER_ADMIN_GROUP = '.reseller_admin'
RESELLER_READER_GROUP = '.reseller_reader'
TOKEN_CACHE_MAX = 4096          # tokens remembered in-process (see get_groups)
DEFAULT_TOKEN_CACHE_S = 10.0


# ---------------------------------------------------------------- ACLs (v1 syntax)

def clean_acl(name, value):
    """Normalise a container ACL header value (Swift's acl.clean_acl).

    :param name: ``x-container-read`` or ``x-container-write``.
    :returns: the cleaned comma-separated ACL.
    :raises ValueError: for referrer items in a write ACL or empty referrers.
    """
    name = name.lower()
    values = []
    for raw in value.split(','):
        item = raw.strip()
        if not item:
            continue
        if ':' not in item:
            values.append(item)
            continue
        first, second = (part.strip() for part in item.split(':', 1))
        if not first or not first.startswith('.'):
            values.append(item)
        elif first in ('.r', '.ref', '.referer', '.referrer'):
            if 'write' in name:
                raise ValueError('Referrers not allowed in write ACL: %r' % item)
            negate = second.startswith('-')
            if negate:
                second = second[1:].strip()
            if second and second != '*' and second.startswith('*'):
                second = second[1:].strip()
            if not second or second == '.':
                raise ValueError('No host/domain value after referrer designation '
                                 'in ACL: %r' % item)
            values.append('.r:%s%s' % ('-' if negate else '', second))
        else:
            raise ValueError('Unknown designator %r in ACL: %r' % (first, item))
    return ','.join(values)


def parse_acl(acl_string):
    """``(referrers, groups)`` of a v1 ACL string (``.rlistings`` is a group)."""
    referrers, groups = [], []
    for value in (acl_string or '').split(','):
        value = value.strip()
        if not value:
            continue
        if value.startswith('.r:'):
            referrers.append(value[3:])
        else:
            groups.append(value)
    return referrers, groups


def referrer_allowed(referrer, referrer_acl):
    """Swift's rule: the last matching entry wins; ``-host`` denies."""
    allow = False
    if referrer_acl:
        host = urlparse(referrer or '').hostname or 'unknown'
        for entry in referrer_acl:
            negate = entry.startswith('-')
            pattern = entry[1:] if negate else entry
            if pattern == '*' or pattern == host or (
                    pattern.startswith('.') and host.endswith(pattern)):
                allow = not negate
    return allow


# ---------------------------------------------------------------- account ACLs (v2)

ACL_HEADER = 'X-Account-Access-Control'
ACL_SYSMETA_HEADER = 'X-Account-Sysmeta-Core-Access-Control'
ACL_SYSMETA_KEY = 'core-access-control'
ACL_LEVELS = ('admin', 'read-write', 'read-only')


def parse_account_acl(value):
    """Validate an X-Account-Access-Control JSON value.

    :returns: dict with only the known levels, each a list of str.
    :raises ValueError: with Swift's message for anything else.
    """
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):   # RecursionError: deep [[[...]]] nesting
        raise ValueError('Invalid JSON in %s' % ACL_HEADER)
    if not isinstance(data, dict):
        raise ValueError('%s must be a JSON object' % ACL_HEADER)
    for key, names in data.items():
        if key not in ACL_LEVELS:
            raise ValueError('Key %r not recognized in %s' % (key, ACL_HEADER))
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError('Value for key %r must be a list of strings' % key)
    return data


def acls_from_sysmeta(value):
    """The stored ACL (sysmeta JSON) as a dict with every level, or None."""
    if not value:
        return None
    try:
        data = parse_account_acl(value)
    except ValueError:
        return None
    return {level: list(data.get(level, [])) for level in ACL_LEVELS}


def parse_reseller_prefixes(value):
    """``'AUTH, SERVICE'`` -> ``['AUTH_', 'SERVICE_']`` (``''`` stays ``''``)."""
    prefixes = []
    for item in (value or '').split(','):
        item = item.strip().strip("'\"")
        if item and not item.endswith('_'):
            item += '_'
        prefixes.append(item)
    return prefixes or ['']


# ---------------------------------------------------------------- users

def parse_users(conf, reseller_prefix):
    """``{'account:user': {'key', 'groups', 'url'}}`` from ``user_*`` options."""
    users = {}
    for option, value in conf.items():
        if option.startswith('user64_'):
            account, _, user = option[len('user64_'):].partition('_')
            account = base64.b64decode(account + '=' * (-len(account) % 4)).decode()
            user = base64.b64decode(user + '=' * (-len(user) % 4)).decode()
        elif option.startswith('user_'):
            account, _, user = option[len('user_'):].partition('_')
        else:
            continue
        words = value.split()
        if not words:
            continue
        url = '$HOST/v1/%s%s' % (reseller_prefix, account)
        if len(words) > 1 and '://' in words[-1]:
            url = words.pop()
        users['%s:%s' % (account, user)] = {'key': words[0], 'groups': words[1:],
                                             'url': url}
    return users


class TempAuth:
    """:param app: next WSGI app; ``conf``: reseller_prefix (AUTH), auth_prefix
    (/auth/), token_life (86400 s), storage_url_scheme (default), user_* options;
    ``clock`` (``time()``) and ``logger`` injectable."""

    def __init__(self, app, conf, logger=None, clock=None):
        import time
        self.app = app
        self.conf = conf
        self.logger = logger or get_logger(conf, log_route='tempauth')
        self.clock = clock or time
        self.reseller_prefixes = parse_reseller_prefixes(
            conf.get('reseller_prefix', 'AUTH'))
        self.reseller_prefix = self.reseller_prefixes[0]
        self.require_group_by_prefix = {
            prefix: conf.get(prefix + 'require_group', '').strip()
            for prefix in self.reseller_prefixes}
        self.auth_prefix = conf.get('auth_prefix', '/auth/')
        if not self.auth_prefix.startswith('/'):
            self.auth_prefix = '/' + self.auth_prefix
        if not self.auth_prefix.endswith('/'):
            self.auth_prefix += '/'
        self.token_life = int(conf.get('token_life', 86400))
        # our option: seconds a validated token is remembered in-process (0: never)
        self.token_cache_seconds = float(conf.get('token_cache_seconds',
                                                  DEFAULT_TOKEN_CACHE_S))
        self._token_cache = {}
        self.storage_url_scheme = conf.get('storage_url_scheme', 'default')
        self.require_groups = list_from_csv(conf.get('require_group', ''))
        self.allow_overrides = config_true_value(conf.get('allow_overrides', 't'))
        self.users = parse_users(conf, self.reseller_prefix)
        register_swift_info(app, 'tempauth', account_acls=True)
        # the proxy stores/returns account ACLs through account sysmeta
        register_acl_translation(app)

    # -- WSGI
    def __call__(self, env, start_response):
        if self.allow_overrides and env.get('swift.authorize_override', False):
            return self.app(env, start_response)
        if env.get('PATH_INFO', '').startswith(self.auth_prefix):
            return self.handle_auth(env, start_response)
        token = env.get('HTTP_X_AUTH_TOKEN', env.get('HTTP_X_STORAGE_TOKEN'))
        service_token = env.get('HTTP_X_SERVICE_TOKEN')
        s3_details = env.get('s3api.auth_details')
        if s3_details:
            return self.handle_s3(env, start_response, s3_details)
        if token and token.startswith(self.reseller_prefix):
            groups = self.get_groups(env, token)
            if groups and service_token:
                service_groups = self.get_groups(env, service_token)
                if service_groups:
                    groups = '%s,%s' % (groups, service_groups)
            if groups:
                env['REMOTE_USER'] = groups
                env['swift.authorize'] = self.authorize
                env['swift.clean_acl'] = clean_acl
                if RESELLER_ADMIN_GROUP in groups.split(','):
                    env['reseller_request'] = True
            else:
                resp = self._unauthorized(Request(env))
                return resp(env, start_response)
        elif self._is_definitive(env.get('PATH_INFO', '')):
            env['swift.authorize'] = self.authorize
            env['swift.clean_acl'] = clean_acl
        elif 'swift.authorize' not in env:
            env['swift.authorize'] = self.denied_response
        return self.app(env, start_response)

    def handle_s3(self, env, start_response, details):
        """A request signed for S3 (Swift's tempauth with s3api): check the signature
        with the user's key through ``details['check_signature']``, put the account id
        in place of the access key in the path and authorize as that user; a bad
        signature or unknown access key is a 401 (s3api turns it into the S3 error).
        """
        groups = self.s3_groups(env, details)
        if not groups:
            return self._unauthorized(Request(env), 'unknown')(env, start_response)
        env['REMOTE_USER'] = groups
        env['swift.authorize'] = self.authorize
        env['swift.clean_acl'] = clean_acl
        if RESELLER_ADMIN_GROUP in groups.split(','):
            env['reseller_request'] = True
        return self.app(env, start_response)

    def s3_groups(self, env, details):
        """Groups of the user an S3 signature names, or None (Swift's get_groups
        s3 branch).

        :param details: ``s3api.auth_details``: ``access_key`` (``account:user``) and
            ``check_signature(key) -> bool``.
        """
        account_user = details.get('access_key')
        record = self.users.get(account_user)
        check = details.get('check_signature')
        if record is None or check is None or not check(record['key']):
            return None
        account_id = record['url'].rstrip('/').rsplit('/', 1)[-1]
        env['PATH_INFO'] = env.get('PATH_INFO', '').replace(account_user, account_id, 1)
        groups = self.user_groups(account_user, record, account_id)
        if self.require_groups and not set(self.require_groups) & set(groups.split(',')):
            return None
        return groups

    def _is_definitive(self, path):
        try:
            _version, account, _rest = split_path(path, 1, 3, True)
        except ValueError:
            return False
        return bool(account) and self._account_prefix(account) is not None

    def _account_prefix(self, account):
        """The reseller prefix ``account`` belongs to (longest match), or None."""
        matches = [p for p in self.reseller_prefixes if account.startswith(p)]
        return max(matches, key=len) if matches else None

    def _account_of(self, req):
        try:
            _version, account, _rest = req.split_path(1, 3, True)
        except ValueError:
            return 'unknown'
        return account or 'unknown'

    def _unauthorized(self, req, realm=None):
        realm = realm or self._account_of(req)
        return HTTPUnauthorized(request=req, headers={
            'Www-Authenticate': 'Swift realm="%s"' % realm})

    def denied_response(self, req):
        """403 for an authenticated user, 401 (with the realm) for anonymous."""
        if req.remote_user:
            return HTTPForbidden(request=req)
        return self._unauthorized(req)

    # -- tokens
    def get_groups(self, env, token):
        """The comma-separated groups of a valid token, or None.

        Tokens are looked up in memcache (Swift's ``<prefix>/token/<token>`` entry);
        a valid one is also remembered in this process for at most
        ``token_cache_seconds`` (and never past its expiry), which saves a memcache
        round trip on most requests: a token's groups never change during its life.
        """
        memcache = env.get('swift.cache')
        if memcache is None:
            self.logger.error('Memcache required')
            return None
        now = self.clock.time()
        local = self._token_cache.get(token)
        if local is not None and local[0] > now:
            groups = local[1]
        else:
            cached = memcache.get('%s/token/%s' % (self.reseller_prefix, token))
            if not cached:
                return None
            expires, groups = cached
            if float(expires) < now:
                return None
            self._remember_token(token, min(float(expires),
                                            now + self.token_cache_seconds), groups)
        if self.require_groups and not set(self.require_groups) & set(groups.split(',')):
            return None
        return groups

    def _remember_token(self, token, until, groups):
        if self.token_cache_seconds <= 0:
            return
        if len(self._token_cache) >= TOKEN_CACHE_MAX:
            # drop the oldest entry (dicts keep insertion order)
            del self._token_cache[next(iter(self._token_cache))]
        self._token_cache[token] = (until, groups)

    # -- authorization
    def authorize(self, req):
        """None when ``req`` may proceed, else a 401/403 Response (see module doc)."""
        try:
            _version, account, container, obj = req.split_path(1, 4, True)
        except ValueError:
            return HTTPNotFound(request=req)
        prefix = self._account_prefix(account or '')
        if prefix is None:
            return self.denied_response(req)
        user_groups = (req.remote_user or '').split(',')
        required = self.require_group_by_prefix.get(prefix)
        if required and required not in user_groups:
            # e.g. SERVICE_ accounts need a service token's group as well
            return self.denied_response(req)
        if RESELLER_ADMIN_GROUP in user_groups and account != prefix \
                and not account[len(prefix):].startswith('.'):
            req.environ['swift_owner'] = True
            return None
        if RESELLER_READER_GROUP in user_groups and req.method in ('GET', 'HEAD') \
                and not account[len(prefix):].startswith('.'):
            return None   # read access to every account, not ownership
        # The owner of <prefix>x owns the same account under every prefix (with the
        # prefix's required group checked above, e.g. a service token).
        owner_ids = {p + account[len(prefix):] for p in self.reseller_prefixes}
        if owner_ids & set(user_groups) and (
                req.method not in ('DELETE', 'PUT') or container):
            req.environ['swift_owner'] = True
            return None
        if req.method == 'OPTIONS':
            return None
        referrers, groups = parse_acl(getattr(req, 'acl', None))
        if referrer_allowed(req.referer, referrers):
            if obj or '.rlistings' in groups:
                return None
            return self.denied_response(req)
        if not req.remote_user:
            return self.denied_response(req)
        for group in user_groups:
            if group and group in groups:
                return None
        return self._account_acl_decision(req, user_groups, container)

    def _account_acl_decision(self, req, user_groups, container):
        """X-Account-Access-Control: admin (owner), read-write (containers and
        objects, GET/HEAD of the account), read-only (GET/HEAD)."""
        acls = self.account_acls(req)
        groups = set(g for g in user_groups if g)
        if acls and groups:
            if groups & set(acls['admin']):
                req.environ['swift_owner'] = True
                return None
            if groups & set(acls['read-write']) and (
                    container or req.method in ('GET', 'HEAD')):
                return None
            if groups & set(acls['read-only']) and req.method in ('GET', 'HEAD'):
                return None
        return self.denied_response(req)

    def account_acls(self, req):
        """The account's ACL dict (keys admin, read-write, read-only), or None."""
        from swift.proxy.info_cache import get_account_info
        info = get_account_info(req.environ, self.app, swift_source='TA')
        return acls_from_sysmeta((info.get('sysmeta') or {}).get(ACL_SYSMETA_KEY))

    # -- login
    def handle_auth(self, env, start_response):
        req = Request(env)
        try:
            resp = self.handle_get_token(req)
        except Exception:  # never a traceback to a client logging in
            self.logger.exception('EXCEPTION IN handle_auth')
            resp = Response(status=500, request=req)
        return resp(env, start_response)

    def handle_get_token(self, req):
        """Swift's token GET: /auth/v1.0, /auth/v1/<account>/auth, /auth/v1.0/..."""
        if req.method not in ('GET', 'HEAD'):
            return HTTPBadRequest(request=req)
        # Swift pops the auth prefix's segment first: /auth/v1.0 -> v1.0,
        # /auth/v1/<account>/auth -> v1, <account>, auth.
        rest = '/' + req.path_info[len(self.auth_prefix):]
        try:
            pathsegs = split_path(rest, 1, 3, True)
        except ValueError:
            return HTTPNotFound(request=req)
        user = req.headers.get('X-Storage-User') or req.headers.get('X-Auth-User')
        key = req.headers.get('X-Storage-Pass') or req.headers.get('X-Auth-Key')
        if pathsegs[0] == 'v1' and pathsegs[2] == 'auth':
            account = pathsegs[1]
            if user and ':' in user and user.split(':', 1)[0] != account:
                return self._unauthorized(req, account)
            if user and ':' not in user:
                user = '%s:%s' % (account, user)
        elif pathsegs[0] not in ('auth', 'v1.0'):
            return HTTPBadRequest(request=req)
        if not user or ':' not in user:
            return self._unauthorized(req, 'unknown')
        account = user.split(':', 1)[0]
        record = self.users.get(user)
        if not record or not key or not hmac.compare_digest(
                record['key'].encode('utf-8'), key.encode('latin-1')):
            return self._unauthorized(req, account)
        return self._token_response(req, user, record)

    def _token_response(self, req, user, record):
        memcache = req.environ.get('swift.cache')
        if memcache is None:
            self.logger.error('Memcache required')
            return Response(status=500, request=req)
        account_id = record['url'].rstrip('/').rsplit('/', 1)[-1]
        groups = self.user_groups(user, record, account_id)
        now = self.clock.time()
        token = memcache.get('%s/user/%s' % (self.reseller_prefix, user))
        expires = None
        if token:
            cached = memcache.get('%s/token/%s' % (self.reseller_prefix, token))
            if cached and float(cached[0]) > now and cached[1] == groups:
                expires = float(cached[0])
            else:
                token = None
        if not token:
            token = '%stk%s' % (self.reseller_prefix, uuid.uuid4().hex)
            expires = now + self.token_life
            memcache.set('%s/token/%s' % (self.reseller_prefix, token),
                         [expires, groups], time=float(expires - now))
            memcache.set('%s/user/%s' % (self.reseller_prefix, user), token,
                         time=float(expires - now))
        return Response(request=req, body=b'', headers={
            'X-Auth-Token': token, 'X-Storage-Token': token,
            'X-Auth-Token-Expires': str(int(expires - now)),
            'X-Storage-Url': self.storage_url(req, record['url'])})

    @staticmethod
    def user_groups(user, record, account_id):
        """``account,account:user[,groups...]`` with .admin replaced by the account id
        (the owner group)."""
        groups = [user.split(':', 1)[0], user] + list(record['groups'])
        if ADMIN_GROUP in groups:
            groups.remove(ADMIN_GROUP)
            groups.append(account_id)
        return ','.join(groups)

    def storage_url(self, req, url):
        """Expand ``$HOST`` with the request's scheme/host (or storage_url_scheme)."""
        host_url = req.host_url
        if self.storage_url_scheme != 'default':
            host_url = self.storage_url_scheme + '://' + req.host
        return url.replace('$HOST', host_url)


def register_acl_translation(app):
    """Tell the proxy beneath ``app`` to translate X-Account-Access-Control."""
    seen = 0
    while app is not None and seen < 100:
        if hasattr(app, 'account_acl_translator'):
            app.account_acl_translator = parse_account_acl
            return True
        app = getattr(app, 'app', None)
        seen += 1
    return False


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#tempauth``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: TempAuth(app, conf)
