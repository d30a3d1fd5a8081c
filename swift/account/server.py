# Owns the account server's HTTP surface (Swift's backend protocol, swift-catalog.md 5,
# 6): it routes /<dev>/<part>/<account>[/<container>] requests to AccountBroker and
# translates results to statuses and headers. Rules:
# - PUT account: 201 new / 202 existing; 403 "Recently deleted" once DELETEd;
# - PUT account/container: a container server reports its stats (X-Put-Timestamp,
#   X-Delete-Timestamp, X-Object-Count, X-Bytes-Used); 404 unless the account exists
#   (accounts under auto_create_account_prefix are created on the fly);
# - DELETE marks the account DELETED (the reaper empties it later);
# - POST merges X-Account-Meta-*/Sysmeta-* by timestamp, with the cumulative limits;
# - HEAD/GET answer 404 (with X-Account-Status: Deleted when marked) for gone accounts.
"""AccountController: the account server WSGI app, app_factory and main."""

import os
from dataclasses import dataclass

from swift.account.backend import AccountBroker
from swift.common import listing
from swift.common.db_server import DatabaseServer
from swift.common.backend_request import (
    is_sys_or_user_meta, native, split_and_validate_path, valid_timestamp)
from swift.common.config import config_bool, config_true_value
from swift.common.constraints import Constraints
from swift.common.db import (DatabaseAlreadyExists, DatabaseConnectionError,
                             MetadataLimitError)
from swift.common.hashing import HashPathConfig, hash_path
from swift.common.logs import get_logger
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.swob import (
    HTTPAccepted, HTTPBadRequest, HTTPConflict, HTTPCreated, HTTPForbidden, HTTPNoContent,
    HTTPNotFound, Response, str_to_wsgi)
from swift.common.timestamp import Timestamp

DATADIR = 'accounts'


@dataclass(frozen=True)
class AccountServerConfig:
    """Options of ``[app:account-server]`` (Swift's names and defaults)."""
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    log_requests: bool = True
    auto_create_account_prefix: str = '.'
    replication_server: object = None

    @classmethod
    def from_conf(cls, conf):
        """Build from a conf dict (strings).

        :raises ConfigError: naming the bad option.
        """
        replication = conf.get('replication_server')
        return cls(
            devices=conf.get('devices', cls.devices),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', cls.swift_dir),
            log_requests=config_bool(conf.get('log_requests', 'true'), 'log_requests'),
            auto_create_account_prefix=conf.get('auto_create_account_prefix', '.'),
            replication_server=None if replication in (None, '')
            else config_bool(replication, 'replication_server'))


def account_db_path(devices, drive, partition, account, hash_config):
    """``<devices>/<drive>/accounts/<part>/<hash[-3:]>/<hash>/<hash>.db``."""
    name_hash = hash_path(account, config=hash_config)
    return os.path.join(devices, drive, DATADIR, partition, name_hash[-3:], name_hash,
                        name_hash + '.db')


def account_response_headers(broker, policies):
    """Stats, per-policy stats and metadata headers for HEAD/GET (Swift's names)."""
    info = broker.get_info()
    headers = {
        'X-Account-Container-Count': info['container_count'],
        'X-Account-Object-Count': info['object_count'],
        'X-Account-Bytes-Used': info['bytes_used'],
        'X-Timestamp': Timestamp(info['created_at']).normal,
        'X-PUT-Timestamp': Timestamp(info['put_timestamp']).normal}
    for index, stats in sorted(broker.get_policy_stats().items()):
        policy = policies.get_by_index(index)
        if policy is None:
            continue
        for key in ('container_count', 'object_count', 'bytes_used'):
            name = 'X-Account-Storage-Policy-%s-%s' % (policy.name,
                                                       key.replace('_', '-'))
            headers[name] = stats[key]
    headers.update((str_to_wsgi(key), str_to_wsgi(value))
                   for key, (value, _ts) in broker.metadata.items() if value != '')
    return headers


