# Owns the read side of rings: RingData (the tables of a ring file) and Ring
# (placement lookups with reload-on-change). Placement rules are Swift's
# (swift-catalog.md 2.6): partition = top part_power bits of the first 4 md5 bytes
# (big-endian) of hash_path; primaries = one dev per replica row, de-duplicated;
# handoffs walk partitions from md5(str(part)) trying new regions, then zones, then
# ips, then any device.
"""Ring and RingData: load, save and query Swift rings."""

import array
import hashlib
import logging
import os
import struct
from itertools import chain, count
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from swift.common.clock import RealClock
from swift.common.hashing import HashPathConfig, hash_path
from swift.common.ring import io as ring_io
from swift.common.ring.errors import RingFormatError, RingLoadError
from swift.common.ring.tiers import tiers_for_dev

Name = Union[str, bytes]


class RingData:
    """The tables a ring file holds.

    :param replica2part2dev_id: list of ``array.array`` rows (one per replica) of
        device ids indexed by partition; the last row may be shorter.
    :param devs: list of device dicts or None holes, indexed by device id.
    :param part_shift: 32 - part_power.
    :param next_part_power: int or None (partition power increase in progress).
    :param version: build version int or None.
    """

    def __init__(self, replica2part2dev_id, devs, part_shift,
                 next_part_power=None, version=None):
        self.devs = devs
        self._replica2part2dev_id = replica2part2dev_id
        self._part_shift = part_shift
        self.next_part_power = next_part_power
        self.version = version
        #: format version of the file this came from (None if built in memory)
        self.format_version = None
        self._dev_id_bytes = None

    @property
    def replica2part2dev_id(self):
        """The assignment rows (list of arrays)."""
        return self._replica2part2dev_id

    @property
    def part_shift(self):
        return self._part_shift

    @property
    def part_power(self):
        return 32 - self._part_shift

    @property
    def replica_count(self):
        """Exact replica count (float; fractional when the last row is short)."""
        rows = self._replica2part2dev_id
        return ring_io.replica_count_of(rows, len(rows[0]) if rows else 0)

    @property
    def dev_id_bytes(self):
        """2, or 4 when a device id (or unassigned marker) needs it."""
        if self._dev_id_bytes:
            return self._dev_id_bytes
        highest = max((len(self.devs) - 1, 0))
        for row in self._replica2part2dev_id:
            if row.itemsize > 2:
                return 4
        return 4 if highest >= 0xFFFF else 2

    @classmethod
    def load(cls, filename: str) -> 'RingData':
        """Load a v1 or v2 ``.ring.gz`` file.

        :returns: RingData with ``format_version`` set.
        :raises OSError: if the file cannot be read.
        :raises RingFormatError: if the content is not a valid ring.
        """
        payload = ring_io.read_ring_file(filename)
        data = cls(payload.replica2part2dev_id, payload.devs, payload.part_shift,
                   payload.next_part_power, payload.version)
        data.format_version = payload.format_version
        data._dev_id_bytes = payload.dev_id_bytes
        return data

    def to_dict(self) -> Dict[str, Any]:
        """The ring as a plain dict (Swift's RingData.to_dict shape)."""
        return {'devs': self.devs,
                'replica2part2dev_id': self._replica2part2dev_id,
                'part_shift': self._part_shift,
                'next_part_power': self.next_part_power,
                'version': self.version}

    def save(self, filename: str, mtime: float = ring_io.GZIP_MTIME,
             format_version: int = 1,
             dev_id_bytes: Optional[int] = None) -> None:
        """Durably write the ring to ``filename`` (byte-compatible with Swift).

        :param format_version: 1 (default, as Swift's CLI) or 2.
        :param dev_id_bytes: 2 or 4; default: the smallest that fits.
        :raises RingFormatError: for format 3+, or 4-byte ids in format 1.
        :raises OSError: on I/O failure.
        """
        dev_id_bytes = dev_id_bytes or self.dev_id_bytes
        payload = ring_io.RingPayload(
            [_ring_dev(dev) for dev in self.devs], self._replica2part2dev_id,
            self._part_shift, self.next_part_power, self.version,
            format_version, dev_id_bytes)
        ring_io.write_ring_file(filename, payload, mtime=mtime)


def _ring_dev(dev):
    # Devices in a ring file carry no builder-only keys.
    if dev is None:
        return None
    return {key: value for key, value in dev.items()
            if key not in ('parts', 'parts_wanted', 'sort_key', 'tiers')}


def _resolve_ring_path(swift_dir, ring_name):
    if swift_dir.endswith('.ring.gz') or os.path.isfile(swift_dir):
        return swift_dir, os.path.dirname(swift_dir)
    name = ring_name or 'object'
    return os.path.join(swift_dir, name + '.ring.gz'), swift_dir


