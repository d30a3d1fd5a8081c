# Account and container "info": the facts the proxy and middlewares need about an
# account or container (existence, ACLs, policy, counts, metadata), cached as Swift does:
#   * per request in env['swift.infocache'] (a dict shared by subrequests);
#   * across requests in memcache (env['swift.cache']) under Swift's keys
#     'account/<a>' and 'container/<a>/<c>' (WSGI strs), as JSON dicts;
#   * TTL recheck_account_existence / recheck_container_existence (60 s) for 2xx,
#     a tenth of that for 404/410, not cached otherwise;
#   * writes (PUT/POST/DELETE of the account/container) clear both caches.
"""get_account_info / get_container_info and the info cache."""

from swift.common.http_status import is_success
from swift.common.swob import Request, wsgi_quote

INFOCACHE_KEY = 'swift.infocache'


def account_cache_key(account):
    """Swift's memcache key of an account's info."""
    return 'account/%s' % account


def container_cache_key(account, container):
    """Swift's memcache key of a container's info."""
    return 'container/%s/%s' % (account, container)


def _meta(headers, prefix):
    return {key[len(prefix):].lower(): value for key, value in headers.items()
            if key.lower().startswith(prefix)}


def _int_header(lower, name):
    try:
        return int(lower.get(name, 0))
    except ValueError:
        return 0


