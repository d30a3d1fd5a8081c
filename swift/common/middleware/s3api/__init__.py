# The S3 REST API on top of Swift (Swift's s3api middleware, placed right before the
# auth middleware: ``... ratelimit s3api tempauth ...``).
# Rules:
#   * a request with an S3 signature (V2/V4, header or query) is served here as S3;
#     any other request passes to Swift untouched;
#   * S3 paths are ``/<bucket>[/<key>]`` (or the bucket in the Host under
#     storage_domain); each S3 operation is done as Swift subrequests on
#     ``/v1/<account>/<bucket>[/<key>]`` through the rest of the pipeline, which
#     authenticates them with ``s3api.auth_details`` (see s3request.py);
#   * every failure is an S3 ``<Error>`` XML answer (errors.py), never a traceback;
#     every answer carries x-amz-request-id and x-amz-id-2 (the transaction id);
#   * multipart uploads are SLOs whose parts live in ``<bucket>+segments``
#     (multipart.py).
# /info section ``s3api``: max_bucket_listing, max_parts_listing, max_upload_part_num,
# max_multi_delete_objects, allow_multipart_uploads, min_segment_size, s3_acl.
"""s3api middleware (paste filter ``egg:swift#s3api``)."""

from dataclasses import dataclass

from swift.common.clock import REAL_CLOCK
from swift.common.config import options_from_conf
from swift.common.logs import get_logger
from swift.common.middleware.s3api import bucket, errors, multi_delete, multipart, obj
from swift.common.middleware.s3api.s3request import NotS3Request, S3Request
from swift.common.swob import Request, wsgi_to_str
from swift.proxy.controllers.info import register_swift_info

# sub-resources S3 has and we do not implement (NotImplemented, as Swift's s3api)
UNSUPPORTED_SUBRESOURCES = frozenset((
    'cors', 'policy', 'lifecycle', 'tagging', 'website', 'logging', 'notification',
    'replication', 'encryption', 'object-lock', 'requestPayment', 'accelerate',
    'analytics', 'inventory', 'metrics', 'ownershipControls', 'publicAccessBlock',
    'intelligent-tiering', 'versions', 'restore', 'select', 'torrent', 'retention',
    'legal-hold', 'policyStatus', 'attributes'))


@dataclass(frozen=True)
class S3ApiConfig:
    """The s3api options, with Swift's names and defaults."""
    location: str = 'us-east-1'              # the only region we answer for
    dns_compliant_bucket_names: bool = True  # enforce S3's bucket-name rules
    max_bucket_listing: int = 1000           # keys per ListObjects page
    max_parts_listing: int = 1000            # parts per ListParts page
    max_multi_delete_objects: int = 1000     # keys per DeleteObjects request
    multi_delete_concurrency: int = 2        # keys deleted in parallel
    max_upload_part_num: int = 1000          # highest part number accepted
    allow_multipart_uploads: bool = True
    s3_acl: bool = False                     # S3 ACLs in sysmeta: not supported
    storage_domain: str = ''                 # virtual-hosted-style bucket domain
    min_segment_size: int = 5242880          # bytes: smallest part but the last
    allowable_clock_skew: int = 900          # seconds a signed date may be off

    @classmethod
    def from_conf(cls, conf: dict) -> 'S3ApiConfig':
        """Build from a paste conf dict.

        :raises ConfigError: naming an option that is not a number.
        """
        values = options_from_conf(cls, conf)
        values['storage_domain'] = values['storage_domain'].strip().lower()
        values['multi_delete_concurrency'] = min(100, max(1, values[
            'multi_delete_concurrency']))
        return cls(**values)


