# Owns the container server's HTTP surface (Swift's backend protocol, swift-catalog.md
# 5, 6): /<dev>/<part>/<account>/<container>[/<object>] to ContainerBroker. Rules:
# - PUT container: 201 new / 202 existing; X-Backend-Storage-Policy-Index is fixed at
#   creation (409 if an existing live container has another one); recreating a deleted
#   container may change it; X-Backend-Storage-Policy-Default picks it otherwise;
# - PUT/DELETE container/object: rows from object-server updates (X-Size,
#   X-Content-Type, X-Etag, X-Timestamp, X-Content-Type-Timestamp, X-Meta-Timestamp);
# - DELETE container: 409 when not empty, 404 when absent;
# - after container PUT/DELETE the stats go to the account servers named by
#   X-Account-Host/-Device/-Partition (short timeouts; a failure is only logged, the
#   container-updater catches up; a 404 from every account makes the answer 404);
# - POST merges metadata (and bumps put_timestamp), with the cumulative limits;
# - GET lists objects in json/xml/plain; HEAD/GET of a missing container is 404.
"""ContainerController: the container server WSGI app, app_factory and main."""

import os
from dataclasses import dataclass

from swift.common import listing
from swift.common.db_server import DatabaseServer
from swift.common.backend_request import (
    as_referer, is_sys_or_user_meta, native,
    split_and_validate_path, valid_timestamp)
from swift.common.bufferedhttp import http_connect
from swift.common.concurrency import Timeout
from swift.common.config import config_bool, config_number, config_true_value
from swift.common.constraints import Constraints, valid_utf8
from swift.common.db import DatabaseAlreadyExists, InvalidRecordError, MetadataLimitError
from swift.common.exceptions import ConnectionTimeout
from swift.common.hashing import HashPathConfig, hash_path
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.http_status import is_success
from swift.common.logs import get_logger
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.swob import (
    HTTPAccepted, HTTPBadRequest, HTTPConflict, HTTPCreated, HTTPNoContent, HTTPNotFound,
    Response, str_to_wsgi)
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker

DATADIR = 'containers'
POLICY_INDEX_HEADER = 'X-Backend-Storage-Policy-Index'
SAVE_HEADERS = ('x-container-read', 'x-container-write', 'x-container-sync-key',
                'x-container-sync-to', 'x-versions-location', 'x-history-location')


@dataclass(frozen=True)
class ContainerServerConfig:
    """Options of ``[app:container-server]`` (Swift's names and defaults)."""
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    log_requests: bool = True
    node_timeout_s: float = 3.0
    conn_timeout_s: float = 0.5
    auto_create_account_prefix: str = '.'
    replication_server: object = None

    @classmethod
    def from_conf(cls, conf):
        """Build from a conf dict (``node_timeout``/``conn_timeout`` in seconds).

        :raises ConfigError: naming the bad option.
        """
        replication = conf.get('replication_server')
        return cls(
            devices=conf.get('devices', cls.devices),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', cls.swift_dir),
            log_requests=config_bool(conf.get('log_requests', 'true'), 'log_requests'),
            node_timeout_s=config_number(conf.get('node_timeout', 3), float,
                                         'node_timeout', 0),
            conn_timeout_s=config_number(conf.get('conn_timeout', 0.5), float,
                                         'conn_timeout', 0),
            auto_create_account_prefix=conf.get('auto_create_account_prefix', '.'),
            replication_server=None if replication in (None, '')
            else config_bool(replication, 'replication_server'))


def container_db_path(devices, drive, partition, account, container, hash_config):
    """``<devices>/<drive>/containers/<part>/<hash[-3:]>/<hash>/<hash>.db``."""
    name_hash = hash_path(account, container, config=hash_config)
    return os.path.join(devices, drive, DATADIR, partition, name_hash[-3:], name_hash,
                        name_hash + '.db')


def gen_resp_headers(info, is_deleted=False):
    """Swift's container response headers; client-facing stats only when live."""
    headers = {
        'X-Backend-Timestamp': Timestamp(info.get('created_at', 0)).internal,
        'X-Backend-PUT-Timestamp': Timestamp(info.get('put_timestamp', 0)).internal,
        'X-Backend-DELETE-Timestamp': Timestamp(info.get('delete_timestamp', 0)).internal,
        'X-Backend-Status-Changed-At':
            Timestamp(info.get('status_changed_at', 0)).internal,
        POLICY_INDEX_HEADER: info.get('storage_policy_index', 0),
    }
    if not is_deleted:
        headers.update({
            'X-Container-Object-Count': info.get('object_count', 0),
            'X-Container-Bytes-Used': info.get('bytes_used', 0),
            'X-Timestamp': Timestamp(info.get('created_at', 0)).normal,
            'X-PUT-Timestamp': Timestamp(info.get('put_timestamp', 0)).normal,
            'X-Backend-Sharding-State': 'unsharded',
        })
    return headers


