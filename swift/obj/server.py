# Owns the object server's HTTP face (catalog 5): it routes backend requests
# ``/<device>/<partition>/<account>/<container>/<object>`` to DiskFile calls and turns
# storage errors into Swift's statuses (404 not found/deleted/expired/quarantined, 409
# not newer, 412 conditions, 422 ETag mismatch, 507 device unavailable or full).
# Container and expirer-queue updates are delegated to swift.obj.updates.
"""The object server WSGI app: :class:`ObjectController`, ``app_factory``, ``main``."""

import pickle
import time
from dataclasses import dataclass

from swift.common import concurrency
from swift.common.backend_request import handles_options, options_response
from swift.common.config import config_bool, config_number, config_true_value
from swift.common.constraints import ConstraintError, Constraints, check_metadata
from swift.common.hashing import HashPathConfig
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.swob import (HTTPAccepted, HTTPBadRequest, HTTPConflict, HTTPCreated,
                               HTTPException, HTTPForbidden, HTTPInsufficientStorage,
                               HTTPMethodNotAllowed, HTTPNoContent, HTTPNotFound,
                               HTTPNotImplemented,
                               HTTPPreconditionFailed, HTTPServerError,
                               HTTPServiceUnavailable, Request, Response, split_path,
                               wsgi_to_str)
from swift.common.timestamp import InvalidTimestamp, Timestamp
from swift.obj import errors
from swift.obj.async_pending import make_update
from swift.obj.body import read_body, validate_put
from swift.obj.diskfile import DiskFileConfig, DiskFileManager
from swift.obj.updates import (EMPTY_ETAG, UpdateSender, expirer_container,
                               expirer_task_name, parse_update_targets, user_agent)

DEFAULT_ALLOWED_HEADERS = ('Content-Disposition, Content-Encoding, X-Delete-At, '
                           'X-Object-Manifest, X-Static-Large-Object, Cache-Control, '
                           'Content-Language, Expires, X-Robots-Tag')
ALLOWED_METHODS = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'REPLICATE', 'SSYNC')
REPLICATION_METHODS = ('REPLICATE', 'SSYNC')
_META_PREFIXES = ('x-object-meta-', 'x-object-sysmeta-', 'x-object-transient-sysmeta-')
_POST_META_PREFIXES = ('x-object-meta-', 'x-object-transient-sysmeta-')
_BACKEND_OVERRIDE = 'x-backend-container-update-override-'
_SYSMETA_OVERRIDE = 'x-object-sysmeta-container-update-override-'


