# Account quotas (Swift's account_quotas). Only a reseller admin
# (env['reseller_request'] is True, set by the auth middleware) may set them, on
# account PUT/POST:
#   X-Account-Quota-Bytes, X-Account-Quota-Count          (stored as account sysmeta
#   X-Account-Quota-{Bytes,Count}-Policy-<policy name>     X-Account-Sysmeta-Quota-*,
#                                                          per policy by index)
#   X-Account-Meta-Quota-Bytes                             (legacy, user metadata)
# and X-Remove-<same> to clear. Rules:
#   * anyone else sending one of them gets 403; a non-integer value gets 400;
#   * account GET/HEAD show the sysmeta quotas as X-Account-Quota-* to the account user;
#   * an object PUT that would take the account's bytes (+ Content-Length) or object
#     count (+ 1), overall or in the container's policy, above a quota -> 413
#     ``Upload exceeds quota.``; an empty account is checked too (field case BL-21);
#   * the 413 only answers requests that would otherwise be authorized: it is raised
#     from inside env['swift.authorize'] after the original hook allowed the request,
#     so unauthorized users still get 401/403 (and learn nothing about quotas);
#   * reseller requests are never limited. COPY/X-Copy-From arrive as PUTs with the
#     source length (the copy middleware sits before this one).
"""account_quotas middleware."""

from swift.common.http_status import is_success
from swift.common.request_helpers import make_subrequest
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.swob import (HTTPBadRequest, HTTPForbidden, HTTPRequestEntityTooLarge,
                               Request)
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_account_info, get_container_info

QUOTA_ERROR_BODY = b'Upload exceeds quota.'
QUOTA_TYPES = ('Quota-Bytes', 'Quota-Count')
LEGACY_HEADER = 'X-Account-Meta-Quota-Bytes'


class QuotaHeaderError(Exception):
    """A quota header the client may not send, or a malformed one.

    :ivar status: 403 (not a reseller) or 400 (not an integer).
    :ivar header: the offending header name.
    """

    def __init__(self, status, header):
        super().__init__('%s: %s' % (status, header))
        self.status = status
        self.header = header


