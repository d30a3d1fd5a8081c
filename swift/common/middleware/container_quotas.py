# Container quotas (Swift's container_quotas). A container's owner sets
#   X-Container-Meta-Quota-Bytes  (most bytes the container may hold)
#   X-Container-Meta-Quota-Count  (most objects)
# Rules:
#   * container PUT/POST with a non-integer value -> 400 ``Invalid bytes quota.`` /
#     ``Invalid count quota.``;
#   * object PUT that would take bytes_used + Content-Length over Quota-Bytes, or
#     object_count + 1 over Quota-Count -> 413 ``Upload exceeds quota.``, but only to
#     a client who could otherwise write there: env['swift.authorize'] runs first (with
#     the container's write ACL) and its 401/403 wins, so a stranger learns nothing;
#   * a missing container passes through (the proxy answers 404). COPY and X-Copy-From
#     arrive here as PUTs with the source's length (the copy middleware sits before).
"""container_quotas middleware."""

from swift.common.http_status import is_success
from swift.common.swob import HTTPBadRequest, HTTPRequestEntityTooLarge, Request
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_container_info

QUOTA_ERROR_BODY = b'Upload exceeds quota.'


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ContainerQuotaMiddleware:
    """:param app: next WSGI app; ``conf`` is unused (Swift has no options)."""

    def __init__(self, app, conf=None):
        self.app = app
        register_swift_info(app, 'container_quotas')

    def bad_response(self, req, container_info):
        """The auth hook's denial if any (no existence leak), else 413."""
        authorize = req.environ.get('swift.authorize')
        if authorize is not None:
            req.acl = container_info.get('write_acl')
            denial = authorize(req)
            if denial:
                return denial
        return HTTPRequestEntityTooLarge(request=req, body=QUOTA_ERROR_BODY)

    @staticmethod
    def check_quota_headers(req):
        """400 Response for a malformed quota header on container PUT/POST, or None."""
        for header, body in (('X-Container-Meta-Quota-Bytes', b'Invalid bytes quota.'),
                             ('X-Container-Meta-Quota-Count', b'Invalid count quota.')):
            value = req.headers.get(header)
            if value and not value.isdigit():
                return HTTPBadRequest(request=req, body=body)
        return None

    def check_upload(self, req):
        """413 (or an auth denial) when an object PUT breaks a quota, else None."""
        info = get_container_info(req.environ, self.app, swift_source='CQ')
        if not info or not is_success(info.get('status') or 0):
            return None   # the proxy will 404
        meta = info.get('meta') or {}
        quota_bytes = meta.get('quota-bytes', '')
        if quota_bytes.isdigit():
            try:
                content_length = req.content_length or 0
            except ValueError:
                content_length = 0   # the proxy answers the bad length
            new_size = (_int_or_none(info.get('bytes')) or 0) + content_length
            if int(quota_bytes) < new_size:
                return self.bad_response(req, info)
        quota_count = meta.get('quota-count', '')
        if quota_count.isdigit():
            new_count = (_int_or_none(info.get('object_count')) or 0) + 1
            if int(quota_count) < new_count:
                return self.bad_response(req, info)
        return None

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(3, 4, True)
        if parts is None:
            return self.app(env, start_response)
        _version, _account, _container, obj = parts
        resp = None
        if not obj and req.method in ('PUT', 'POST'):
            resp = self.check_quota_headers(req)
        elif obj and req.method == 'PUT':
            resp = self.check_upload(req)
        if resp is None:
            return self.app(env, start_response)
        return resp(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#container_quotas``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: ContainerQuotaMiddleware(app, conf)