@dataclass(frozen=True)
class ObjectServerConfig:
    """Options of ``[app:object-server]`` (Swift's names and defaults).

    :ivar swift_dir: where swift.conf and rings live.
    :ivar conn_timeout_s: connect timeout for container updates (``conn_timeout``).
    :ivar node_timeout_s: response timeout for container updates (``node_timeout``).
    :ivar container_update_timeout_s: how long a request waits for its container
        updates before answering (they go on in the background).
    :ivar client_timeout_s: longest wait for one chunk of a PUT body.
    :ivar max_upload_time_s: longest a whole PUT body may take (408 after).
    :ivar network_chunk_bytes: read size for PUT bodies.
    :ivar allowed_headers: lower-case headers kept as object metadata.
    :ivar auto_create_account_prefix: prefix of hidden accounts (``.``).
    :ivar expiring_objects_account_name: without the prefix.
    :ivar expiring_objects_container_divisor: seconds per task container.
    :ivar keep_cache_private: keep authenticated GETs in the page cache too.
    :ivar replication_server: None (unset: every verb), True (only REPLICATE and
        SSYNC) or False (every verb but those), as Swift's ``replication_server``.
    :ivar log_requests: write one access line per request (Swift's default).
    :ivar replication_concurrency: SSYNC sessions served at once (0 = unlimited).
    :ivar replication_failure_threshold: SSYNC update failures before the ratio counts.
    :ivar replication_failure_ratio: failures/successes that abort an SSYNC session.
    :ivar diskfile: the storage options (:class:`DiskFileConfig`).
    """
    swift_dir: str = '/etc/swift'
    conn_timeout_s: float = 0.5
    node_timeout_s: float = 3.0
    container_update_timeout_s: float = 1.0
    client_timeout_s: float = 60.0
    max_upload_time_s: float = 86400.0
    network_chunk_bytes: int = 65536
    allowed_headers: frozenset = frozenset(
        h.strip().lower() for h in DEFAULT_ALLOWED_HEADERS.split(','))
    auto_create_account_prefix: str = '.'
    expiring_objects_account_name: str = 'expiring_objects'
    expiring_objects_container_divisor: int = 86400
    keep_cache_private: bool = False
    replication_server: object = None
    log_requests: bool = True
    replication_concurrency: int = 4
    replication_failure_threshold: int = 100
    replication_failure_ratio: float = 1.0
    diskfile: DiskFileConfig = DiskFileConfig()

    @classmethod
    def from_conf(cls, conf):
        """Build from the merged app conf (strings).

        :raises swift.common.config.ConfigError: naming the bad option.
        """
        def number(name, kind, default, minimum=0):
            return config_number(conf.get(name, default), kind, name, minimum)
        allowed = conf.get('allowed_headers', DEFAULT_ALLOWED_HEADERS)
        replication = conf.get('replication_server')
        return cls(
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            conn_timeout_s=number('conn_timeout', float, 0.5),
            node_timeout_s=number('node_timeout', float, 3.0),
            container_update_timeout_s=number('container_update_timeout', float, 1.0),
            client_timeout_s=number('client_timeout', float, 60.0),
            max_upload_time_s=number('max_upload_time', float, 86400.0),
            network_chunk_bytes=number('network_chunk_size', int, 65536, 1),
            allowed_headers=frozenset(h.strip().lower() for h in allowed.split(',')
                                      if h.strip()),
            auto_create_account_prefix=conf.get('auto_create_account_prefix', '.'),
            expiring_objects_account_name=conf.get('expiring_objects_account_name',
                                                   'expiring_objects'),
            expiring_objects_container_divisor=number(
                'expiring_objects_container_divisor', int, 86400, 1),
            keep_cache_private=config_bool(conf.get('keep_cache_private', 'false'),
                                           'keep_cache_private'),
            replication_server=None if replication in (None, '')
            else config_bool(replication, 'replication_server'),
            log_requests=config_bool(conf.get('log_requests', 'true'), 'log_requests'),
            replication_concurrency=number('replication_concurrency', int, 4),
            replication_failure_threshold=number('replication_failure_threshold', int, 100),
            replication_failure_ratio=number('replication_failure_ratio', float, 1.0),
            diskfile=DiskFileConfig.from_conf(conf))

    @property
    def expiring_objects_account(self):
        """``.expiring_objects``."""
        return self.auto_create_account_prefix + self.expiring_objects_account_name


def apply_container_overrides(update_headers, source, sysmeta_only=False):
    """Apply ``X-Backend-Container-Update-Override-<Name>`` and (taking precedence)
    ``X-Object-Sysmeta-Container-Update-Override-<Name>`` from ``source`` to the
    container update as ``X-<Name>`` (Swift's rule; SLO and EC use it for the listing's
    etag, size and content type)."""
    backend, sysmeta = [], []
    for key, value in source.items():  # one pass over the headers
        lower = key.lower()
        if lower.startswith(_SYSMETA_OVERRIDE):
            sysmeta.append(('X-' + key[len(_SYSMETA_OVERRIDE):], value))
        elif not sysmeta_only and lower.startswith(_BACKEND_OVERRIDE):
            backend.append(('X-' + key[len(_BACKEND_OVERRIDE):], value))
    for name, value in backend + sysmeta:
        update_headers[name] = value


def resolve_etag_is_at(request, metadata):
    """The etag conditional requests compare with: the first metadata item named in
    ``X-Backend-Etag-Is-At`` (csv) that exists, else None (the object's ETag)."""
    names = request.headers.get('X-Backend-Etag-Is-At')
    if not names:
        return None
    lowered = {key.lower(): value for key, value in metadata.items()}
    for name in names.split(','):
        value = lowered.get(name.strip().lower())
        if value is not None:
            return value
    return None