class ContainerController(DatabaseServer):
    """WSGI app of the container server.

    :param config: :class:`ContainerServerConfig`.
    :param logger: component logger.
    :param policies: StoragePolicyCollection (valid policy indexes, default policy).
    :param constraints: Constraints (listing limit, metadata limits).
    :param hash_config: HashPathConfig.
    :param http_connect: backend client ``(ip, port, device, partition, method, path,
        headers) -> connection`` used for account updates (injected by tests).
    """

    server_type = 'container-server'
    datadir = DATADIR
    broker_class = ContainerBroker

    def __init__(self, config, *, logger=None, policies=None, constraints=None,
                 hash_config=None, http_connect=http_connect):
        self.config = config
        self.logger = logger or get_logger({}, log_route='container-server')
        self.policies = policies or StoragePolicyCollection.from_swift_dir(config.swift_dir)
        self.constraints = constraints or Constraints()
        self.hash_config = hash_config or HashPathConfig()
        self.http_connect = http_connect
        self.allowed_methods = self.allowed_methods_for(config.replication_server)

    # -- helpers -------------------------------------------------------------------

    def _broker(self, drive, part, account, container, **kwargs):
        path = container_db_path(self.config.devices, drive, part, account, container,
                                 self.hash_config)
        return ContainerBroker(path, account=account, container=container,
                               logger=self.logger, **kwargs)

    def _split(self, req, with_object=True):
        if with_object:
            segs = split_and_validate_path(req, 4, 5, True)
        else:
            segs = split_and_validate_path(req, 4)
        return [native(seg) for seg in segs]

    def _policy_index(self, req):
        """X-Backend-Storage-Policy-Index as int, or None when absent.

        :raises HTTPBadRequest: not a configured policy.
        """
        value = req.headers.get(POLICY_INDEX_HEADER)
        if value is None:
            return None
        try:
            policy = self.policies.get_by_index(int(value))
        except ValueError:
            policy = None
        if policy is None:
            raise HTTPBadRequest(request=req, content_type='text/plain',
                                 body=('Invalid %s' % POLICY_INDEX_HEADER).encode())
        return policy.idx

    def _maybe_autocreate(self, req, broker, timestamp, account, policy_index):
        autocreate = account.startswith(self.config.auto_create_account_prefix) or \
            config_true_value(req.headers.get('X-Backend-Auto-Create', 'false'))
        if autocreate and not os.path.exists(broker.db_file):
            try:
                broker.initialize(timestamp.internal, policy_index)
            except DatabaseAlreadyExists:
                pass

    def _metadata_from(self, req, timestamp):
        return {native(key): (native(value), timestamp.internal)
                for key, value in req.headers.items()
                if key.lower() in SAVE_HEADERS or is_sys_or_user_meta('container', key)}

    def _update_metadata(self, req, broker, metadata):
        if 'X-Container-Sync-To' in metadata:
            old = broker.metadata.get('X-Container-Sync-To')
            if not old or old[0] != metadata['X-Container-Sync-To'][0]:
                broker.set_x_container_sync_points(-1, -1)
        try:
            broker.update_metadata(metadata, validate_metadata=True,
                                        constraints=self.constraints)
        except MetadataLimitError as err:
            raise HTTPBadRequest(request=req, content_type='text/plain',
                                 body=err.body.encode())

    # -- account updates -----------------------------------------------------------

    def account_update(self, req, account, container, broker):
        """Send the container's stats to each account server the proxy named.

        :returns: HTTPNotFound when every account server answered 404 (Swift's
            rule: the account is gone everywhere), else None.
        """
        hosts = [h.strip() for h in req.headers.get('X-Account-Host', '').split(',')]
        devices = [d.strip() for d in req.headers.get('X-Account-Device', '').split(',')]
        partition = req.headers.get('X-Account-Partition', '')
        if len(hosts) != len(devices):
            self.logger.error('ERROR Account update failed: different numbers of hosts '
                              'and devices in request: "%s" vs "%s"',
                              req.headers.get('X-Account-Host', ''),
                              req.headers.get('X-Account-Device', ''))
            return HTTPBadRequest(request=req)
        updates = list(zip(hosts, devices)) if partition else []
        account_404s = 0
        info = broker.get_info() if updates else None
        for host, device in updates:
            headers = HeaderKeyDict({
                'X-Put-Timestamp': info['put_timestamp'],
                'X-Delete-Timestamp': info['delete_timestamp'],
                'X-Object-Count': info['object_count'],
                'X-Bytes-Used': info['bytes_used'],
                'X-Trans-Id': req.headers.get('X-Trans-Id', '-'),
                POLICY_INDEX_HEADER: info['storage_policy_index'],
                'User-Agent': 'container-server %s' % os.getpid(),
                'Referer': as_referer(req)})
            if req.headers.get('X-Account-Override-Deleted', 'no').lower() == 'yes':
                headers['X-Account-Override-Deleted'] = 'yes'
            status = self._send_account_update(host, device, partition, account,
                                               container, headers)
            if status == 404:
                account_404s += 1
        if updates and account_404s == len(updates):
            return HTTPNotFound(request=req)
        return None

    def _send_account_update(self, host, device, partition, account, container, headers):
        ip, port = host.rsplit(':', 1)
        path = '/%s/%s' % (str_to_wsgi(account), str_to_wsgi(container))
        try:
            with ConnectionTimeout(self.config.conn_timeout_s):
                conn = self.http_connect(ip.strip('[]'), port, device, partition, 'PUT',
                                         path, headers)
            with Timeout(self.config.node_timeout_s):
                resp = conn.getresponse()
                resp.read()
        except (Exception, Timeout):
            self.logger.exception('ERROR account update failed with %s:%s/%s (will retry '
                                  'later)', ip, port, device)
            return None
        if not is_success(resp.status) and resp.status != 404:
            self.logger.error('ERROR Account update failed with %s:%s/%s (will retry '
                              'later): Response %s %s', ip, port, device, resp.status,
                              resp.reason)
        return resp.status

    # -- verbs ---------------------------------------------------------------------

    def PUT(self, req):
        """Create/update a container, or record an object row."""
        drive, part, account, container, obj = self._split(req)
        timestamp = valid_timestamp(req)
        self._check_drive(req, drive)
        requested_policy = self._policy_index(req)
        broker = self._broker(drive, part, account, container,
                              pending_timeout=3 if 'X-Trans-Id' in req.headers else None)
        if obj:
            return self._put_object(req, broker, account, obj, timestamp,
                                    requested_policy or 0)
        if requested_policy is None:
            default = req.headers.get('X-Backend-Storage-Policy-Default')
            new_policy = int(default) if default and default.isdigit() \
                else self.policies.default.idx
        else:
            new_policy = requested_policy
        created = self._update_or_create(req, broker, timestamp.internal, new_policy,
                                         requested_policy)
        self._update_metadata(req, broker, self._metadata_from(req, timestamp))
        resp = self.account_update(req, account, container, broker)
        if resp:
            return resp
        headers = {POLICY_INDEX_HEADER: broker.storage_policy_index}
        return (HTTPCreated if created else HTTPAccepted)(request=req, headers=headers)

    def _put_object(self, req, broker, account, obj, timestamp, policy_index):
        try:
            size = int(req.headers['X-Size'])
            content_type = native(req.headers['X-Content-Type'])
            etag = native(req.headers['X-Etag'])
            ctype_ts = req.headers.get('X-Content-Type-Timestamp')
            meta_ts = req.headers.get('X-Meta-Timestamp')
            ctype_ts = Timestamp(ctype_ts).internal if ctype_ts else None
            meta_ts = Timestamp(meta_ts).internal if meta_ts else None
        except (KeyError, ValueError) as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=('Invalid object update: %s' % err).encode())
        for header in ('X-Content-Type', 'X-Etag'):
            if not valid_utf8(req.headers[header]):
                return HTTPBadRequest(request=req, content_type='text/plain',
                                      body=('Invalid %s' % header).encode())
        self._maybe_autocreate(req, broker, timestamp, account, policy_index)
        if not os.path.exists(broker.db_file):
            return HTTPNotFound(request=req)
        try:
            broker.put_object(obj, timestamp.internal, size, content_type, etag, 0,
                              policy_index, ctype_ts, meta_ts)
        except InvalidRecordError:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=b'Invalid object update')
        return HTTPCreated(request=req)

    def _update_or_create(self, req, broker, timestamp, new_policy, requested_policy):
        if not os.path.exists(broker.db_file):
            try:
                broker.initialize(timestamp, new_policy)
                return True
            except DatabaseAlreadyExists:
                pass
        recreated = broker.is_deleted()
        if recreated:
            broker.set_storage_policy_index(new_policy, timestamp=timestamp)
        elif requested_policy is not None and \
                requested_policy != broker.storage_policy_index:
            raise HTTPConflict(request=req, headers={
                POLICY_INDEX_HEADER: broker.storage_policy_index})
        broker.update_put_timestamp(timestamp)
        if broker.is_deleted():
            raise HTTPConflict(request=req)
        if recreated:
            broker.update_status_changed_at(timestamp)
        return recreated

    def DELETE(self, req):
        """Delete an object row (204) or the container (204; 409 when not empty)."""
        drive, part, account, container, obj = self._split(req)
        timestamp = valid_timestamp(req)
        self._check_drive(req, drive)
        policy_index = self._policy_index(req) or 0
        broker = self._broker(drive, part, account, container,
                              pending_timeout=3 if 'X-Trans-Id' in req.headers else None)
        if obj:
            self._maybe_autocreate(req, broker, timestamp, account, policy_index)
        if not os.path.exists(broker.db_file):
            return HTTPNotFound(request=req)
        if obj:
            broker.delete_object(obj, timestamp.internal, policy_index)
            return HTTPNoContent(request=req)
        if not broker.empty():
            return HTTPConflict(request=req)
        existed = Timestamp(broker.get_info()['put_timestamp']) > Timestamp(0) and \
            not broker.is_deleted()
        broker.delete_db(timestamp.internal)
        if not broker.is_deleted():
            return HTTPConflict(request=req)
        resp = self.account_update(req, account, container, broker)
        if resp:
            return resp
        return HTTPNoContent(request=req) if existed else HTTPNotFound(request=req)

    def POST(self, req):
        """Merge container metadata (204)."""
        drive, part, account, container = self._split(req, with_object=False)
        timestamp = valid_timestamp(req)
        self._check_drive(req, drive)
        broker = self._broker(drive, part, account, container)
        if broker.is_deleted():
            return HTTPNotFound(request=req)
        metadata = self._metadata_from(req, timestamp)
        if metadata:
            self._update_metadata(req, broker, metadata)
        broker.update_put_timestamp(timestamp.internal)
        return HTTPNoContent(request=req)

    def _metadata_headers(self, broker):
        return {str_to_wsgi(key): str_to_wsgi(value)
                for key, (value, _ts) in broker.metadata.items()
                if value != '' and (key.lower() in SAVE_HEADERS or
                                    is_sys_or_user_meta('container', key))}

    def HEAD(self, req):
        """Container stats and metadata (204), 404 when absent/deleted."""
        drive, part, account, container, _obj = self._split(req)
        out_content_type = listing.get_listing_content_type(req)
        self._check_drive(req, drive)
        broker = self._broker(drive, part, account, container, pending_timeout=0.1,
                              stale_reads_ok=True)
        info, is_deleted = broker.get_info_is_deleted()
        headers = gen_resp_headers(info, is_deleted=is_deleted)
        if is_deleted:
            return HTTPNotFound(request=req, headers=headers)
        headers.update(self._metadata_headers(broker))
        headers['Content-Type'] = out_content_type
        resp = HTTPNoContent(request=req, headers=headers, charset='utf-8')
        resp.last_modified = Timestamp(headers['X-PUT-Timestamp']).ceil_seconds
        return resp

    def GET(self, req):
        """Object listing in json/xml/plain (204 for an empty plain listing)."""
        drive, part, account, container, _obj = self._split(req)
        path = listing.get_param(req, 'path')
        prefix = listing.get_param(req, 'prefix')
        delimiter = listing.get_param(req, 'delimiter')
        marker = listing.get_param(req, 'marker', '')
        end_marker = listing.get_param(req, 'end_marker')
        reverse = config_true_value(listing.get_param(req, 'reverse') or '')
        limit = listing.get_limit(req, self.constraints.container_listing_limit)
        out_content_type = listing.get_listing_content_type(req)
        self._check_drive(req, drive)
        broker = self._broker(drive, part, account, container, pending_timeout=0.1,
                              stale_reads_ok=True)
        info, is_deleted = broker.get_info_is_deleted()
        headers = gen_resp_headers(info, is_deleted=is_deleted)
        if is_deleted:
            return HTTPNotFound(request=req, headers=headers)
        headers.update(self._metadata_headers(broker))
        rows = broker.list_objects_iter(limit, marker, end_marker, prefix, delimiter, path,
                                        storage_policy_index=info['storage_policy_index'],
                                        reverse=reverse)
        records = [listing.container_record(row) for row in rows]
        body = listing.format_listing(records, out_content_type, listing.container_to_xml,
                                      container)
        resp = Response(request=req, headers=headers, body=body)
        resp.content_type = out_content_type
        resp.charset = 'utf-8'
        resp.last_modified = Timestamp(headers['X-PUT-Timestamp']).ceil_seconds
        if not body:
            resp.status_int = 204
        return resp


def app_factory(global_conf, **local_conf):
    """paste.deploy factory for ``egg:swift#container``."""
    conf = dict(global_conf)
    conf.update(local_conf)
    config = ContainerServerConfig.from_conf(conf)
    return ContainerController(
        config, logger=get_logger(conf, log_route='container-server'),
        policies=StoragePolicyCollection.from_swift_dir(config.swift_dir),
        constraints=Constraints.from_swift_dir(config.swift_dir),
        hash_config=HashPathConfig.from_swift_dir(config.swift_dir))


def main(argv=None):
    """``swift-container-server CONFIG [-v]``."""
    from swift.common.wsgi import wsgi_main
    return wsgi_main('container-server', argv)
