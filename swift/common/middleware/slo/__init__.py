# Static large objects (Swift's slo middleware): an object whose body is the
# concatenation of other objects (segments) listed in a JSON manifest.
# Routing (object paths only):
#   PUT ?multipart-manifest=put        -> put.py (create the manifest)
#   GET/HEAD                           -> get.py (whole object, ranges, or the
#                                         manifest itself with multipart-manifest=get)
#   DELETE ?multipart-manifest=delete  -> delete.py (segments, then the manifest)
#   any other PUT/POST carrying X-Static-Large-Object -> 400 (reserved header);
#   a plain PUT drops X-Object-Sysmeta-Slo-* (a copied large object is a plain one);
#   both unless env ``swift.slo_override`` is set (internal clients such as
#   container sync writing a manifest as it is).
# Container GET (JSON, as listing_formats asks for): entries whose hash carries
# ``; slo_etag=<etag>`` get ``"slo_etag": "\"<etag>\""`` and their plain hash back.
# /info section ``slo``: max_manifest_segments, max_manifest_size, yield_frequency,
# min_segment_size (1), allow_async_delete.
"""slo middleware (paste filter ``egg:swift#slo``)."""

import json
from dataclasses import dataclass

from swift.common.clock import REAL_CLOCK
from swift.common.config import ConfigError, options_from_conf
from swift.common.logs import get_logger
from swift.common.middleware.slo.delete import ManifestDelete
from swift.common.middleware.slo.get import SloGetContext
from swift.common.middleware.slo.put import ManifestPut
from swift.common.middleware.slo.segments import SloError
from swift.common.swob import HTTPBadRequest, HTTPException, Request
from swift.proxy.controllers.info import register_swift_info

MIN_SEGMENT_SIZE_BYTES = 1                    # Swift advertises this fixed value
# Swift's MAX_CONTAINER_LISTING_CONTENT_LENGTH: bigger listings pass untouched
LISTING_MAX_BYTES = 4 * 1024 * 1024
SYSMETA_SLO_PREFIX = 'x-object-sysmeta-slo-'


@dataclass(frozen=True)
class SloConfig:
    """The slo options, with Swift's names, defaults and units."""
    max_manifest_segments: int = 1000        # object-backed segments per manifest
    max_manifest_size: int = 8388608         # bytes of a client manifest
    rate_limit_under_size: int = 1048576     # bytes: smaller segments are rate limited
    rate_limit_after_segment: int = 10       # small segments served before limiting
    rate_limit_segments_per_sec: float = 1.0  # small segments per second after that
    max_get_time: int = 86400                # seconds a large object GET may take
    concurrency: int = 2                     # parallel segment HEADs during PUT
    delete_concurrency: int = 2              # parallel segment DELETEs
    yield_frequency: int = 10                # seconds between heartbeat spaces
    allow_async_delete: bool = True          # honour ?async=true on manifest DELETE

    @classmethod
    def from_conf(cls, conf: dict) -> 'SloConfig':
        """Build from a paste conf dict.

        :raises ConfigError: naming the option that is not a number (or < 1 where a
            count is needed).
        """
        values = options_from_conf(cls, conf)
        for name in ('concurrency', 'delete_concurrency'):
            values[name] = min(100, max(1, values[name]))   # Swift's bounds
        for name in ('max_manifest_segments', 'max_manifest_size'):
            if values[name] < 1:
                raise ConfigError('%s must be at least 1' % name, option=name)
        return cls(**values)


class StaticLargeObject:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf dict or :class:`SloConfig`.
    :param logger: logger (default from conf, route ``slo``).
    :param clock: Clock for rate limiting, max_get_time and heartbeats.
    """

    def __init__(self, app, conf, *, logger=None, clock=None):
        self.app = app
        raw = conf if isinstance(conf, dict) else {}
        self.config = conf if isinstance(conf, SloConfig) else SloConfig.from_conf(conf)
        self.logger = logger or get_logger(raw, log_route='slo')
        self.clock = clock or REAL_CLOCK
        register_swift_info(app, 'slo',
                            max_manifest_segments=self.config.max_manifest_segments,
                            max_manifest_size=self.config.max_manifest_size,
                            yield_frequency=self.config.yield_frequency,
                            min_segment_size=MIN_SEGMENT_SIZE_BYTES,
                            allow_async_delete=self.config.allow_async_delete)

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(3, 4, True)
        if parts is None:
            return self.app(env, start_response)
        _version, _account, container, obj = parts
        try:
            if not obj:
                if req.method == 'GET':
                    return self.handle_container_listing(req, start_response)
                return self.app(env, start_response)
            return self._object_request(req, start_response)
        except HTTPException as err:
            return err(env, start_response)
        except SloError as err:
            self.logger.error('%s', err)
            return HTTPBadRequest(request=req, body=str(err).encode('utf-8'))(
                env, start_response)

    def _object_request(self, req, start_response):
        multipart = req.params.get('multipart-manifest')
        if req.method == 'PUT' and multipart == 'put':
            return ManifestPut(self, req).handle(start_response)
        if req.method == 'DELETE' and multipart == 'delete':
            return ManifestDelete(self, req).handle(start_response)
        if req.method in ('GET', 'HEAD'):
            return SloGetContext(self, req).handle(start_response)
        if req.environ.get('swift.slo_override'):
            # an internal client (e.g. container sync) writing a manifest as it is
            return self.app(req.environ, start_response)
        if 'X-Static-Large-Object' in req.headers:
            raise HTTPBadRequest(
                request=req, content_type='text/plain',
                body=b'X-Static-Large-Object is a reserved header. To create a static '
                     b'large object add query param multipart-manifest=put.')
        if req.method == 'PUT':
            for key in [k for k in req.headers.keys()
                        if k.lower().startswith(SYSMETA_SLO_PREFIX)]:
                del req.headers[key]
        return self.app(req.environ, start_response)

    def handle_container_listing(self, req, start_response):
        """Container GET: give SLO entries ``slo_etag`` (see module doc)."""
        resp = req.get_response(self.app)
        if not resp.is_success or resp.content_type != 'application/json' or \
                resp.content_length is None or resp.content_length > LISTING_MAX_BYTES:
            return resp(req.environ, start_response)
        try:
            listing = json.loads(resp.body)
        except ValueError:
            return resp(req.environ, start_response)
        if not isinstance(listing, list):
            return resp(req.environ, start_response)
        changed = False
        for item in listing:
            if isinstance(item, dict) and isinstance(item.get('hash'), str):
                changed = _split_slo_etag(item) or changed
        if changed:
            resp.body = json.dumps(listing).encode('ascii')
        return resp(req.environ, start_response)


def _split_slo_etag(item: dict) -> bool:
    """``hash: "<md5>; slo_etag=<e>"`` -> hash ``<md5>`` and ``slo_etag: "\"<e>\""``
    (other parameters stay on the hash).

    :returns: True when the item was changed.
    """
    etag, _sep, rest = item['hash'].partition(';')
    params = []
    slo_etag = None
    for param in rest.split(';'):
        key, _eq, value = param.strip().partition('=')
        if not key:
            continue
        if key == 'slo_etag':
            slo_etag = value
        else:
            params.append((key, value))
    if slo_etag is None:
        return False
    item['slo_etag'] = '"%s"' % slo_etag
    item['hash'] = etag.strip() + ''.join('; %s=%s' % kv for kv in params)
    return True


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#slo``).

    :raises ConfigError: for a bad option, at load time.
    """
    conf = dict(global_conf)
    conf.update(local_conf)
    SloConfig.from_conf(conf)
    return lambda app: StaticLargeObject(app, conf)
