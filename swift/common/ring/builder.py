# Owns RingBuilder: the device list, the partition->device assignment tables and
# the rebalance that fills them (swift-catalog.md 2.1, 2.2). The algorithm follows
# Swift's so that the same inputs and seed give the same ring:
#   replica plan (weighted -> wanted -> target replicanths per tier), parts wanted
#   per device, gather (replica-count change, removed devices, dispersion, balance),
#   reassign to the roomiest tier, then the dispersion graph.
# The random source is a private random.Random seeded like Swift's random.seed().
"""RingBuilder: build and rebalance Swift rings."""

import array
import copy
import itertools
import logging
import math
import random
import uuid
from collections import defaultdict
from typing import Any, Dict, List, Optional, Tuple

from swift.common.clock import RealClock
from swift.common.ring import builder_file
from swift.common.ring.devices import validate_and_normalize_ip
from swift.common.ring.errors import (
    DuplicateDeviceError, EmptyRingError, RingBuilderError, RingValidationError,
    UnpicklingError)
from swift.common.ring.gather import (
    NONE_DEV, build_dispersion_graph, gather_parts_for_balance,
    gather_parts_for_dispersion, reassign_parts, validate_builder)
from swift.common.ring.placement import (
    build_max_replicas_by_tier, build_wanted_replicas_by_tier,
    build_weighted_replicas_by_tier, validate_replicas_by_tier)
from swift.common.ring.ring import RingData
from swift.common.ring.tiers import build_tier_tree, tiers_for_dev

#: balance shown for a zero-weight device that still holds partitions.
MAX_BALANCE = 999.99
#: how many gather/reassign rounds one rebalance tries.
MAX_BALANCE_GATHER_COUNT = 3
_SEARCH_KEYS = ('id', 'region', 'zone', 'ip', 'port', 'replication_ip',
                'replication_port', 'device', 'weight', 'meta')
_REQUIRED_DEV_KEYS = ('region', 'zone', 'ip', 'port', 'device', 'weight')


