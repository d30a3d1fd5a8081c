"""Shared builders for object-layer tests: a DiskFileManager on temp devices."""

import logging
import os

from swift.common.hashing import HashPathConfig
from swift.obj.diskfile import DiskFileConfig, DiskFileManager, Reserve
from test.helpers.fake_clock import FakeClock

HASH_CONFIG = HashPathConfig(b'prefix', b'suffix')


class CaptureLogger:
    """Records log calls as (level, message % args) for assertions."""

    def __init__(self):
        self.lines = []
        self.txn_id = None
        self.client_ip = None

    def _log(self, level, msg, *args, **kwargs):
        self.lines.append((level, msg % args if args else msg))

    def debug(self, msg, *args, **kwargs):
        self._log('debug', msg, *args)

    def info(self, msg, *args, **kwargs):
        self._log('info', msg, *args)

    def warning(self, msg, *args, **kwargs):
        self._log('warning', msg, *args)

    def error(self, msg, *args, **kwargs):
        self._log('error', msg, *args)

    def exception(self, msg, *args, **kwargs):
        self._log('exception', msg, *args)

    def notice(self, msg, *args, **kwargs):
        self._log('info', msg, *args)

    def lines_for(self, level):
        return [line for lvl, line in self.lines if lvl == level]


def make_manager(tmp_path, devices=('sda',), clock=None, **overrides):
    """A manager over ``tmp_path/node/<dev>`` dirs, mount_check off, no reserve."""
    root = os.path.join(str(tmp_path), 'node')
    for device in devices:
        os.makedirs(os.path.join(root, device), exist_ok=True)
    options = dict(devices=root, mount_check=False, fallocate_reserve=Reserve(0, False))
    options.update({k: v for k, v in overrides.items()
                    if k in DiskFileConfig.__dataclass_fields__})
    extra = {k: v for k, v in overrides.items()
             if k not in DiskFileConfig.__dataclass_fields__}
    return DiskFileManager(DiskFileConfig(**options), logger=CaptureLogger(),
                           clock=clock or FakeClock(1700000000.0),
                           hash_config=HASH_CONFIG, **extra)


def put_object(manager, body=b'hello', timestamp='1700000000.00000', name=('a', 'c', 'o'),
               extra=None, device='sda', partition='0', policy_index=0):
    """Write one object through the DiskFile layer; returns the DiskFile."""
    from swift.common.hashing import md5_hex
    df = manager.get_diskfile(device, partition, *name, policy_index=policy_index)
    with df.create(size=len(body)) as writer:
        writer.write(body)
        metadata = {'X-Timestamp': timestamp, 'Content-Type': 'text/plain',
                    'Content-Length': str(len(body)), 'ETag': md5_hex(body)}
        metadata.update(extra or {})
        writer.put(metadata)
    return df


quiet = logging.getLogger('quiet')


class FakeResponse:
    """What a fake backend connection answers."""

    def __init__(self, status, headers=None):
        self.status = status
        self._headers = headers or {}

    def read(self, *args):
        return b''

    def getheader(self, name, default=None):
        return self._headers.get(name, default)


class FakeHTTP:
    """Records backend requests; answers with ``statuses`` in turn (an Exception
    instance is raised instead). Default answer 201."""

    def __init__(self, statuses=None):
        self.statuses = list(statuses or [])
        self.requests = []

    def __call__(self, ip, port, device, partition, method, path, headers=None,
                 query_string=None, ssl=False):
        self.requests.append({'ip': ip, 'port': str(port), 'device': device,
                              'partition': str(partition), 'method': method,
                              'path': path, 'headers': dict(headers or {})})
        answer = self.statuses.pop(0) if self.statuses else 201
        if isinstance(answer, Exception):
            raise answer
        conn = FakeConnection(answer)
        return conn


class FakeConnection:
    def __init__(self, answer):
        self.answer = answer

    def getresponse(self):
        if isinstance(self.answer, FakeResponse):
            return self.answer
        return FakeResponse(self.answer)


def make_app(tmp_path, clock=None, http=None, devices=('sda',), **overrides):
    """An ObjectController over temp devices with a fake clock and fake backends."""
    from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
    from swift.obj.server import ObjectController, ObjectServerConfig
    clock = clock or FakeClock(1700000000.0)
    manager_overrides = {k: v for k, v in overrides.items()
                         if k in DiskFileConfig.__dataclass_fields__
                         or k in ('xattrs', 'statvfs', 'is_mount')}
    manager = make_manager(tmp_path, devices=devices, clock=clock, **manager_overrides)
    server_options = {k: v for k, v in overrides.items()
                      if k in ObjectServerConfig.__dataclass_fields__}
    config = ObjectServerConfig(diskfile=manager.config, **server_options)
    policies = StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True),
                                        StoragePolicy(1, 'silver')])
    return ObjectController(config, logger=manager.logger, clock=clock,
                            diskfile_manager=manager, policies=policies,
                            hash_config=HASH_CONFIG, http_connect=http or FakeHTTP())