class AccountController(DatabaseServer):
    """WSGI app of the account server.

    :param config: :class:`AccountServerConfig`.
    :param logger: component logger (default from get_logger).
    :param policies: StoragePolicyCollection (names for per-policy headers).
    :param constraints: Constraints (listing limit, metadata limits).
    :param hash_config: HashPathConfig (the cluster's hash prefix/suffix).
    """

    server_type = 'account-server'
    datadir = DATADIR
    broker_class = AccountBroker

    def __init__(self, config, *, logger=None, policies=None, constraints=None,
                 hash_config=None):
        self.config = config
        self.logger = logger or get_logger({}, log_route='account-server')
        self.policies = policies or StoragePolicyCollection.from_swift_dir(config.swift_dir)
        self.constraints = constraints or Constraints()
        self.hash_config = hash_config or HashPathConfig()
        self.allowed_methods = self.allowed_methods_for(config.replication_server)

    # -- helpers -------------------------------------------------------------------

    def _broker(self, drive, part, account, **kwargs):
        path = account_db_path(self.config.devices, drive, part, account, self.hash_config)
        return AccountBroker(path, account=account, logger=self.logger, **kwargs)

    def _split(self, req, minsegs, maxsegs=None):
        segs = split_and_validate_path(req, minsegs, maxsegs)
        return [native(seg) for seg in segs]

    def _deleted_response(self, broker, req, response_class, body=b''):
        headers = {}
        try:
            if broker.is_status_deleted():
                headers['X-Account-Status'] = 'Deleted'
        except DatabaseConnectionError:
            pass
        return response_class(request=req, headers=headers, charset='utf-8', body=body)

    def _update_metadata(self, req, broker, timestamp):
        metadata = {native(key): (native(value), timestamp.internal)
                    for key, value in req.headers.items()
                    if is_sys_or_user_meta('account', key)}
        if metadata:
            try:
                broker.update_metadata(metadata, validate_metadata=True,
                                        constraints=self.constraints)
            except MetadataLimitError as err:
                raise HTTPBadRequest(request=req, content_type='text/plain',
                                     body=err.body.encode())

    # -- verbs ---------------------------------------------------------------------

    def DELETE(self, req):
        """Mark the account deleted (204), 404 if absent or already deleted."""
        drive, part, account = self._split(req, 3)
        self._check_drive(req, drive)
        timestamp = valid_timestamp(req)
        broker = self._broker(drive, part, account)
        if broker.is_deleted():
            return self._deleted_response(broker, req, HTTPNotFound)
        broker.delete_db(timestamp.internal)
        return self._deleted_response(broker, req, HTTPNoContent)

    def PUT(self, req):
        """Create the account, or record a container's stats."""
        drive, part, account, container = self._split(req, 3, 4)
        self._check_drive(req, drive)
        if container:
            return self._put_container(req, drive, part, account, container)
        timestamp = valid_timestamp(req)
        broker = self._broker(drive, part, account)
        if not os.path.exists(broker.db_file):
            try:
                broker.initialize(timestamp.internal)
                created = True
            except DatabaseAlreadyExists:
                created = False
        elif broker.is_status_deleted():
            return self._deleted_response(broker, req, HTTPForbidden,
                                          body=b'Recently deleted')
        else:
            created = broker.is_deleted()
            broker.update_put_timestamp(timestamp.internal)
            if broker.is_deleted():
                return HTTPConflict(request=req)
        self._update_metadata(req, broker, timestamp)
        return (HTTPCreated if created else HTTPAccepted)(request=req)

    def _put_container(self, req, drive, part, account, container):
        timestamp = valid_timestamp(req) if 'X-Timestamp' in req.headers \
            else Timestamp.now()
        try:
            put_ts = Timestamp(req.headers['X-Put-Timestamp']).internal
            delete_ts = Timestamp(req.headers['X-Delete-Timestamp']).internal
            object_count = int(req.headers['X-Object-Count'])
            bytes_used = int(req.headers['X-Bytes-Used'])
            policy_index = int(req.headers.get('X-Backend-Storage-Policy-Index', 0))
        except (KeyError, ValueError) as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=('Invalid container update: %s' % err).encode())
        pending_timeout = 3 if 'X-Trans-Id' in req.headers else None
        broker = self._broker(drive, part, account, pending_timeout=pending_timeout)
        if account.startswith(self.config.auto_create_account_prefix) and \
                not os.path.exists(broker.db_file):
            try:
                broker.initialize(timestamp.internal)
            except DatabaseAlreadyExists:
                pass
        override = req.headers.get('X-Account-Override-Deleted', 'no').lower() == 'yes'
        if not os.path.exists(broker.db_file) or (not override and broker.is_deleted()):
            return HTTPNotFound(request=req)
        broker.put_container(container, put_ts, delete_ts, object_count, bytes_used,
                             policy_index)
        if Timestamp(delete_ts) > Timestamp(put_ts):
            return HTTPNoContent(request=req)
        return HTTPCreated(request=req)

    def HEAD(self, req):
        """Account stats and metadata (204)."""
        drive, part, account = self._split(req, 3)
        out_content_type = listing.get_listing_content_type(req)
        self._check_drive(req, drive)
        broker = self._broker(drive, part, account, pending_timeout=0.1,
                              stale_reads_ok=True)
        if broker.is_deleted():
            return self._deleted_response(broker, req, HTTPNotFound)
        headers = account_response_headers(broker, self.policies)
        headers['Content-Type'] = out_content_type
        return HTTPNoContent(request=req, headers=headers, charset='utf-8')

    def GET(self, req):
        """Container listing (json/xml/plain) with the HEAD headers."""
        drive, part, account = self._split(req, 3)
        prefix = listing.get_param(req, 'prefix')
        delimiter = listing.get_param(req, 'delimiter')
        marker = listing.get_param(req, 'marker', '')
        end_marker = listing.get_param(req, 'end_marker')
        reverse = config_true_value(listing.get_param(req, 'reverse') or '')
        limit = listing.get_limit(req, self.constraints.account_listing_limit)
        out_content_type = listing.get_listing_content_type(req)
        self._check_drive(req, drive)
        broker = self._broker(drive, part, account, pending_timeout=0.1,
                              stale_reads_ok=True)
        if broker.is_deleted():
            return self._deleted_response(broker, req, HTTPNotFound)
        headers = account_response_headers(broker, self.policies)
        rows = broker.list_containers_iter(limit, marker, end_marker, prefix, delimiter,
                                           reverse=reverse)
        records = [listing.account_record(row, self.policies) for row in rows]
        body = listing.format_listing(records, out_content_type, listing.account_to_xml,
                                      account)
        resp = Response(request=req, headers=headers, body=body)
        resp.content_type = out_content_type
        resp.charset = 'utf-8'
        if not body:
            resp.status_int = 204
        return resp

    def POST(self, req):
        """Merge account metadata (204)."""
        drive, part, account = self._split(req, 3)
        timestamp = valid_timestamp(req)
        self._check_drive(req, drive)
        broker = self._broker(drive, part, account)
        if broker.is_deleted():
            return self._deleted_response(broker, req, HTTPNotFound)
        self._update_metadata(req, broker, timestamp)
        return HTTPNoContent(request=req)


def app_factory(global_conf, **local_conf):
    """paste.deploy factory for ``egg:swift#account``."""
    conf = dict(global_conf)
    conf.update(local_conf)
    config = AccountServerConfig.from_conf(conf)
    logger = get_logger(conf, log_route='account-server')
    return AccountController(
        config, logger=logger,
        policies=StoragePolicyCollection.from_swift_dir(config.swift_dir),
        constraints=Constraints.from_swift_dir(config.swift_dir),
        hash_config=HashPathConfig.from_swift_dir(config.swift_dir))


def main(argv=None):
    """``swift-account-server CONFIG [-v]``."""
    from swift.common.wsgi import wsgi_main
    return wsgi_main('account-server', argv)