def headers_to_account_info(headers, status, policies=None):
    """Account info dict from backend/proxy response headers (Swift's shape).

    :param policies: the StoragePolicyCollection; when given, ``storage_policies``
        maps each policy index (as a str, as it reads back from memcache's JSON) to
        its ``container_count``, ``object_count`` and ``bytes``.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    info = {
        'status': status,
        'container_count': lower.get('x-account-container-count'),
        'total_object_count': lower.get('x-account-object-count'),
        'bytes': lower.get('x-account-bytes-used'),
        'meta': _meta(lower, 'x-account-meta-'),
        'sysmeta': _meta(lower, 'x-account-sysmeta-'),
    }
    if policies is not None:
        info['storage_policies'] = {}
        for policy in policies:
            prefix = 'x-account-storage-policy-%s-' % policy.name.lower()
            info['storage_policies'][str(policy.idx)] = {
                'container_count': _int_header(lower, prefix + 'container-count'),
                'object_count': _int_header(lower, prefix + 'object-count'),
                'bytes': _int_header(lower, prefix + 'bytes-used')}
    return info


def headers_to_container_info(headers, status):
    """Container info dict from backend/proxy response headers (Swift's shape)."""
    lower = {k.lower(): v for k, v in headers.items()}
    meta = _meta(lower, 'x-container-meta-')
    return {
        'status': status,
        'read_acl': lower.get('x-container-read'),
        'write_acl': lower.get('x-container-write'),
        'sync_key': lower.get('x-container-sync-key'),
        'sync_to': lower.get('x-container-sync-to'),
        'object_count': lower.get('x-container-object-count'),
        'bytes': lower.get('x-container-bytes-used'),
        'versions': lower.get('x-versions-location'),
        'storage_policy': lower.get('x-backend-storage-policy-index', '0'),
        'created_at': lower.get('x-backend-timestamp') or lower.get('x-timestamp'),
        'put_timestamp': lower.get('x-backend-put-timestamp'),
        'cors': {
            'allow_origin': meta.get('access-control-allow-origin'),
            'expose_headers': meta.get('access-control-expose-headers'),
            'max_age': meta.get('access-control-max-age'),
        },
        'meta': meta,
        'sysmeta': _meta(lower, 'x-container-sysmeta-'),
    }


def cache_ttl(status, recheck_s):
    """Seconds to cache an info of ``status`` (None: do not cache)."""
    if is_success(status):
        return recheck_s
    if status in (404, 410):
        return recheck_s * 0.1
    return None


def get_cached_info(env, key):
    """Info from the request cache, then memcache (copied into the request cache)."""
    infocache = env.setdefault(INFOCACHE_KEY, {})
    if key in infocache:
        return infocache[key]
    memcache = env.get('swift.cache')
    if memcache is not None:
        info = memcache.get(key)
        if isinstance(info, dict) and 'status' in info:
            infocache[key] = info
            return info
    return None


def set_info_cache(env, key, info, ttl):
    """Store ``info`` in the request cache and, when ``ttl``, in memcache."""
    env.setdefault(INFOCACHE_KEY, {})[key] = info
    memcache = env.get('swift.cache')
    if memcache is not None and ttl:
        memcache.set(key, info, time=ttl)


def clear_info_cache(env, account, container=None):
    """Forget the cached info of an account or container (after a write)."""
    key = (container_cache_key(account, container) if container is not None
           else account_cache_key(account))
    env.setdefault(INFOCACHE_KEY, {}).pop(key, None)
    memcache = env.get('swift.cache')
    if memcache is not None:
        memcache.delete(key)


def _info_subrequest(env, app, path, swift_source):
    """HEAD ``path`` through ``app`` without auth, sharing the caches."""
    sub_env = {'swift.cache': env.get('swift.cache'),
               INFOCACHE_KEY: env.setdefault(INFOCACHE_KEY, {}),
               'swift.trans_id': env.get('swift.trans_id', ''),
               'swift.source': swift_source or 'GET_INFO',
               'REMOTE_ADDR': env.get('REMOTE_ADDR', '127.0.0.1'),
               # pre-authorised, as Swift's make_pre_authed_env: the info lookup is
               # the proxy's own business, whoever the client is
               'swift.authorize_override': True,
               'swift.authorize': lambda req: None}
    req = Request.blank(wsgi_quote(path), environ=sub_env, method='HEAD')
    resp = req.get_response(app)
    # finish the (empty) body: a middleware below (proxy_logging) must see a
    # completed response, not one abandoned mid-way (logged as a 499)
    resp.body
    return resp


def get_account_info(env, app, swift_source=None):
    """Info of the account of ``env``'s path (``/v1/<a>...``).

    :param app: the WSGI app to ask on a cache miss (the proxy or the rest of the
        pipeline).
    :returns: dict (``status`` 0 when the path names no account).
    """
    parts = env.get('PATH_INFO', '').split('/')
    if len(parts) < 3 or not parts[2]:
        return headers_to_account_info({}, 0)
    return get_account_info_for(env, app, parts[1], parts[2], swift_source)


def get_account_info_for(env, app, version, account, swift_source=None):
    """Info of ``account`` (WSGI str), from cache or a HEAD through ``app``."""
    key = account_cache_key(account)
    info = get_cached_info(env, key)
    if info is None:
        resp = _info_subrequest(env, app, '/%s/%s' % (version, account), swift_source)
        info = get_cached_info(env, key)
        if info is None:
            info = headers_to_account_info(resp.headers, resp.status_int)
            env[INFOCACHE_KEY][key] = info
    return info


def get_container_info(env, app, swift_source=None):
    """Info of the container of ``env``'s path (``/v1/<a>/<c>...``)."""
    parts = env.get('PATH_INFO', '').split('/', 4)
    if len(parts) < 4 or not parts[2] or not parts[3]:
        return headers_to_container_info({}, 0)
    return get_container_info_for(env, app, parts[1], parts[2], parts[3], swift_source)


def get_container_info_for(env, app, version, account, container, swift_source=None):
    """Info of ``account/container`` (WSGI strs), from cache or a HEAD."""
    key = container_cache_key(account, container)
    info = get_cached_info(env, key)
    if info is None:
        resp = _info_subrequest(env, app, '/%s/%s/%s' % (version, account, container),
                                swift_source)
        info = get_cached_info(env, key)
        if info is None:
            info = headers_to_container_info(resp.headers, resp.status_int)
            env[INFOCACHE_KEY][key] = info
    return info
