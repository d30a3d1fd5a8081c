# Object versioning (Swift 2.38's versioned_writes filter), legacy mode:
#   * container side (legacy_container.py): X-Versions-Location (stack mode) and
#     X-History-Location (history mode) stored as container sysmeta;
#   * object side (legacy_object.py): an object PUT/DELETE in a versioned container
#     archives the current version first; DELETE restores (stack) or leaves a delete
#     marker (history).
# Options (Swift's): ``allow_versioned_writes`` has three states, as in Swift:
#   * absent: container requests pass untouched (the container server may keep a
#     plain X-Versions-Location, which then still versions objects - Swift's
#     backwards compatibility with pre-middleware clusters);
#   * true: versioning can be set; /info gets ``versioned_writes`` with
#     ``allowed_flags`` [x-versions-location, x-history-location];
#   * false: setting a location is 412 ``Versioned Writes is disabled`` and stored
#     locations version nothing.
# ``allow_object_versioning`` (Swift's new X-Versions-Enabled mode) is accepted and
# must be false: that mode is not implemented here (the filter refuses to load).
# Only PUT and DELETE of objects are versioned: COPY arrives here as a PUT (copy is
# above), a POST only changes metadata (fast-post, the only mode of Swift 2.38).
"""versioned_writes middleware (paste filter ``egg:swift#versioned_writes``)."""

from dataclasses import dataclass
from typing import Optional

from swift.common.clock import REAL_CLOCK
from swift.common.config import ConfigError, config_true_value
from swift.common.constraints import Constraints
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.logs import get_logger
from swift.common.middleware.versioned_writes.legacy_container import (
    CLIENT_HISTORY_LOC, CLIENT_VERSIONS_LOC, HISTORY_MODE, add_client_location,
    translate_container_request)
from swift.common.middleware.versioned_writes.legacy_object import (
    EarlyResponse, LegacyVersioning)
from swift.common.swob import HTTPException, Request, wsgi_unquote
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_container_info


@dataclass(frozen=True)
class VersionedWritesConfig:
    """versioned_writes options.

    :ivar allow_versioned_writes: None when the option is absent, else its boolean
        (see the module doc: absent and false differ).
    :ivar allow_object_versioning: Swift's new versioning mode (not supported here).
    """
    allow_versioned_writes: Optional[bool] = None
    allow_object_versioning: bool = False

    @classmethod
    def from_conf(cls, conf: dict) -> 'VersionedWritesConfig':
        """From a paste conf dict (Swift's names; Swift's 'set but empty' counts as
        absent).

        :raises ConfigError: allow_object_versioning is true (unsupported mode).
        """
        raw = conf.get('allow_versioned_writes')
        allow = config_true_value(raw) if raw else None
        object_versioning = config_true_value(conf.get('allow_object_versioning'))
        if object_versioning:
            raise ConfigError('allow_object_versioning: the X-Versions-Enabled mode '
                              'is not implemented; set it false',
                              option='allow_object_versioning')
        return cls(allow_versioned_writes=allow,
                   allow_object_versioning=object_versioning)


class VersionedWritesMiddleware:
    """The filter (see the module doc).

    :param app: next WSGI app.
    :param conf: paste conf (options above, ``swift_dir`` for max_file_size).
    :param logger: injectable logger.
    :param clock: Clock for delete marker names (default the real one).
    :param config: a :class:`VersionedWritesConfig` (default: from ``conf``).
    :param constraints: :class:`Constraints` (default from swift_dir).
    """

    def __init__(self, app, conf=None, *, logger=None, clock=None, config=None,
                 constraints=None):
        self.app = app
        conf = conf or {}
        self.logger = logger or get_logger(conf, log_route='versioned_writes')
        self.config = config or VersionedWritesConfig.from_conf(conf)
        constraints = constraints or Constraints.from_swift_dir(
            conf.get('swift_dir', '/etc/swift'))
        self.legacy = LegacyVersioning(app, clock=clock or REAL_CLOCK,
                                       max_file_size=constraints.max_file_size)
        if self.config.allow_versioned_writes:
            register_swift_info(app, 'versioned_writes', allowed_flags=[
                CLIENT_VERSIONS_LOC, CLIENT_HISTORY_LOC])

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(3, 4, True)
        if parts is None:
            return self.app(env, start_response)
        version, account, container, obj = parts
        allow = self.config.allow_versioned_writes
        try:
            if allow is not None and container and not obj:
                return self.container_request(req, start_response, allow)
            if obj and req.method in ('PUT', 'DELETE'):
                next_req = self.object_request(req, version, account, container, obj)
                if next_req is not None:
                    return self.app(next_req.environ, start_response)
        except HTTPException as err:
            return err(env, start_response)
        except EarlyResponse as err:
            return err.response(env, start_response)
        return self.app(env, start_response)

    def container_request(self, req, start_response, enabled):
        """Translate the request's headers, then the response's sysmeta."""
        translate_container_request(req, enabled)
        status, headers, app_iter = req.call_application(self.app)
        headers = HeaderKeyDict(headers)
        add_client_location(headers)
        start_response(status, list(headers.items()))
        return app_iter

    def versions_location(self, container_info):
        """(archive container or None, mode) of a versioned container's info."""
        sysmeta = container_info.get('sysmeta') or {}
        location = sysmeta.get('versions-location')
        mode = sysmeta.get('versions-mode') or 'stack'
        enabled = bool(self.config.allow_versioned_writes)
        if not location:
            # a location stored before the middleware existed (plain metadata)
            location = container_info.get('versions')
            if self.config.allow_versioned_writes is None and location:
                enabled = True
        if not (enabled and location):
            return None, mode
        return wsgi_unquote(location).split('/')[0], mode

    def object_request(self, req, version, account, container, obj):
        """Versioned PUT/DELETE: archive work done, returns the request to pass on
        (None when the container is not versioned).

        :raises HTTPException: 412/503 from an archive step.
        :raises EarlyResponse: the client may not write the container.
        """
        info = get_container_info(req.environ, self.app, swift_source='VW')
        archive, mode = self.versions_location(info)
        if not archive:
            return None
        legacy = self.legacy
        if req.method == 'PUT':
            return legacy.handle_put(req, info, archive, version, account, obj)
        if mode == HISTORY_MODE:
            return legacy.handle_delete_push(req, info, archive, version, account, obj)
        return legacy.handle_delete_pop(req, info, archive, version, account,
                                        container, obj)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#versioned_writes``).

    :raises ConfigError: a bad option (at load time).
    """
    conf = dict(global_conf)
    conf.update(local_conf)
    VersionedWritesConfig.from_conf(conf)
    return lambda app: VersionedWritesMiddleware(app, conf)