class RingBuilder:
    """Holds a ring's devices and assignments and rebalances them.

    :param part_power: log2 of the partition count (0..32).
    :param replicas: replica count (float >= 1; fractional allowed).
    :param min_part_hours: hours a partition must stay put after a move (>= 0).
    :param clock: object with ``time()`` (seconds); default real time.
    :raises ValueError: for out-of-range arguments.
    """

    def __init__(self, part_power: int, replicas: float, min_part_hours: int,
                 *, clock: Any = None) -> None:
        if part_power > 32:
            raise ValueError('part_power must be at most 32 (was %d)'
                             % (part_power,))
        if part_power < 0:
            raise ValueError('part_power must be at least 0 (was %d)'
                             % (part_power,))
        if replicas < 1:
            raise ValueError('replicas must be at least 1 (was %.6f)'
                             % (replicas,))
        if min_part_hours < 0:
            raise ValueError('min_part_hours must be non-negative (was %d)'
                             % (min_part_hours,))
        self.clock = clock or RealClock()
        self.part_power = part_power
        self.next_part_power: Optional[int] = None
        self.replicas = replicas
        self.min_part_hours = min_part_hours
        self.parts = 2 ** self.part_power
        self.devs: List[Optional[Dict[str, Any]]] = []
        self.devs_changed = False
        self.version = 0
        self.overload = 0.0
        self._id: Optional[str] = None
        self._replica2part2dev: Optional[List[array.array]] = None
        self._last_part_moves = array.array('B', bytes(self.parts))
        self._part_moved_bitmap = bytearray()
        self._last_part_moves_epoch = 0
        self._last_part_gather_start = 0
        self._dispersion_graph: Dict[tuple, List[int]] = {}
        self.dispersion: Optional[float] = 0.0
        self._remove_devs: List[Dict[str, Any]] = []
        self._ring: Optional[RingData] = None
        self._random = random.Random()
        self.logger = logging.getLogger('swift.ring.builder')

    # -- identity and persistence ---------------------------------------------

    @property
    def id(self):
        """uuid4 hex assigned on first :meth:`save`.

        :raises AttributeError: if never saved.
        """
        if self._id is None:
            raise AttributeError(
                'id attribute has not been initialised by calling save()')
        return self._id

    @property
    def part_shift(self):
        return 32 - self.part_power

    @property
    def ever_rebalanced(self):
        return self._replica2part2dev is not None

    @property
    def dev_id_bytes(self):
        """2, or 4 once a device id reaches 0xFFFF."""
        return 4 if len(self.devs) >= NONE_DEV else 2

    def copy_from(self, builder):
        """Reinitialise from a builder dict (as unpickled) or another builder."""
        if isinstance(builder, RingBuilder):
            builder = builder.to_dict()
        builder_file.apply_dict(self, builder)
        self._ring = None
        for dev in self._iter_devs():
            dev.setdefault('region', 1)
            dev.setdefault('meta', '')
            dev.setdefault('replication_ip', dev['ip'])
            dev.setdefault('replication_port', dev['port'])
            dev.setdefault('parts', 0)
            dev.setdefault('parts_wanted', 0)

    def to_dict(self):
        """The builder as the plain dict Swift pickles (keys as Swift's)."""
        return builder_file.to_dict(self)

    @classmethod
    def from_dict(cls, builder_data, clock=None):
        """Build a RingBuilder from an unpickled builder dict."""
        builder = cls(1, 1, 1, clock=clock)
        builder.copy_from(builder_data)
        return builder

    @classmethod
    def load(cls, path: str, clock: Any = None) -> 'RingBuilder':
        """Load a ``.builder`` file through the restricted unpickler.

        :raises FileNotFoundError: ``Ring Builder file does not exist: <path>``.
        :raises PermissionError: if it cannot be read.
        :raises UnpicklingError: if it is not a builder pickle.
        """
        data = builder_file.load_builder_dict(path)
        try:
            return cls.from_dict(data, clock=clock)
        except (UnpicklingError, TypeError, ValueError, KeyError,
                AttributeError, OverflowError) as err:
            # a pickle of plain types that is not shaped like a builder
            raise UnpicklingError('Ring Builder file is invalid: %s (%s)'
                                  % (path, err), path)

    def save(self, path: str) -> None:
        """Durably write the builder pickle (protocol 2) to ``path``.

        Assigns :attr:`id` first if unset.
        """
        if self._id is None:
            self._id = uuid.uuid4().hex
        builder_file.save_builder_dict(self.to_dict(), path)

    def get_ring(self) -> RingData:
        """The :class:`RingData` this builder describes (cached)."""
        if not self._ring:
            devs = [None] * len(self.devs)
            for dev in self._iter_devs():
                devs[dev['id']] = {k: v for k, v in dev.items()
                                   if k not in ('parts', 'parts_wanted',
                                                'tiers', 'sort_key')}
            if not self._replica2part2dev:
                self._ring = RingData([], devs, self.part_shift,
                                      version=self.version)
            else:
                typecode = 'I' if self.dev_id_bytes == 4 else 'H'
                rows = [array.array(typecode, row)
                        for row in self._replica2part2dev]
                self._ring = RingData(rows, devs, self.part_shift,
                                      self.next_part_power, self.version)
        return self._ring

    # -- devices ---------------------------------------------------------------

    def _iter_devs(self):
        for dev in self.devs:
            if dev is not None:
                yield dev

    def add_dev(self, dev: Dict[str, Any]) -> int:
        """Add a device dict (mutated: gains ``id``, ``parts``...).

        :param dev: needs region, zone, ip, port, device, weight; optional id,
            meta, replication_ip, replication_port.
        :returns: the device id.
        :raises DuplicateDeviceError: if the id is taken.
        :raises ValueError: if a required key is missing.
        """
        if dev.get('id') is None:
            dev['id'] = 0
            if self.devs:
                try:
                    dev['id'] = self.devs.index(None)
                except ValueError:
                    dev['id'] = len(self.devs)
        if dev['id'] < len(self.devs) and self.devs[dev['id']] is not None:
            raise DuplicateDeviceError('Duplicate device id: %d' % dev['id'])
        missing = [key for key in _REQUIRED_DEV_KEYS if key not in dev]
        if missing:
            raise ValueError('%r is missing required key(s): %s'
                             % (dev, ', '.join(missing)))
        while dev['id'] >= len(self.devs):
            self.devs.append(None)
        dev.setdefault('meta', '')
        dev.setdefault('replication_ip', dev['ip'])
        dev.setdefault('replication_port', dev['port'])
        dev['weight'] = float(dev['weight'])
        dev['parts'] = 0
        dev['parts_wanted'] = 0
        self.devs[dev['id']] = dev
        self.devs_changed = True
        self.version += 1
        return dev['id']

    def _changed(self):
        self.devs_changed = True
        self.version += 1
        self._ring = None

    def _existing_dev(self, dev_id: int) -> Dict[str, Any]:
        dev = self.devs[dev_id] if 0 <= dev_id < len(self.devs) else None
        if dev is None:
            raise RingBuilderError('No device with id %s' % (dev_id,))
        return dev

    def set_dev_weight(self, dev_id: int, weight: float) -> None:
        """Set a device's weight (float); takes effect at the next rebalance.

        :raises RingBuilderError: for an unknown device id.
        """
        self._existing_dev(dev_id)['weight'] = float(weight)
        self._changed()

    def set_dev_region(self, dev_id: int, region: int) -> None:
        """Move a device to another region (next rebalance moves its parts)."""
        self._existing_dev(dev_id)['region'] = region
        self._changed()

    def set_dev_zone(self, dev_id: int, zone: int) -> None:
        """Move a device to another zone (next rebalance moves its parts)."""
        self._existing_dev(dev_id)['zone'] = zone
        self._changed()

    def remove_dev(self, dev_id: int) -> None:
        """Mark a device for removal: weight 0, dropped at the next rebalance.

        :raises RingBuilderError: for an unknown device id.
        """
        dev = self._existing_dev(dev_id)
        dev['weight'] = 0
        self._remove_devs.append(dev)
        self._changed()

    def set_replicas(self, new_replica_count):
        """Change the replica count (applied at the next rebalance).

        Marks devices changed when the number of assignment slots changes, so
        the next rebalance is saved even if balance barely moves (Swift's rule).

        :raises ValueError: below 1.
        """
        if new_replica_count < 1:
            raise ValueError('Replica count must be at least 1')
        old_slots_used = int(self.parts * self.replicas)
        new_slots_used = int(self.parts * new_replica_count)
        if old_slots_used != new_slots_used:
            self.devs_changed = True
        self.replicas = new_replica_count
        self._ring = None

    def set_overload(self, overload):
        """Set the overload fraction (0.1 = 10%) used by the next rebalance."""
        self.overload = overload

    def change_min_part_hours(self, min_part_hours):
        self.min_part_hours = min_part_hours

    def search_devs(self, search_values: Dict[str, Any]
                    ) -> List[Dict[str, Any]]:
        """Devices matching every key of the ``search_values`` dict."""
        return [dev for dev in self._iter_devs()
                if all(_dev_matches(dev, key, search_values[key])
                       for key in _SEARCH_KEYS if key in search_values)]

    # -- partition power increase ----------------------------------------------

    def prepare_increase_partition_power(self):
        """Set ``next_part_power`` to part_power + 1 (step 1 of an increase).

        :returns: False if an increase is already prepared, else True.
        """
        if self.next_part_power:
            return False
        self.next_part_power = self.part_power + 1
        self.version += 1
        self._ring = None
        return True

    def increase_partition_power(self):
        """Double the partitions: old part p becomes new parts 2p and 2p+1
        on the same devices (so no data moves, only hard links).

        :returns: False unless prepared and not yet increased.
        """
        if not self.next_part_power or \
                self.next_part_power != self.part_power + 1:
            return False
        doubled = []
        for row in self._replica2part2dev:
            new_row = array.array(row.typecode, bytes(2 * len(row) * row.itemsize))
            new_row[0::2] = row
            new_row[1::2] = row
            doubled.append(new_row)
        self._replica2part2dev = doubled
        for dev in self._iter_devs():
            dev['parts'] *= 2
        moves = array.array('B', bytes(2 * len(self._last_part_moves)))
        moves[0::2] = self._last_part_moves
        moves[1::2] = self._last_part_moves
        self._last_part_moves = moves
        self.part_power = self.next_part_power
        self.parts = 2 ** self.part_power
        self.version += 1
        self._ring = None
        return True

    def cancel_increase_partition_power(self):
        """Abort a prepared increase (next_part_power = part_power).

        :returns: False unless prepared and not yet increased.
        """
        if not self.next_part_power or \
                self.next_part_power != self.part_power + 1:
            return False
        self.next_part_power = self.part_power
        self.version += 1
        self._ring = None
        return True

    def finish_increase_partition_power(self):
        """Clear next_part_power after an increase (or cancel) completed.

        :returns: False if there is nothing to finish.
        """
        if self.next_part_power and self.next_part_power == self.part_power:
            self.next_part_power = None
            self.version += 1
            self._ring = None
            return True
        return False

    # -- balance and time ------------------------------------------------------

    def weight_of_one_part(self):
        """Partitions per unit of weight.

        :raises EmptyRingError: if there is no weighted device.
        """
        total = sum(d['weight'] for d in self._iter_devs())
        if not total:
            raise EmptyRingError('There are no devices in this ring, or all '
                                 'devices have been deleted')
        return self.parts * self.replicas / total

    def _build_balance_per_dev(self):
        weight_of_one_part = self.weight_of_one_part()
        balance_per_dev = {}
        for dev in self._iter_devs():
            if not dev['weight']:
                balance = MAX_BALANCE if dev['parts'] else 0
            else:
                balance = 100.0 * dev['parts'] / (
                    dev['weight'] * weight_of_one_part) - 100.0
            balance_per_dev[dev['id']] = balance
        return balance_per_dev

    def get_balance(self) -> float:
        """Largest % a device is over/under its weight share (999.99 max).

        :raises EmptyRingError: if there is no weighted device.
        """
        return max(abs(b) for b in self._build_balance_per_dev().values())

    @property
    def min_part_seconds_left(self):
        """Seconds until partitions may move again (0 if they may now)."""
        elapsed = int(self.clock.time() - self._last_part_moves_epoch)
        return max(self.min_part_hours * 3600 - elapsed, 0)

    def pretend_min_part_hours_passed(self):
        """Let every partition move at the next rebalance."""
        self._last_part_moves = array.array('B', b'\xff' * self.parts)
        self._last_part_moves_epoch = 0

    def _update_last_part_moves(self):
        self._part_moved_bitmap = bytearray(max(2 ** (self.part_power - 3), 1))
        elapsed_hours = int(self.clock.time() - self._last_part_moves_epoch) // 3600
        if elapsed_hours <= 0:
            return
        # bytes.translate applies "min(moves + elapsed, 255)" to every part at C
        # speed instead of a Python loop over up to 2**32 partitions.
        table = bytes(min(i + elapsed_hours, 0xff) for i in range(256))
        moved = self._last_part_moves.tobytes().translate(table)
        self._last_part_moves = array.array('B', moved)
        self._last_part_moves_epoch = int(self.clock.time())

    def _set_part_moved(self, part):
        self._last_part_moves[part] = 0
        byte, bit = divmod(part, 8)
        self._part_moved_bitmap[byte] |= (128 >> bit)

    def _has_part_moved(self, part):
        byte, bit = divmod(part, 8)
        return bool(self._part_moved_bitmap[byte] & (128 >> bit))

    def _can_part_move(self, part):
        return (self._last_part_moves[part] >= self.min_part_hours and
                not self._has_part_moved(part))

    # -- rebalance -------------------------------------------------------------

    def rebalance(self, seed: Any = None) -> Tuple[int, float, int]:
        """Reassign partitions to follow weights and maximise dispersion.

        :param seed: any hashable accepted by ``random.seed`` (the CLI passes the
            ``--seed`` string), for a reproducible result.
        :returns: ``(changed_parts, balance, removed_devs)``: part-replicas whose
            device changed, the new balance (%), devices removed.
        :raises EmptyRingError: if there is no weighted device.
        :raises RingValidationError: if the plan cannot be satisfied (e.g. more
            replicas than devices).
        :raises RingBuilderError: during a partition power increase.
        """
        if self.next_part_power and self.next_part_power != self.part_power:
            raise RingBuilderError('Cannot rebalance ring while partition '
                                   'power increase is in progress')
        num_devices = len(self._weighted_devs())
        if num_devices < self.replicas:
            raise RingValidationError(
                'Replica count of %(replicas)s requires more than '
                '%(num_devices)s devices' % {'replicas': self.replicas,
                                            'num_devices': num_devices})
        self._random = random.Random(seed) if seed is not None else random.Random()
        self._ring = None
        if not self.ever_rebalanced:
            self.logger.debug('New builder; performing initial balance')
        self._gather_attempts = 0
        old_replica2part2dev = copy.deepcopy(self._replica2part2dev)
        self._update_last_part_moves()
        for dev in self._iter_devs():
            dev['tiers'] = tiers_for_dev(dev)
        try:
            replica_plan = self._build_replica_plan()
            self._set_parts_wanted(replica_plan)
            assign_parts: Dict[int, List[int]] = defaultdict(list)
            self._adjust_replica2part2dev_size(assign_parts)
            removed_devs = self._gather_parts_from_failed_devices(assign_parts)
            self._gather_parts_for_dispersion(assign_parts, replica_plan)
            status = self._gather_and_reassign(assign_parts, replica_plan)
            self.logger.debug('%s rebalance plan after %s attempts',
                              status, self._gather_attempts)
            self.devs_changed = False
            self.version += 1
            changed_parts = self._build_dispersion_graph(old_replica2part2dev)
        finally:
            for dev in self._iter_devs():
                dev.pop('tiers', None)
        return changed_parts, self.get_balance(), removed_devs

    def _gather_and_reassign(self, assign_parts, replica_plan):
        for gather_count in range(MAX_BALANCE_GATHER_COUNT):
            self._gather_attempts = gather_count + 1
            self._gather_parts_for_balance(assign_parts, replica_plan,
                                           gather_count == 0)
            if not assign_parts:
                return 'Unable to finish'
            assign_parts_list = list(assign_parts.items())
            # No preference on the order in which the plan is fulfilled.
            self._random.shuffle(assign_parts_list)
            assign_parts.clear()
            self.logger.debug('Gathered %d parts', sum(
                len(replicas) for _part, replicas in assign_parts_list))
            self._reassign_parts(assign_parts_list, replica_plan)
            if not any(d['parts_wanted'] < 0 for d in self._iter_devs()):
                return 'Finished'
        return 'Unable to finish'

    def _weighted_devs(self):
        return [d for d in self._iter_devs() if d['weight']]

    def _build_tier2children(self):
        return build_tier_tree(self._weighted_devs())

    def _build_weighted_replicas_by_tier(self):
        return build_weighted_replicas_by_tier(
            self._weighted_devs(), self.replicas, self.parts,
            self.weight_of_one_part())

    def _build_wanted_replicas_by_tier(self):
        return build_wanted_replicas_by_tier(
            self._weighted_devs(), self.replicas,
            self._build_weighted_replicas_by_tier())

    def _build_max_replicas_by_tier(self, bound=math.ceil):
        return build_max_replicas_by_tier(self._weighted_devs(), self.replicas,
                                          bound)

    def get_required_overload(self, weighted=None, wanted=None):
        """Smallest overload (fraction) that lets the ring be fully dispersed.

        :raises RingValidationError: if a zero-weight device wants replicas.
        """
        weighted = weighted or self._build_weighted_replicas_by_tier()
        wanted = wanted or self._build_wanted_replicas_by_tier()
        max_overload = 0.0
        for dev in self._iter_devs():
            tier = (dev['region'], dev['zone'], dev['ip'], dev['id'])
            if not dev['weight']:
                if tier not in wanted or not wanted[tier]:
                    continue
                raise RingValidationError(
                    'Device %s has zero weight and should not want any '
                    'replicas' % (tier,))
            required = (wanted[tier] - weighted[tier]) / weighted[tier]
            if required > max_overload:
                max_overload = required
        return max_overload

    def _build_target_replicas_by_tier(self):
        weighted_replicas = self._build_weighted_replicas_by_tier()
        wanted_replicas = self._build_wanted_replicas_by_tier()
        max_overload = self.get_required_overload(weighted=weighted_replicas,
                                                  wanted=wanted_replicas)
        if max_overload <= 0.0:
            return wanted_replicas
        overload = min(self.overload, max_overload)
        target_replicas = defaultdict(float)
        for tier, weighted in weighted_replicas.items():
            m = (wanted_replicas[tier] - weighted) / max_overload
            target_replicas[tier] = m * overload + weighted
        validate_replicas_by_tier(self.replicas, target_replicas)
        return target_replicas

    def _build_replica_plan(self):
        target_replicas = self._build_target_replicas_by_tier()
        replica_plan = defaultdict(lambda: {'min': 0, 'target': 0, 'max': 0})
        replica_plan.update({
            tier: {'min': math.floor(r + 1e-10), 'target': r,
                   'max': math.ceil(r - 1e-10)}
            for tier, r in target_replicas.items()})
        return replica_plan

    def _set_parts_wanted(self, replica_plan):
        tier2children = self._build_tier2children()
        parts_by_tier = defaultdict(int)

        def place_parts(tier, parts):
            parts_by_tier[tier] = parts
            sub_tiers = sorted(tier2children[tier])
            if not sub_tiers:
                return
            to_place = defaultdict(int)
            for sub_tier in sub_tiers:
                to_place[sub_tier] = min(parts, int(math.floor(
                    replica_plan[sub_tier]['target'] * self.parts)))
                parts -= to_place[sub_tier]
            # hand out what rounding left over, smallest targets first
            sub_tier_gen = itertools.cycle(sorted(
                sub_tiers, key=lambda t: replica_plan[t]['target']))
            while parts > 0:
                to_place[next(sub_tier_gen)] += 1
                parts -= 1
            for sub_tier, sub_parts in to_place.items():
                place_parts(sub_tier, sub_parts)

        total_parts = int(self.replicas * self.parts)
        place_parts((), total_parts)
        for depth, tier_name in enumerate(
                ('cluster', 'regions', 'zones', 'servers', 'devices')):
            parts_at_tier = sum(parts for tier, parts in parts_by_tier.items()
                                if len(tier) == depth)
            if parts_at_tier != total_parts:
                raise RingValidationError('%s != %s at tier %s' % (
                    parts_at_tier, total_parts, tier_name))
        for dev in self._iter_devs():
            if not dev['weight']:
                # drain: a huge negative want sheds everything it holds
                dev['parts_wanted'] = -self.parts * self.replicas
            else:
                tier = (dev['region'], dev['zone'], dev['ip'], dev['id'])
                dev['parts_wanted'] = parts_by_tier[tier] - dev['parts']

    def _adjust_replica2part2dev_size(self, to_assign):
        fractional_replicas, whole_replicas = math.modf(self.replicas)
        whole_replicas = int(whole_replicas)
        desired_lengths = [self.parts] * whole_replicas
        if fractional_replicas:
            desired_lengths.append(int(self.parts * fractional_replicas))
        if self._replica2part2dev is not None:
            # crossed an integer threshold (4.1 -> 4): drop the extra row
            for part2dev in self._replica2part2dev[len(desired_lengths):]:
                for dev_id in part2dev:
                    if dev_id != NONE_DEV:
                        self.devs[dev_id]['parts'] -= 1
            self._replica2part2dev = self._replica2part2dev[:len(desired_lengths)]
        else:
            self._replica2part2dev = []
        for replica, desired_length in enumerate(desired_lengths):
            if replica < len(self._replica2part2dev):
                part2dev = self._replica2part2dev[replica]
                if len(part2dev) < desired_length:
                    for part in range(len(part2dev), desired_length):
                        to_assign[part].append(replica)
                    part2dev.extend([NONE_DEV] * (desired_length - len(part2dev)))
                elif len(part2dev) > desired_length:
                    for part in range(desired_length, len(part2dev)):
                        if part2dev[part] != NONE_DEV:
                            self.devs[part2dev[part]]['parts'] -= 1
                    self._replica2part2dev[replica] = part2dev[:desired_length]
            else:
                for part in range(desired_length):
                    to_assign[part].append(replica)
                self._replica2part2dev.append(
                    array.array('H', [NONE_DEV]) * desired_length)

    def _replicas_for_part(self, part):
        return [replica for replica, part2dev in enumerate(self._replica2part2dev)
                if part < len(part2dev)]

    def _devs_for_part(self, part):
        return [self.devs[part2dev[part]] for part2dev in self._replica2part2dev
                if part < len(part2dev) and part2dev[part] != NONE_DEV]

    def _gather_parts_from_failed_devices(self, assign_parts):
        if self._remove_devs:
            dev_ids = set(d['id'] for d in self._remove_devs if d['parts'])
            if dev_ids:
                for replica, part2dev in enumerate(self._replica2part2dev):
                    for part, dev_id in enumerate(part2dev):
                        if dev_id in dev_ids:
                            part2dev[part] = NONE_DEV
                            self._set_part_moved(part)
                            assign_parts[part].append(replica)
        removed_devs = 0
        while self._remove_devs:
            remove_dev_id = self._remove_devs.pop()['id']
            self.devs[remove_dev_id] = None
            removed_devs += 1
        return removed_devs

    def _gather_parts_for_dispersion(self, assign_parts, replica_plan):
        gather_parts_for_dispersion(self, assign_parts, replica_plan)

    def _gather_parts_for_balance(self, assign_parts, replica_plan,
                                  disperse_first):
        gather_parts_for_balance(self, assign_parts, replica_plan,
                                 disperse_first)

    def _reassign_parts(self, reassign_parts_list, replica_plan):
        reassign_parts(self, reassign_parts_list, replica_plan)

    def _build_dispersion_graph(self, old_replica2part2dev=None):
        return build_dispersion_graph(self, old_replica2part2dev)

    def validate(self, stats: bool = False) -> Tuple[Any, Any]:
        """Check the tables are consistent.

        :raises RingValidationError: naming the first inconsistency found.
        """
        return validate_builder(self, stats)


def _dev_matches(dev, key, value):
    # Swift's search_devs: None matches anything, meta is a substring match,
    # addresses compare in normalised form.
    if value is None:
        return True
    if key == 'meta':
        return str(value) in dev.get('meta', '')
    if key in ('ip', 'replication_ip'):
        try:
            current = validate_and_normalize_ip(dev.get(key, ''))
        except ValueError:
            current = ''
        return current == value
    return dev.get(key) == value