def _int_or(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class AccountQuotaMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf (``swift_dir`` locates swift.conf for policy names).
    :param policies: :class:`StoragePolicyCollection` (default from swift_dir).
    """

    def __init__(self, app, conf=None, *, policies=None):
        self.app = app
        conf = conf or {}
        self.policies = policies or StoragePolicyCollection.from_swift_dir(
            conf.get('swift_dir', '/etc/swift'))
        register_swift_info(app, 'account_quotas')

    # -- account requests: setting and showing quotas
    def _new_quotas(self, req, quota_type):
        """{policy index or None: value or '' (remove)} the client sends."""
        quotas = {}
        value = req.headers.get('X-Account-%s' % quota_type)
        if req.headers.get('X-Remove-Account-%s' % quota_type):
            value = ''   # X-Remove dominates when both are present
        if value is not None:
            quotas[None] = value
        for policy in self.policies:
            tail = 'Account-%s-Policy-%s' % (quota_type, policy.name)
            value = req.headers.pop('X-' + tail, None)
            if req.headers.get('X-Remove-' + tail):
                value = ''
            req.headers.pop('X-Remove-' + tail, None)
            if value is not None:
                quotas[policy.idx] = value
        req.headers.pop('X-Remove-Account-%s' % quota_type, None)
        return quotas

    def translate_quotas(self, req):
        """Validate the quota headers of an account PUT/POST and turn them into
        sysmeta headers.

        :raises QuotaHeaderError: 403 for a non-reseller, 400 for a bad value.
        """
        reseller = req.environ.get('reseller_request') is True
        legacy = req.headers.get(LEGACY_HEADER)
        if req.headers.get('X-Remove-Account-Meta-Quota-Bytes'):
            legacy = '0'
        if legacy is not None:
            if not reseller:
                raise QuotaHeaderError(403, LEGACY_HEADER)
            if legacy and not legacy.isdigit():
                raise QuotaHeaderError(400, LEGACY_HEADER)
        for quota_type in QUOTA_TYPES:
            quotas = self._new_quotas(req, quota_type)
            if quotas and not reseller:
                raise QuotaHeaderError(403, 'X-Account-%s' % quota_type)
            if any(value and not value.isdigit() for value in quotas.values()):
                raise QuotaHeaderError(400, 'X-Account-%s' % quota_type)
            for index, value in quotas.items():
                if index is None:
                    req.headers['X-Account-Sysmeta-%s' % quota_type] = value
                else:
                    req.headers['X-Account-Sysmeta-%s-Policy-%d' % (quota_type, index)] \
                        = value
            req.headers.pop('X-Account-%s' % quota_type, None)

    def show_quotas(self, resp):
        """Expose the sysmeta quotas as X-Account-Quota-* (the user may see them)."""
        for quota_type in QUOTA_TYPES:
            value = resp.headers.get('X-Account-Sysmeta-%s' % quota_type)
            if value:
                resp.headers['X-Account-%s' % quota_type] = value
            for policy in self.policies:
                value = resp.headers.get('X-Account-Sysmeta-%s-Policy-%d'
                                         % (quota_type, policy.idx))
                if value:
                    resp.headers['X-Account-%s-Policy-%s' % (quota_type, policy.name)] \
                        = value
        return resp

    def handle_account(self, req):
        """Account request: quota headers checked on PUT/POST, shown on replies."""
        if req.method in ('PUT', 'POST'):
            try:
                self.translate_quotas(req)
            except QuotaHeaderError as err:
                if err.status == 403:
                    return HTTPForbidden(request=req)
                return HTTPBadRequest(request=req)
        return self.show_quotas(req.get_response(self.app))

    # -- object PUT: enforcing quotas
    def _policy_usage(self, req, account_info, policy_index):
        """(bytes, object_count) the account holds in ``policy_index``: from the
        info's ``storage_policies`` (Swift's shape) when present, else from the
        account's X-Account-Storage-Policy-<name>-* headers (one HEAD)."""
        per_policy = account_info.get('storage_policies')
        if per_policy is not None:
            stats = per_policy.get(policy_index) or per_policy.get(str(policy_index)) \
                or {}
            return _int_or(stats.get('bytes'), 0), _int_or(stats.get('object_count'), 0)
        policy = self.policies.get_by_index(policy_index)
        if policy is None:
            return 0, 0
        version, account = req.split_path(2, 4, True)[:2]
        head = make_subrequest(req.environ, method='HEAD',
                               path='/%s/%s' % (version, account), swift_source='AQ')
        for key in ('swift.authorize', 'REMOTE_USER'):
            head.environ.pop(key, None)   # a usage lookup, not the client's request
        headers = head.get_response(self.app).headers
        prefix = 'X-Account-Storage-Policy-%s-' % policy.name
        return (_int_or(headers.get(prefix + 'Bytes-Used'), 0),
                _int_or(headers.get(prefix + 'Object-Count'), 0))

    def exceeded(self, req, account_info, content_length):
        """True when storing ``content_length`` more bytes breaks a quota."""
        sysmeta = account_info.get('sysmeta') or {}
        meta = account_info.get('meta') or {}
        used_bytes = _int_or(account_info.get('bytes'), 0)
        used_count = _int_or(account_info.get('total_object_count'), 0)
        limits = [(meta.get('quota-bytes'), used_bytes + content_length),
                  (sysmeta.get('quota-bytes'), used_bytes + content_length),
                  (sysmeta.get('quota-count'), used_count + 1)]
        if any(key.startswith(('quota-bytes-policy-', 'quota-count-policy-'))
               for key in sysmeta):
            container_info = get_container_info(req.environ, self.app,
                                                swift_source='AQ')
            index = _int_or(container_info.get('storage_policy'), 0)
            policy_bytes, policy_count = self._policy_usage(req, account_info, index)
            limits.append((sysmeta.get('quota-bytes-policy-%d' % index),
                           policy_bytes + content_length))
            limits.append((sysmeta.get('quota-count-policy-%d' % index),
                           policy_count + 1))
        return any(quota is not None and str(quota).isdigit() and int(quota) < wanted
                   for quota, wanted in limits)

    def handle_object_put(self, req):
        """None to pass the PUT on (with the auth hook possibly wrapped), or a 413."""
        if req.environ.get('reseller_request') is True:
            return None   # resellers are not constrained by quotas
        account_info = get_account_info(req.environ, self.app, swift_source='AQ')
        if not account_info or not is_success(account_info.get('status') or 0):
            return None
        try:
            content_length = req.content_length or 0
        except ValueError:
            content_length = 0   # the proxy answers the bad length
        if not self.exceeded(req, account_info, content_length):
            return None
        too_large = HTTPRequestEntityTooLarge(request=req, body=QUOTA_ERROR_BODY)
        authorize = req.environ.get('swift.authorize')
        if authorize is None:
            return too_large

        def reject_authorize(*args, **kwargs):
            denial = authorize(*args, **kwargs)
            return denial if denial else too_large
        req.environ['swift.authorize'] = reject_authorize
        return None

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(2, 4, True)
        if parts is None:
            return self.app(env, start_response)
        _version, _account, container, obj = parts
        if not container:
            return self.handle_account(req)(env, start_response)
        if req.method == 'PUT' and obj:
            resp = self.handle_object_put(req)
            if resp is not None:
                return resp(env, start_response)
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#account_quotas``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: AccountQuotaMiddleware(app, conf)