class S3ApiMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf dict or :class:`S3ApiConfig`.
    :param logger: logger (default route ``s3api``).
    :param clock: object with ``time()`` (request dates, presigned expiry).
    """

    def __init__(self, app, conf, *, logger=None, clock=None):
        self.app = app
        raw = conf if isinstance(conf, dict) else {}
        self.config = conf if isinstance(conf, S3ApiConfig) else \
            S3ApiConfig.from_conf(conf)
        self.logger = logger or get_logger(raw, log_route='s3api')
        self.clock = clock or REAL_CLOCK
        if self.config.s3_acl:
            self.logger.warning('s3_acl is not supported; buckets are private to '
                                'their account')
        config = self.config
        register_swift_info(app, 's3api',
                            max_bucket_listing=config.max_bucket_listing,
                            max_parts_listing=config.max_parts_listing,
                            max_upload_part_num=config.max_upload_part_num,
                            max_multi_delete_objects=config.max_multi_delete_objects,
                            allow_multipart_uploads=config.allow_multipart_uploads,
                            min_segment_size=config.min_segment_size,
                            s3_acl=config.s3_acl)

    def __call__(self, env, start_response):
        trans_id = env.get('swift.trans_id', '')
        try:
            s3req = S3Request(env, self.config, self.clock)
        except NotS3Request:
            return self.app(env, start_response)
        except errors.S3Error as err:
            return err.response(trans_id, env['REQUEST_METHOD'])(env, start_response)
        except Exception:  # the request funnel: never a traceback to a client
            self.logger.exception('s3api: cannot parse %s %s (txn %s)',
                                  env.get('REQUEST_METHOD'), env.get('PATH_INFO'),
                                  trans_id)
            return errors.InternalError().response(
                trans_id, env.get('REQUEST_METHOD'))(env, start_response)
        try:
            resp = self.route(s3req)
        except errors.S3Error as err:
            resp = err.response(trans_id, s3req.method)
        except Exception:  # the request funnel: never a traceback to a client
            self.logger.exception('s3api: unexpected error for %s %s (txn %s)',
                                  s3req.method, env.get('PATH_INFO'), trans_id)
            resp = errors.InternalError().response(trans_id, s3req.method)
        resp.headers['x-amz-request-id'] = trans_id
        resp.headers['x-amz-id-2'] = trans_id
        resp.request = Request(env)
        return resp(env, amz_lower_case(start_response))

    def route(self, s3req):
        """The handler answer (Response) for ``s3req``.

        :raises S3Error: from the handlers.
        """
        app, method, params = self.app, s3req.method, s3req.params
        unsupported = UNSUPPORTED_SUBRESOURCES.intersection(params)
        if unsupported:
            raise errors.NotImplementedError_()
        if s3req.bucket is None:
            if method == 'GET':
                return bucket.list_buckets(s3req, app)
            raise errors.MethodNotAllowed(Method=method, ResourceType='SERVICE')
        if s3req.object_name is None:
            return self.route_bucket(s3req, app, method, params)
        return self.route_object(s3req, app, method, params)

    def route_bucket(self, s3req, app, method, params):
        if method in ('GET', 'HEAD') and 'acl' in params:
            bucket.check_bucket(s3req, app)
            return bucket.canned_acl(s3req)
        if method == 'GET':
            if 'location' in params:
                return bucket.get_location(s3req, app)
            if 'versioning' in params:
                return bucket.get_versioning(s3req, app)
            if 'uploads' in params:
                return multipart.list_uploads(s3req, app)
            return bucket.list_objects(s3req, app)
        if method == 'HEAD':
            return bucket.head_bucket(s3req, app)
        if method == 'PUT':
            if 'acl' in params or 'versioning' in params:
                raise errors.NotImplementedError_()
            return bucket.create_bucket(s3req, app)
        if method == 'DELETE':
            return bucket.delete_bucket(s3req, app)
        if method == 'POST' and 'delete' in params:
            return multi_delete.delete_objects(s3req, app)
        raise errors.MethodNotAllowed(Method=method, ResourceType='BUCKET')

    def route_object(self, s3req, app, method, params):
        version_id = params.get('versionId')
        if version_id is not None and version_id != 'null':
            # no versioning here: only the null version exists (S3's answer then)
            raise errors.InvalidArgument('Invalid version id specified',
                                         ArgumentName='versionId',
                                         ArgumentValue=wsgi_to_str(version_id)[:64])
        if 'uploadId' in params or 'uploads' in params:
            if not self.config.allow_multipart_uploads:
                raise errors.NotImplementedError_()
            return multipart.route(s3req, app, method, params)
        if method in ('GET', 'HEAD') and 'acl' in params:
            obj.head_copy_source(s3req, app, s3req.bucket, s3req.object_name)
            return bucket.canned_acl(s3req)
        if method in ('GET', 'HEAD'):
            return obj.get_object(s3req, app)
        if method == 'PUT':
            if 'acl' in params:
                raise errors.NotImplementedError_()
            return obj.put_object(s3req, app)
        if method == 'DELETE':
            return obj.delete_object(s3req, app)
        raise errors.MethodNotAllowed(Method=method, ResourceType='OBJECT')


def amz_lower_case(start_response):
    """A start_response that sends ``x-amz-*`` header names in lower case, as AWS
    does (SDKs take user-metadata names from them verbatim)."""
    def wrapped(status, headers, exc_info=None):
        headers = [(name.lower() if name.lower().startswith('x-amz-') else name, value)
                   for name, value in headers]
        return start_response(status, headers, exc_info)
    return wrapped


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#s3api``).

    :raises ConfigError: for a bad option, at load time.
    """
    conf = dict(global_conf)
    conf.update(local_conf)
    S3ApiConfig.from_conf(conf)
    return lambda app: S3ApiMiddleware(app, conf)