class Ring:
    """Partitioned consistent hashing ring, reloaded when its file changes.

    :param swift_dir: directory holding ``<ring_name>.ring.gz`` and swift.conf, or
        the full path of a ``.ring.gz`` file.
    :param ring_name: ``object``, ``object-1``, ``container``, ``account``...
    :param reload_time: seconds between checks of the file's mtime.
    :param hash_config: :class:`HashPathConfig`; None reads
        ``<swift_dir>/swift.conf`` on first use of :meth:`get_part`.
    :param clock: object with ``time()`` (default: real time).
    :raises RingLoadError: if the ring file does not exist or cannot be read.
    :raises RingFormatError: if it is not a valid ring.
    """

    def __init__(self, swift_dir: str, ring_name: Optional[str] = 'object',
                 reload_time: float = 15,
                 hash_config: Optional[HashPathConfig] = None, *,
                 clock: Any = None) -> None:
        self.serialized_path, self.swift_dir = _resolve_ring_path(
            swift_dir, ring_name)
        self.ring_name = ring_name
        self.reload_time = reload_time
        self._hash_config = hash_config
        self._clock = clock or RealClock()
        self._mtime = None
        self._reload(force=True)

    # -- loading -------------------------------------------------------------

    def _reload(self, force=False):
        self._rtime = self._clock.time() + self.reload_time
        if not force and not self.has_changed():
            return
        try:
            mtime = os.path.getmtime(self.serialized_path)
            ring_data = RingData.load(self.serialized_path)
        except FileNotFoundError:
            raise RingLoadError('No such ring file %s' % self.serialized_path,
                                self.serialized_path)
        except OSError as err:
            raise RingLoadError('Unable to read ring file %s: %s'
                                % (self.serialized_path, err),
                                self.serialized_path)
        self._load_data(ring_data)
        self._mtime = mtime

    def _load_data(self, ring_data):
        rows = ring_data.replica2part2dev_id
        devs = ring_data.devs
        for dev in devs:
            if dev:
                dev.setdefault('region', 1)
                if 'ip' in dev:
                    dev.setdefault('replication_ip', dev['ip'])
                if 'port' in dev:
                    dev.setdefault('replication_port', dev['port'])
        self._check_tables(rows, devs)
        self._devs = devs
        self._replica2part2dev_id = rows
        self._part_shift = ring_data.part_shift
        self._next_part_power = ring_data.next_part_power
        self._version = ring_data.version
        self._dev_id_bytes = ring_data.dev_id_bytes
        self._format_version = ring_data.format_version
        self._rebuild_tier_data()

    def _check_tables(self, rows, devs):
        # Pair of the writer's guarantee: every id in the table names a device.
        if not rows:
            raise RingFormatError('ring has no assignments', self.serialized_path)
        for row in rows:
            if row and max(row) >= len(devs):
                raise RingFormatError('assignment names unknown device',
                                      self.serialized_path)
        for dev_id in set(chain.from_iterable(rows)):
            if devs[dev_id] is None:
                raise RingFormatError('assignment names deleted device %d'
                                      % dev_id, self.serialized_path)

    def _rebuild_tier_data(self):
        # Only devices holding at least one assignment count towards the
        # early exits of get_more_nodes (as Swift does).
        dev_ids_with_parts = set()
        for row in self._replica2part2dev_id:
            dev_ids_with_parts.update(row)
        regions, zones, ips = set(), set(), set()
        self._num_devs = self._num_assigned_devs = 0
        self._num_weighted_devs = 0
        self.tier2devs = {}
        for dev in self._devs:
            if dev is None:
                continue
            self._num_devs += 1
            if dev.get('weight', 0) > 0:
                self._num_weighted_devs += 1
            for tier in tiers_for_dev(dev):
                self.tier2devs.setdefault(tier, []).append(dev)
            if dev['id'] in dev_ids_with_parts:
                regions.add(dev['region'])
                zones.add((dev['region'], dev['zone']))
                ips.add((dev['region'], dev['zone'], dev['ip']))
                self._num_assigned_devs += 1
        self._num_regions = len(regions)
        self._num_zones = len(zones)
        self._num_ips = len(ips)

    def has_changed(self) -> bool:
        """True if the ring file's mtime differs from the loaded one."""
        try:
            return os.path.getmtime(self.serialized_path) != self._mtime
        except OSError:
            return False

    def _maybe_reload(self):
        if self._clock.time() <= self._rtime:
            return
        try:
            self._reload()
        except (RingLoadError, RingFormatError) as err:
            # A ring swapped in badly must not take a running server down:
            # keep serving the tables we have and try again next period.
            logging.getLogger('swift.ring').warning(
                'Keeping the loaded ring; reload of %s failed: %s',
                self.serialized_path, err)

    # -- properties ----------------------------------------------------------

    @property
    def devs(self) -> List[Optional[Dict[str, Any]]]:
        """Device dicts (None holes) indexed by id."""
        self._maybe_reload()
        return self._devs

    @property
    def replica_count(self) -> float:
        """Number of replicas (float; fractional if the last row is short)."""
        rows = self._replica2part2dev_id
        return ring_io.replica_count_of(rows, len(rows[0]))

    @property
    def partition_count(self) -> int:
        """Number of partitions (2 ** part_power)."""
        return len(self._replica2part2dev_id[0])

    @property
    def part_power(self):
        return 32 - self._part_shift

    @property
    def next_part_power(self):
        return self._next_part_power

    @property
    def version(self):
        return self._version

    @property
    def dev_id_bytes(self):
        return self._dev_id_bytes

    @property
    def format_version(self):
        return self._format_version

    @property
    def weighted_parts(self):
        """Partition count times replica count."""
        return self.partition_count * self.replica_count

    @property
    def hash_config(self):
        """The :class:`HashPathConfig` used by :meth:`get_part` (lazy)."""
        if self._hash_config is None:
            self._hash_config = HashPathConfig.from_swift_dir(self.swift_dir)
        return self._hash_config

    # -- placement -----------------------------------------------------------

    def get_part(self, account: Name, container: Optional[Name] = None,
                 obj: Optional[Name] = None) -> int:
        """Partition of a name.

        :returns: int in ``[0, partition_count)``.
        :raises ValueError: for an object without a container.
        :raises HashPathConfigError: if swift.conf has no hash prefix/suffix.
        """
        key = hash_path(account, container, obj, raw_digest=True,
                        config=self.hash_config)
        self._maybe_reload()
        return struct.unpack_from('>I', key)[0] >> self._part_shift

    def _get_part_nodes(self, part):
        part_nodes = []
        seen_ids = set()
        for row in self._replica2part2dev_id:
            if part < len(row):
                dev_id = row[part]
                if dev_id not in seen_ids:
                    part_nodes.append(self._devs[dev_id])
                    seen_ids.add(dev_id)
        return [dict(node, index=index) for index, node in enumerate(part_nodes)]

    def get_part_nodes(self, part: int) -> List[Dict[str, Any]]:
        """Primary node dicts of ``part``, each with ``index`` 0..n-1."""
        self._maybe_reload()
        return self._get_part_nodes(part)

    def get_nodes(self, account: Name, container: Optional[Name] = None,
                  obj: Optional[Name] = None
                  ) -> Tuple[int, List[Dict[str, Any]]]:
        """Partition and primary nodes of a name.

        :returns: ``(partition, [node dict with 'index', ...])``.
        """
        part = self.get_part(account, container, obj)
        return part, self._get_part_nodes(part)

    def _handoff_parts(self, part):
        parts = len(self._replica2part2dev_id[0])
        part_hash = hashlib.md5(str(part).encode('ascii'),
                                usedforsecurity=False).digest()
        start = struct.unpack_from('>I', part_hash)[0] >> self._part_shift
        inc = int(parts / 65536) or 1
        return chain(range(start, parts, inc),
                     range(inc - ((parts - start) % inc), start, inc))

    def _walk(self, part):
        # (dev_id, dev) for every assignment in handoff-partition order.
        rows = self._replica2part2dev_id
        for handoff_part in self._handoff_parts(part):
            for row in rows:
                if handoff_part < len(row):
                    dev_id = row[handoff_part]
                    yield dev_id, self._devs[dev_id]

    def get_more_nodes(self, part: int) -> Iterator[Dict[str, Any]]:
        """Yield handoff node dicts for ``part`` in Swift's exact order.

        Each dict carries ``handoff_index`` 0, 1, 2...  Passes: devices in unused
        regions, then unused zones, then unused (region, zone, ip), then any
        unused device; each pass ends once its tier is exhausted.
        """
        self._maybe_reload()
        primaries = self._get_part_nodes(part)
        state = _HandoffState(primaries)
        index = count()
        passes = ((self._num_regions, lambda d: (d['region'],), state.regions),
                  (self._num_zones, lambda d: (d['region'], d['zone']), state.zones),
                  (self._num_ips, lambda d: (d['region'], d['zone'], d['ip']),
                   state.ips))
        for total, key_of, used_keys in passes:
            if len(used_keys) == total:
                continue
            for dev_id, dev in self._walk(part):
                if dev_id in state.used or key_of(dev) in used_keys:
                    continue
                yield dict(dev, handoff_index=next(index))
                state.add(dev)
                if len(used_keys) == total:
                    break
        if len(state.used) == self._num_assigned_devs:
            return
        for dev_id, dev in self._walk(part):
            if dev_id in state.used:
                continue
            yield dict(dev, handoff_index=next(index))
            state.used.add(dev_id)
            if len(state.used) == self._num_assigned_devs:
                return


class _HandoffState:
    """Devices and tiers already used while walking handoffs."""

    def __init__(self, primaries):
        self.used = set()
        self.regions = set()
        self.zones = set()
        self.ips = set()
        for dev in primaries:
            self.add(dev)

    def add(self, dev):
        self.used.add(dev['id'])
        self.regions.add((dev['region'],))
        self.zones.add((dev['region'], dev['zone']))
        self.ips.add((dev['region'], dev['zone'], dev['ip']))


def new_assignment_row(typecode, size, fill):
    """An ``array.array`` of ``size`` entries all equal to ``fill``."""
    return array.array(typecode, [fill]) * size