class ObjectController:
    """WSGI app answering Swift's backend object protocol.

    :param config: :class:`ObjectServerConfig`.
    :param logger: component logger.
    :param clock: :class:`swift.common.clock.Clock`.
    :param diskfile_manager: :class:`DiskFileManager` for this node's devices.
    :param policies: :class:`StoragePolicyCollection`.
    :param hash_config: the cluster's hash prefix/suffix.
    :param constraints: API constraints (metadata limits, max object size).
    :param http_connect: backend connection factory for container updates.
    """

    def __init__(self, config, *, logger, clock, diskfile_manager, policies,
                 hash_config, constraints=Constraints(), http_connect=None):
        keep_alive = http_connect is None   # the real client: connections reusable
        if http_connect is None:
            from swift.common.bufferedhttp import http_connect
        self.config = config
        self.logger = logger
        self.clock = clock
        self.diskfile_manager = diskfile_manager
        self.policies = policies
        self.hash_config = hash_config
        self.constraints = constraints
        self.sender = UpdateSender(http_connect=http_connect,
                                   conn_timeout_s=config.conn_timeout_s,
                                   node_timeout_s=config.node_timeout_s,
                                   keep_alive=keep_alive)
        replication_only = config.replication_server
        self.allowed_methods = tuple(
            m for m in ALLOWED_METHODS if replication_only is None
            or (m in REPLICATION_METHODS) == bool(replication_only))

    # ------------------------------------------------------------ the funnel

    def __call__(self, environ, start_response):
        start = time.time()
        request = Request(environ)
        self.logger.txn_id = request.headers.get('X-Trans-Id')
        try:
            response = self.handle_request(request)
        except HTTPException as error:
            response = error
        except (Exception, concurrency.Timeout):  # the request funnel (STYLE.md 9)
            self.logger.exception('ERROR __call__ error with %s %s', request.method,
                                  request.path)
            response = HTTPServerError(request=request, body=b'Internal error\n',
                                       content_type='text/plain')
        if response.request is None:
            response.request = request
        if self.config.log_requests and request.method not in ('REPLICATE', 'SSYNC'):
            self.logger.info('%s - - "%s %s" %s "%s" "%s" %.4f', request.remote_addr,
                             request.method, request.path, response.status_int,
                             request.headers.get('X-Trans-Id', '-'),
                             request.headers.get('User-Agent', '-'), time.time() - start)
        return response(environ, start_response)

    def handle_request(self, request):
        """Route ``request`` to its verb handler (Swift's order: path check, then
        OPTIONS, then the allowed verbs). :returns: a swob Response."""
        try:
            wsgi_to_str(request.path_info).encode('utf-8')
        except UnicodeEncodeError:
            return HTTPPreconditionFailed(request=request,
                                          body=b'Invalid UTF8 or contains NULL')
        if '\x00' in request.path_info:
            return HTTPPreconditionFailed(request=request,
                                          body=b'Invalid UTF8 or contains NULL')
        if request.method == 'OPTIONS' and \
                handles_options(self.config.replication_server):
            return options_response(request, 'object-server', self.allowed_methods)
        if request.method not in self.allowed_methods:
            return HTTPMethodNotAllowed(request=request)
        return getattr(self, request.method)(request)

    # ------------------------------------------------------------ helpers

    def _placement(self, request, minsegs=5, maxsegs=5):
        """(device, partition, account, container, obj, policy_index) as native str.

        :raises HTTPBadRequest: malformed path; HTTPServiceUnavailable: bad policy.
        """
        policy_text = request.headers.get('X-Backend-Storage-Policy-Index')
        policy = self.policies.get_by_index(policy_text)
        if policy is None:
            raise HTTPServiceUnavailable(
                request=request, content_type='text/plain',
                body=('No policy with index %s' % policy_text).encode('utf-8'))
        try:
            segments = split_path(request.path_info, minsegs, maxsegs, True)
            device, partition = segments[0], segments[1]
            if device in ('.', '..') or '/' in device or \
                    partition in ('.', '..') or '/' in partition:
                raise ValueError('Invalid device or partition')
        except ValueError as err:
            raise HTTPBadRequest(request=request, content_type='text/plain',
                                 body=str(err).encode('utf-8'))
        names = [wsgi_to_str(s) if s is not None else None for s in segments]
        return names + [policy.idx]

    @staticmethod
    def _timestamp(request):
        """X-Timestamp, required for writes. :raises HTTPBadRequest:"""
        value = request.headers.get('X-Timestamp')
        if value is None:
            raise HTTPBadRequest(request=request, content_type='text/plain',
                                 body=b'Missing X-Timestamp header')
        try:
            return Timestamp(value)
        except InvalidTimestamp:
            raise HTTPBadRequest(request=request, content_type='text/plain',
                                 body=('X-Timestamp should be a UNIX timestamp float '
                                       'value; was %r' % value).encode('utf-8'))

    def _diskfile(self, request, device, partition, account, container, obj,
                  policy_index, **kwargs):
        try:
            return self.diskfile_manager.get_diskfile(device, partition, account,
                                                      container, obj, policy_index,
                                                      **kwargs)
        except errors.DiskFileDeviceUnavailable:
            raise HTTPInsufficientStorage(request=request)

    @staticmethod
    def _storage_full(request, err):
        body = 'Insufficient Storage: %s\n' % err
        return HTTPInsufficientStorage(request=request, content_type='text/plain',
                                       body=body.encode('utf-8'))

    def _copy_headers(self, request, metadata, prefixes):
        """Copy user/sys metadata and allowed headers from ``request`` (in order)."""
        replication = set(h.lower() for h in request.headers.get(
            'X-Backend-Replication-Headers', '').split())
        for key, value in request.headers.items():
            lower = key.lower()
            if lower.startswith(prefixes) or lower in self.config.allowed_headers \
                    or lower in replication:
                metadata[key.title()] = value

    # ------------------------------------------------------------ PUT

    def PUT(self, request):
        """Store an object (streamed body, ETag verified, container updated)."""
        device, partition, account, container, obj, policy_index = \
            self._placement(request)
        req_timestamp = self._timestamp(request)
        length = validate_put(request, self.constraints, self.clock)
        try:
            check_metadata(request.headers, 'object', self.constraints)
        except ConstraintError as err:
            return HTTPBadRequest(request=request, content_type='text/plain',
                                  body=err.body.encode('utf-8'))
        new_delete_at = int(request.headers.get('X-Delete-At') or 0)
        disk_file = self._diskfile(request, device, partition, account, container, obj,
                                   policy_index)
        orig_metadata, orig_timestamp = self._read_for_write(request, disk_file,
                                                             req_timestamp)
        if_none_match = request.if_none_match
        if if_none_match is not None and orig_metadata:
            # a tombstone counts as no object here (field case BL-02)
            if if_none_match.is_star or orig_metadata.get('ETag') in if_none_match:
                return HTTPPreconditionFailed(request=request)
        if orig_timestamp >= req_timestamp:
            return HTTPConflict(request=request, headers={
                'X-Backend-Timestamp': orig_timestamp.internal})
        try:
            metadata = self._write_object(request, disk_file, length, req_timestamp)
        except errors.DiskFileNoSpace as err:
            return self._storage_full(request, err)
        except errors.DiskFileXattrNotSupported as err:
            return self._storage_full(request, err)
        if isinstance(metadata, Response):
            return metadata
        orig_delete_at = int(orig_metadata.get('X-Delete-At') or 0)
        if orig_delete_at != new_delete_at:
            if new_delete_at:
                self.delete_at_update('PUT', new_delete_at, account, container, obj,
                                      request, device, policy_index,
                                      metadata['Content-Length'])
            if orig_delete_at:
                self.delete_at_update('DELETE', orig_delete_at, account, container, obj,
                                      request, device, policy_index)
        update_headers = HeaderKeyDict([
            ('X-Size', metadata['Content-Length']),
            ('X-Content-Type', metadata['Content-Type']),
            ('X-Timestamp', metadata['X-Timestamp']),
            ('X-Etag', metadata['ETag'])])
        apply_container_overrides(update_headers, request.headers)
        self.container_update('PUT', account, container, obj, request, update_headers,
                              device, policy_index)
        response = HTTPCreated(request=request, headers={'Etag': metadata['ETag']})
        response.last_modified = req_timestamp
        return response

    def _read_for_write(self, request, disk_file, req_timestamp):
        """(current metadata or {}, current timestamp) before a PUT."""
        try:
            metadata = disk_file.read_metadata(current_time=float(req_timestamp))
            return metadata, disk_file.data_timestamp
        except errors.DiskFileXattrNotSupported as err:
            raise self._storage_full(request, err)
        except errors.DiskFileDeleted as err:
            return {}, err.timestamp
        except (errors.DiskFileNotExist, errors.DiskFileCollision):
            return {}, Timestamp(0)

    def _write_object(self, request, disk_file, length, req_timestamp):
        """Stream the body into a new .data. :returns: metadata or an error Response."""
        with disk_file.create(size=length) as writer:
            error = read_body(request, writer, length, self.config, self.clock)
            if error is not None:
                return error
            upload_size, etag = writer.chunks_finished()
            request_etag = (request.headers.get('Etag') or '').strip('"').lower()
            if request_etag and request_etag != etag:
                return Response(status=422, request=request, content_type='text/plain',
                                body=b'Unprocessable Entity\n')
            metadata = {'X-Timestamp': req_timestamp.internal,
                        'Content-Type': request.headers['Content-Type'],
                        'Content-Length': str(upload_size),
                        'ETag': etag}
            self._copy_headers(request, metadata, _META_PREFIXES)
            writer.put(metadata)
            writer.commit(req_timestamp)
        return metadata

    # ------------------------------------------------------------ GET / HEAD

    def _open_for_read(self, request):
        device, partition, account, container, obj, policy_index = \
            self._placement(request)
        replication = config_true_value(request.headers.get('X-Backend-Replication'))
        open_expired = replication or config_true_value(
            request.headers.get('X-Backend-Open-Expired'))
        disk_file = self._diskfile(request, device, partition, account, container, obj,
                                   policy_index, open_expired=open_expired)
        disk_file.open()
        return disk_file

    def _not_found(self, request, err):
        headers = {}
        timestamp = getattr(err, 'timestamp', None)
        if timestamp is not None:
            headers['X-Backend-Timestamp'] = timestamp.internal
        return HTTPNotFound(request=request, headers=headers)

    def _object_response(self, request, disk_file, app_iter=None):
        metadata = disk_file.get_metadata()
        response = Response(request=request, conditional_response=True,
                            app_iter=app_iter,
                            conditional_etag=resolve_etag_is_at(request, metadata))
        response.headers['Content-Type'] = metadata.get('Content-Type',
                                                        'application/octet-stream')
        for key, value in metadata.items():
            lower = key.lower()
            if lower.startswith(_META_PREFIXES) or lower in self.config.allowed_headers:
                response.headers[key] = value
        file_timestamp = Timestamp(metadata['X-Timestamp'])
        response.headers['Etag'] = metadata['ETag']
        response.last_modified = file_timestamp
        response.headers['Content-Length'] = str(disk_file.content_length)
        response.headers['X-Timestamp'] = file_timestamp.normal
        response.headers['X-Backend-Timestamp'] = file_timestamp.internal
        response.headers['X-Backend-Data-Timestamp'] = disk_file.data_timestamp.internal
        response.headers['X-Backend-Durable-Timestamp'] = \
            disk_file.durable_timestamp.internal
        return response

    def GET(self, request):
        """Serve an object (Range and conditional headers through swob)."""
        try:
            disk_file = self._open_for_read(request)
        except errors.DiskFileXattrNotSupported as err:
            return self._storage_full(request, err)
        except errors.DiskFileNotExist as err:
            return self._not_found(request, err)
        except errors.DiskFileCollision:
            return HTTPForbidden(request=request)
        metadata = disk_file.get_metadata()
        ignore = set(h.strip().lower() for h in request.headers.get(
            'X-Backend-Ignore-Range-If-Metadata-Present', '').split(',') if h.strip())
        if ignore.intersection(key.lower() for key in metadata):
            request.headers['Range'] = None  # e.g. SLO manifests: the proxy ranges
        keep_cache = self.config.keep_cache_private or not (
            'X-Auth-Token' in request.headers or 'X-Storage-Token' in request.headers)
        reader = disk_file.reader(keep_cache=keep_cache)
        return self._object_response(request, disk_file, app_iter=reader)

    def HEAD(self, request):
        """Object metadata as headers, no body."""
        try:
            disk_file = self._open_for_read(request)
        except errors.DiskFileXattrNotSupported as err:
            return self._storage_full(request, err)
        except errors.DiskFileNotExist as err:
            return self._not_found(request, err)
        except errors.DiskFileCollision:
            return HTTPForbidden(request=request)
        try:
            return self._object_response(request, disk_file)
        finally:
            disk_file.close()

    # ------------------------------------------------------------ POST

    def POST(self, request):
        """Fast-POST: write a .meta that replaces all user metadata (202)."""
        device, partition, account, container, obj, policy_index = \
            self._placement(request)
        req_timestamp = self._timestamp(request)
        try:
            new_delete_at = int(request.headers.get('X-Delete-At') or 0)
        except ValueError:
            return HTTPBadRequest(request=request, content_type='text/plain',
                                  body=b'Non-integer X-Delete-At')
        if new_delete_at and new_delete_at < float(req_timestamp):
            return HTTPBadRequest(request=request, content_type='text/plain',
                                  body=b'X-Delete-At in past')
        try:
            check_metadata(request.headers, 'object', self.constraints)
        except ConstraintError as err:
            return HTTPBadRequest(request=request, content_type='text/plain',
                                  body=err.body.encode('utf-8'))
        disk_file = self._diskfile(request, device, partition, account, container, obj,
                                   policy_index, open_expired=config_true_value(
                                       request.headers.get('X-Backend-Replication')))
        try:
            orig_metadata = disk_file.read_metadata(current_time=float(req_timestamp))
        except errors.DiskFileXattrNotSupported as err:
            return self._storage_full(request, err)
        except errors.DiskFileNotExist as err:
            return self._not_found(request, err)
        except errors.DiskFileCollision:
            return HTTPForbidden(request=request)
        return self._post_metadata(request, disk_file, orig_metadata, req_timestamp,
                                   new_delete_at, (account, container, obj, device,
                                                   policy_index))

    def _post_metadata(self, request, disk_file, orig_metadata, req_timestamp,
                       new_delete_at, where):
        account, container, obj, device, policy_index = where
        orig_timestamp = Timestamp(orig_metadata['X-Timestamp'])
        orig_ctype_timestamp = disk_file.content_type_timestamp
        req_ctype = request.headers.get('Content-Type')
        req_ctype_timestamp = Timestamp(0)
        if req_ctype:
            req_ctype_timestamp = Timestamp(request.headers.get(
                'Content-Type-Timestamp', req_timestamp.internal))
        if orig_timestamp >= req_timestamp and \
                orig_ctype_timestamp >= req_ctype_timestamp:
            return HTTPConflict(request=request, headers={
                'X-Backend-Timestamp': orig_timestamp.internal})
        if req_timestamp > orig_timestamp:
            metadata = {'X-Timestamp': req_timestamp.internal}
            self._copy_headers(request, metadata, _POST_META_PREFIXES)
            metadata.pop('Content-Type', None)
            orig_delete_at = int(orig_metadata.get('X-Delete-At') or 0)
            if orig_delete_at != new_delete_at:
                if new_delete_at:
                    self.delete_at_update('PUT', new_delete_at, account, container, obj,
                                          request, device, policy_index,
                                          orig_metadata.get('Content-Length'))
                if orig_delete_at:
                    self.delete_at_update('DELETE', orig_delete_at, account, container,
                                          obj, request, device, policy_index)
        else:
            metadata = dict(disk_file.get_metafile_metadata() or {})
        if req_ctype_timestamp > orig_ctype_timestamp:
            ctype_headers = {'Content-Type': req_ctype,
                             'Content-Type-Timestamp': req_ctype_timestamp.internal}
            metadata.update(ctype_headers)
        else:
            ctype_headers = {'Content-Type': orig_metadata.get('Content-Type'),
                             'Content-Type-Timestamp': orig_ctype_timestamp.internal}
            if orig_ctype_timestamp != disk_file.data_timestamp:
                metadata.update(ctype_headers)
        try:
            disk_file.write_metadata(metadata)
        except (errors.DiskFileNoSpace, errors.DiskFileXattrNotSupported) as err:
            return self._storage_full(request, err)
        update_headers = HeaderKeyDict([
            ('X-Size', orig_metadata['Content-Length']),
            ('X-Content-Type', ctype_headers['Content-Type']),
            ('X-Timestamp', disk_file.data_timestamp.internal),
            ('X-Content-Type-Timestamp', ctype_headers['Content-Type-Timestamp']),
            ('X-Meta-Timestamp', metadata['X-Timestamp']),
            ('X-Etag', orig_metadata['ETag'])])
        apply_container_overrides(update_headers, orig_metadata, sysmeta_only=True)
        self.container_update('PUT', account, container, obj, request, update_headers,
                              device, policy_index)
        headers = {'X-Backend-Content-Type': ctype_headers['Content-Type']}
        headers.update((k, v) for k, v in orig_metadata.items()
                       if k.lower().startswith('x-object-sysmeta-'))
        return HTTPAccepted(request=request, headers=headers)

    # ------------------------------------------------------------ DELETE

    def DELETE(self, request):
        """Write a tombstone; 204, or 404 when there was no live object (an expired
        object is still tombstoned and removed from the listing, field case BL-04)."""
        device, partition, account, container, obj, policy_index = \
            self._placement(request)
        req_timestamp = self._timestamp(request)
        disk_file = self._diskfile(request, device, partition, account, container, obj,
                                   policy_index)
        response_class = HTTPNoContent
        try:
            orig_metadata = disk_file.read_metadata(current_time=float(req_timestamp))
            orig_timestamp = disk_file.data_timestamp
            if orig_timestamp >= req_timestamp:
                response_class = HTTPConflict
        except errors.DiskFileXattrNotSupported as err:
            return self._storage_full(request, err)
        except errors.DiskFileExpired as err:
            orig_timestamp, orig_metadata = err.timestamp, err.metadata
            response_class = HTTPNotFound
        except errors.DiskFileDeleted as err:
            orig_timestamp, orig_metadata = err.timestamp, {}
            response_class = HTTPNotFound
        except (errors.DiskFileNotExist, errors.DiskFileCollision):
            orig_timestamp, orig_metadata = Timestamp(0), {}
            response_class = HTTPNotFound
        orig_delete_at = int(orig_metadata.get('X-Delete-At') or 0)
        if 'X-If-Delete-At' in request.headers:
            early = self._check_if_delete_at(request, orig_timestamp, req_timestamp,
                                             orig_delete_at)
            if early is not None:
                return early
            response_class = HTTPNoContent
        if orig_delete_at:
            self.delete_at_update('DELETE', orig_delete_at, account, container, obj,
                                  request, device, policy_index)
        if orig_timestamp < req_timestamp:
            try:
                disk_file.delete(req_timestamp)
            except errors.DiskFileNoSpace as err:
                return self._storage_full(request, err)
            self.container_update('DELETE', account, container, obj, request,
                                  HeaderKeyDict({'X-Timestamp': req_timestamp.internal}),
                                  device, policy_index)
        return response_class(request=request, headers={
            'X-Backend-Timestamp': max(orig_timestamp, req_timestamp).internal})

    @staticmethod
    def _check_if_delete_at(request, orig_timestamp, req_timestamp, orig_delete_at):
        """X-If-Delete-At (from the expirer): never tombstone what cannot be verified."""
        try:
            if_delete_at = int(Timestamp(request.headers['X-If-Delete-At']))
        except (ValueError, InvalidTimestamp):
            return HTTPBadRequest(request=request, content_type='text/plain',
                                  body=b'Bad X-If-Delete-At header value')
        if orig_timestamp == Timestamp(0):  # no object at all
            return HTTPNotFound(request=request)
        if orig_timestamp >= req_timestamp:
            return HTTPConflict(request=request)
        if orig_delete_at != if_delete_at:
            return HTTPPreconditionFailed(
                request=request, content_type='text/plain',
                body=b'X-If-Delete-At and X-Delete-At do not match')
        return None

    # ------------------------------------------------------------ REPLICATE

    def REPLICATE(self, request):
        """Suffix hashes of a partition (pickled), or invalidate the listed suffixes."""
        device, partition, suffix_parts, policy_index = self._placement(request, 2, 3)
        suffixes = [s for s in (suffix_parts or '').split('-') if s]
        try:
            if suffixes:
                self.diskfile_manager.invalidate_suffixes(device, partition, suffixes,
                                                          policy_index)
                body = pickle.dumps(None, protocol=2)
            else:
                hashes = self.diskfile_manager.get_hashes(device, partition, (),
                                                          policy_index)
                body = pickle.dumps(hashes, protocol=2)
        except errors.DiskFileDeviceUnavailable:
            return HTTPInsufficientStorage(request=request)
        return Response(request=request, body=body,
                        content_type='application/octet-stream')

    def SSYNC(self, request):
        """Replication by ssync: handed to swift.obj.ssync_receiver."""
        try:
            from swift.obj.ssync_receiver import service_for
        except ImportError:
            return HTTPNotImplemented(request=request)
        return service_for(self).handle(request)

    # ------------------------------------------------------------ updates

    def container_update(self, op, account, container, obj, request, headers_out,
                         device, policy_index):
        """Send this node's share of the container updates; failures become async
        pendings. Waits at most ``container_update_timeout`` for them."""
        targets = parse_update_targets(request.headers, 'X-Container')
        if targets is None:
            self.logger.error('ERROR Container update failed: different numbers of '
                              'hosts and devices in request: %r vs %r',
                              request.headers.get('X-Container-Host', ''),
                              request.headers.get('X-Container-Device', ''))
            return
        partition, updates = targets
        headers_out['X-Trans-Id'] = request.headers.get('X-Trans-Id', '-')
        headers_out['Referer'] = '%s %s' % (request.method, request.url)
        headers_out['X-Backend-Storage-Policy-Index'] = policy_index
        db_state = request.headers.get('X-Container-Root-Db-State', 'unsharded')
        threads = [concurrency.spawn(self.async_update, op, account, container, obj,
                                     host, partition, cdevice, headers_out, device,
                                     policy_index, db_state)
                   for host, cdevice in updates]
        timeout = concurrency.Timeout(self.config.container_update_timeout_s)
        try:
            for thread in threads:
                thread.wait()
        except concurrency.Timeout as err:
            if err is not timeout:
                raise
            self.logger.debug('Container update timeout (%.4fs) waiting for %s',
                              self.config.container_update_timeout_s, updates)
        finally:
            timeout.cancel()

    def async_update(self, op, account, container, obj, host, partition, cdevice,
                     headers_out, device, policy_index, db_state='unsharded'):
        """Try one container server; on any failure save an async pending."""
        headers_out['User-Agent'] = user_agent()
        path = '/%s/%s/%s' % (account, container, obj)
        if host and partition and cdevice:
            result = self.sender.send(op, path, host, partition, cdevice, headers_out)
            if result.ok:
                return
            if result.status is None:
                self.logger.error('ERROR container update failed with %s/%s (saving '
                                  'for async update later): %s', host, cdevice,
                                  result.error)
            else:
                self.logger.error('ERROR Container update failed (saving for async '
                                  'update later): %s response from %s/%s',
                                  result.status, host, cdevice)
        update = make_update(op, account, container, obj, headers_out, db_state)
        timestamp = headers_out.get('X-Meta-Timestamp') or headers_out['X-Timestamp']
        try:
            self.diskfile_manager.pickle_async_update(device, account, container, obj,
                                                      update, timestamp, policy_index)
        except (OSError, errors.DiskFileError) as err:
            self.logger.error('ERROR writing async pending for %s on %s: %s', path,
                              device, err)

    def delete_at_update(self, op, delete_at, account, container, obj, request, device,
                         policy_index, size=None):
        """Add or remove this object's task in the ``.expiring_objects`` queue."""
        if config_true_value(request.headers.get('X-Backend-Replication')):
            return
        headers_out = HeaderKeyDict([
            ('X-Backend-Storage-Policy-Index', 0),
            ('X-Timestamp', Timestamp(request.headers['X-Timestamp']).internal),
            ('X-Trans-Id', request.headers.get('X-Trans-Id', '-')),
            ('Referer', '%s %s' % (request.method, request.url))])
        updates = [(None, None)]
        partition = None
        divisor = self.config.expiring_objects_container_divisor
        if op != 'DELETE':
            if request.headers.get('X-Delete-At-Host') is None:
                return  # other object servers carry the queue update
            task_container = request.headers.get('X-Delete-At-Container') or \
                expirer_container(delete_at, divisor, account, container, obj,
                                  self.hash_config)
            targets = parse_update_targets(request.headers, 'X-Delete-At') or ('', [])
            partition, updates = targets[0], targets[1] or [(None, None)]
            headers_out['X-Size'] = '0'
            ctype = 'text/plain'
            if size is not None:
                ctype += ';swift_expirer_bytes=%s' % size
            headers_out['X-Content-Type'] = ctype
            headers_out['X-Etag'] = EMPTY_ETAG
        else:
            if not config_true_value(request.headers.get(
                    'X-Backend-Clean-Expiring-Object-Queue', 't')):
                return
            task_container = expirer_container(delete_at, divisor, account, container,
                                               obj, self.hash_config)
        task = expirer_task_name(delete_at, account, container, obj)
        for host, cdevice in updates:
            self.async_update(op, self.config.expiring_objects_account, task_container,
                              task, host, partition, cdevice, HeaderKeyDict(headers_out),
                              device, policy_index)


def build_controller(conf, *, logger=None, clock=None, http_connect=None):
    """Compose an :class:`ObjectController` from a merged conf dict (the one place
    the real collaborators are built)."""
    from swift.common.clock import REAL_CLOCK
    from swift.common.logs import get_logger
    config = ObjectServerConfig.from_conf(conf)
    logger = logger or get_logger(conf, log_route='object-server')
    clock = clock or REAL_CLOCK
    hash_config = HashPathConfig.from_swift_dir(config.swift_dir)
    manager = DiskFileManager(config.diskfile, logger=logger, clock=clock,
                              hash_config=hash_config)
    return ObjectController(
        config, logger=logger, clock=clock, diskfile_manager=manager,
        policies=StoragePolicyCollection.from_swift_dir(config.swift_dir),
        hash_config=hash_config, constraints=Constraints.from_swift_dir(config.swift_dir),
        http_connect=http_connect)


def app_factory(global_conf, **local_conf):
    """PasteDeploy ``egg:swift#object``."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return build_controller(conf)


def main(argv=None):
    """``swift-object-server CONFIG [-v]``."""
    from swift.common.wsgi import wsgi_main
    return wsgi_main('object-server', argv)


