# swift-ring-builder: Swift's sub-commands, argument syntax, output and exit codes
# (0 ok, 1 completed with warnings, 2 error). Every command is a method of
# RingBuilderCli returning its exit code; bad input prints one line (or the usage)
# and returns 2 without touching the builder file. main(argv) is the entry point.
"""The ``swift-ring-builder`` command line tool."""

import json
import os
import sys

import swift
from swift.cli import ringbuilder_show as show
from swift.cli import ringbuilder_usage as usage
from swift.cli.ringbuilder_usage import (
    EXIT_ERROR, EXIT_SUCCESS, EXIT_WARNING, CliExit, OptionParser,
    fail as _fail, search_values_from_opts, validate_args)
from swift.common.clock import RealClock
from swift.common.fs import lock_path, LockTimeout
from swift.common.ring import RingData
from swift.common.ring.builder import RingBuilder
from swift.common.ring.devices import (
    SEARCH_VALUE_HELP, format_device, parse_add_value,
    parse_search_value, validate_and_normalize_ip)
from swift.common.ring.errors import (
    RingBuilderError, RingError, RingValidationError, UnpicklingError)
from swift.common.ring import report

PROGRAM_NAMES = ('swift-ring-builder', 'swift-ring-builder-safe')
#: seconds the -safe variant waits for the builder directory lock.
SAFE_LOCK_TIMEOUT_S = 15


def parse_builder_ring_filename_args(argv):
    """``(builder_file, ring_file)`` from the first argument, as Swift derives
    them (``x.ring.gz`` -> ``x.builder``; ``x`` -> ``x`` + ``x.ring.gz``)."""
    first_arg = argv[1]
    if first_arg.endswith('.ring.gz'):
        return first_arg[:-len('.ring.gz')] + '.builder', first_arg
    if first_arg.endswith('.builder'):
        return first_arg, first_arg[:-len('.builder')] + '.ring.gz'
    return first_arg, first_arg + '.ring.gz'


class RingBuilderCli:
    """One invocation of swift-ring-builder.

    :param argv: full argument list (``argv[0]`` is the program name).
    :param clock: object with ``time()`` used for backups and min_part_hours.
    """

    def __init__(self, argv, clock=None):
        self.argv = argv
        self.clock = clock or RealClock()
        self.builder = None
        self.builder_file = self.ring_file = self.backup_dir = None

    # -- entry -----------------------------------------------------------------

    def run(self):
        if len(self.argv) < 2:
            return self.cmd_help()
        command = self.argv[2] if len(self.argv) > 2 else 'default'
        if command == 'version':
            return self.cmd_version()
        self.builder_file, self.ring_file = parse_builder_ring_filename_args(
            self.argv)
        if self.builder_file != self.argv[1]:
            print('Note: using %s instead of %s as builder file'
                  % (self.builder_file, self.argv[1]))
        self._load_builder(command)
        self.backup_dir = os.path.join(os.path.dirname(self.builder_file),
                                       'backups')
        os.makedirs(self.backup_dir, exist_ok=True)
        handler = getattr(self, 'cmd_' + command, None)
        if handler is None or command in ('help',):
            return self.cmd_unknown(command)
        if self.argv[0].endswith('-safe'):
            try:
                with lock_path(os.path.dirname(
                        os.path.abspath(self.builder_file)),
                        timeout_s=SAFE_LOCK_TIMEOUT_S, sleep=self.clock.sleep,
                        monotonic=self.clock.monotonic):
                    return handler()
            except LockTimeout:
                _fail('Ring/builder dir currently locked.')
        return handler()

    def _load_builder(self, command):
        try:
            self.builder = RingBuilder.load(self.builder_file, clock=self.clock)
        except UnpicklingError as err:
            hint = (' (it appears to be a composite ring builder file?)'
                    if _looks_composite(self.builder_file) else '')
            _fail(str(err) + hint)
        except (FileNotFoundError, PermissionError) as err:
            if command not in ('create', 'write_builder'):
                _fail(str(err))
        except (OSError, RingError, ValueError, TypeError, KeyError) as err:
            _fail('Problem occurred while reading builder file: %s. %s'
                  % (self.builder_file, err))

    def _save_builder(self, ring=False):
        """Save the builder (and the ring), each with a timestamped copy in
        ``backups/`` first, so every change can be undone."""
        builder = self.builder
        stamp = '%d.' % self.clock.time()
        if ring:
            builder.get_ring().save(
                os.path.join(self.backup_dir,
                             stamp + os.path.basename(self.ring_file)),
                format_version=self.format_version)
        builder.save(os.path.join(
            self.backup_dir, stamp + os.path.basename(self.builder_file)))
        if ring:
            builder.get_ring().save(self.ring_file,
                                    format_version=self.format_version)
        builder.save(self.builder_file)

    format_version = 1

    # -- help / unknown --------------------------------------------------------

    def cmd_help(self):
        print('swift-ring-builder %s\n' % swift.__canonical_version__)
        print(usage.DEFAULT + '\n')
        names = sorted(name for name in dir(usage)
                       if name.isupper() and
                       isinstance(getattr(usage, name), str) and
                       name not in ('DEFAULT', 'EXIT_CODES'))
        for name in names:
            print(getattr(usage, name) + '\n')
        print(SEARCH_VALUE_HELP + '\n')
        print('Quick list: ' + ' '.join(n.lower() for n in names))
        print(usage.EXIT_CODES)
        return EXIT_SUCCESS

    def cmd_unknown(self, command):
        print('Unknown command: %s' % command)
        return EXIT_ERROR

    # -- read-only commands ----------------------------------------------------

    def cmd_default(self):
        return show.show_builder(self)

    def cmd_version(self):
        ring_file = self.argv[1]
        if len(self.argv) < 3:
            _fail(usage.VERSION)
        try:
            ring = RingData.load(ring_file)
        except FileNotFoundError:
            _fail('Ring file %s not found' % ring_file)
        except (OSError, RingError) as err:
            _fail('%s: %s' % (ring_file, err))
        print('%s: Serialization version: %d (%d-byte IDs), build version: %s'
              % (ring_file, ring.format_version, ring.dev_id_bytes,
                 ring.version))
        return EXIT_SUCCESS

    def cmd_search(self):
        if len(self.argv) < 4:
            _fail(usage.SEARCH, '', SEARCH_VALUE_HELP)
        devs, _opts = self._search(self.argv[3:], usage.SEARCH, single=True)
        if not devs:
            _fail('No matching devices found')
        for line in report.search_table(self.builder, devs):
            print(line)
        return EXIT_SUCCESS

    def _search(self, argvish, usage_text, single=False):
        new_cmd_format, opts, args = validate_args(argvish)
        try:
            if args:
                if new_cmd_format or (single and len(args) != 1):
                    _fail(usage_text)
                devs = []
                for value in args:
                    for dev in self.builder.search_devs(
                            parse_search_value(value)):
                        if dev not in devs:
                            devs.append(dev)
                return devs, opts
            return self.builder.search_devs(search_values_from_opts(opts)), opts
        except ValueError as err:
            _fail(str(err))

    def cmd_list_parts(self):
        if len(self.argv) < 4:
            _fail(usage.LIST_PARTS, '', SEARCH_VALUE_HELP)
        if not self.builder._replica2part2dev:
            _fail('Specified builder file "%s" is not rebalanced yet. '
                  'Please rebalance first.' % self.builder_file)
        devs, _opts = self._search(self.argv[3:], usage.LIST_PARTS)
        if not devs:
            _fail('No matching devices found')
        dev_ids = set(d['id'] for d in devs)
        partition_count = {}
        for row in self.builder._replica2part2dev:
            for partition, dev_id in enumerate(row):
                if dev_id in dev_ids:
                    partition_count[partition] = \
                        partition_count.get(partition, 0) + 1
        if not partition_count:
            _fail('No matching devices found')
        print('Partition   Matches')
        for partition, count in sorted(partition_count.items(),
                                       key=lambda pc: pc[1], reverse=True):
            print('%9d   %7d' % (partition, count))
        return EXIT_SUCCESS

    def cmd_validate(self):
        try:
            self.builder.validate()
        except RingValidationError as err:
            _fail(str(err))
        return EXIT_SUCCESS

    def cmd_dispersion(self):
        return show.show_dispersion(self)

    # -- modifying commands ----------------------------------------------------

    def cmd_create(self):
        if len(self.argv) < 6:
            _fail(usage.CREATE)
        try:
            self.builder = RingBuilder(int(self.argv[3]), float(self.argv[4]),
                                       int(self.argv[5]), clock=self.clock)
        except ValueError as err:
            _fail(str(err))
        self._save_builder()
        return EXIT_SUCCESS

    def cmd_add(self):
        if len(self.argv) < 5:
            _fail(usage.ADD)
        if self.builder.next_part_power:
            _fail('Partition power increase in progress. You need ',
                  'to finish the increase first before adding devices.',
                  code=EXIT_WARNING)
        try:
            for new_dev in self._parse_add_values(self.argv[3:]):
                for dev in self.builder._iter_devs():
                    if (dev['ip'] == new_dev['ip'] and
                            dev['port'] == new_dev['port'] and
                            dev['device'] == new_dev['device']):
                        _fail('Device %d already uses %s:%d/%s.' % (
                            dev['id'], dev['ip'], dev['port'], dev['device']),
                            'The on-disk ring builder is unchanged.\n')
                dev_id = self.builder.add_dev(new_dev)
                print('Device %s with %s weight got id %s'
                      % (format_device(new_dev), new_dev['weight'], dev_id))
        except (ValueError, RingBuilderError) as err:
            _fail(str(err), 'The on-disk ring builder is unchanged.')
        self._save_builder()
        return EXIT_SUCCESS

    def _parse_add_values(self, argvish):
        new_cmd_format, opts, args = validate_args(argvish)
        if not args:
            return [_dev_from_opts(opts)]
        if new_cmd_format or len(args) % 2 != 0:
            _fail(usage.ADD)
        parsed = []
        for devstr, weightstr in zip(args[0::2], args[1::2]):
            dev = parse_add_value(devstr)
            if dev['region'] is None:
                sys.stderr.write('WARNING: No region specified for %s. '
                                 'Defaulting to region 1.\n' % devstr)
                dev['region'] = 1
            if dev['replication_ip'] is None:
                dev['replication_ip'] = dev['ip']
            if dev['replication_port'] is None:
                dev['replication_port'] = dev['port']
            try:
                weight = float(weightstr)
            except ValueError:
                raise ValueError('Invalid weight value: %s' % weightstr)
            if weight < 0:
                raise ValueError('Invalid weight value: %s' % devstr)
            dev['weight'] = weight
            parsed.append(dev)
        return parsed

    def _confirm(self, devs, opts, question, abort_msg):
        if not devs:
            _fail('Search value matched 0 devices.\n'
                  'The on-disk ring builder is unchanged.')
        if len(devs) > 1:
            print('Matched more than one device:')
            for dev in devs:
                print('    %s' % format_device(dev))
            if not opts.yes and _ask(question % len(devs)) != 'y':
                _fail(abort_msg)

    def _pairs(self, argvish, usage_text):
        """``[(devs, value_text)]`` for ``<search-value> <value>`` pairs or the
        option form ``--... <value>``; plus the parsed options."""
        new_cmd_format, opts, args = validate_args(argvish)
        try:
            if not new_cmd_format:
                if len(args) % 2 != 0 or not args:
                    _fail(usage_text)
                return [(self.builder.search_devs(parse_search_value(s)), v)
                        for s, v in zip(args[0::2], args[1::2])], opts
            if len(args) != 1:
                _fail(usage_text)
            return [(self.builder.search_devs(search_values_from_opts(opts)),
                     args[0])], opts
        except ValueError as err:
            _fail(str(err))

    def cmd_set_weight(self):
        if len(self.argv) < 5:
            _fail(usage.SET_WEIGHT, '', SEARCH_VALUE_HELP)
        pairs, opts = self._pairs(self.argv[3:], usage.SET_WEIGHT)
        for devs, weight_text in pairs:
            try:
                weight = float(weight_text)
            except ValueError:
                _fail('Invalid weight value: %s' % weight_text)
            if weight < 0:
                _fail('Invalid weight value: %s' % weight_text)
            self._confirm(devs, opts, 'Are you sure you want to update the '
                          'weight for these %s devices? (y/N) ',
                          'Aborting device modifications')
            for dev in devs:
                self.builder.set_dev_weight(dev['id'], weight)
                print('%s weight set to %s' % (format_device(dev),
                                               dev['weight']))
        self._save_builder()
        return EXIT_SUCCESS

    def _set_tier(self, usage_text, key, setter):
        if len(self.argv) < 5:
            _fail(usage_text, '', SEARCH_VALUE_HELP)
        pairs, opts = self._pairs(self.argv[3:], usage_text)
        for devs, value_text in pairs:
            try:
                value = int(value_text)
            except ValueError:
                _fail('Invalid %s value: %s' % (key, value_text))
            self._confirm(devs, opts, 'Are you sure you want to update the '
                          + key + ' for these %s devices? (y/N) ',
                          'Aborting device modifications')
            for dev in devs:
                setter(dev['id'], value)
                print('%s %s set to %s' % (format_device(dev), key, dev[key]))
        self._save_builder()
        return EXIT_SUCCESS

    def cmd_set_region(self):
        return self._set_tier(usage.SET_REGION, 'region',
                              self.builder.set_dev_region)

    def cmd_set_zone(self):
        return self._set_tier(usage.SET_ZONE, 'zone', self.builder.set_dev_zone)

    def cmd_set_info(self):
        return show.set_info(self)

    def cmd_remove(self):
        if len(self.argv) < 4:
            _fail(usage.REMOVE, '', SEARCH_VALUE_HELP)
        if self.builder.next_part_power:
            _fail('Partition power increase in progress. You need ',
                  'to finish the increase first before removing devices.',
                  code=EXIT_WARNING)
        devs, opts = self._search(self.argv[3:], usage.REMOVE)
        self._confirm(devs, opts, 'Are you sure you want to remove these '
                      '%s devices? (y/N) ', 'Aborting device removals')
        for dev in devs:
            self.builder.remove_dev(dev['id'])
            print('%s marked for removal and will be removed next rebalance.'
                  % format_device(dev))
        self._save_builder()
        return EXIT_SUCCESS

    def cmd_rebalance(self):
        return show.rebalance(self)

    def cmd_write_ring(self):
        parser = OptionParser(usage.WRITE_RING, prog='swift-ring-builder')
        parser.add_option('--format-version', choices=['1', '2'], default='1')
        parser.add_option('--dev-id-bytes', choices=['2', '4'], default=None)
        options, _args = parser.parse_args(self.argv[3:])
        ring_data = self.builder.get_ring()
        if not ring_data.replica2part2dev_id:
            if ring_data.devs:
                print('Warning: Writing a ring with no partition assignments '
                      'but with devices; did you forget to run "rebalance"?')
            _fail('Unable to write empty ring.')
        dev_id_bytes = int(options.dev_id_bytes) if options.dev_id_bytes else None
        try:
            ring_data.save(self.ring_file,
                           format_version=int(options.format_version),
                           dev_id_bytes=dev_id_bytes)
        except RingError as err:
            _fail(str(err))
        return EXIT_SUCCESS

    def cmd_write_builder(self):
        return show.write_builder(self)

    def cmd_prepare_increase_partition_power(self):
        return show.prepare_increase_partition_power(self)

    def cmd_increase_partition_power(self):
        return show.increase_partition_power(self)

    def cmd_cancel_increase_partition_power(self):
        return show.cancel_increase_partition_power(self)

    def cmd_finish_increase_partition_power(self):
        return show.finish_increase_partition_power(self)

    def cmd_pretend_min_part_hours_passed(self):
        self.builder.pretend_min_part_hours_passed()
        self._save_builder()
        return EXIT_SUCCESS

    def cmd_set_min_part_hours(self):
        if len(self.argv) < 4:
            _fail(usage.SET_MIN_PART_HOURS)
        try:
            hours = int(self.argv[3])
        except ValueError:
            _fail(usage.SET_MIN_PART_HOURS,
                  '"%s" is not a valid number.' % self.argv[3])
        if hours < 0:
            _fail('min_part_hours must be non-negative.')
        self.builder.change_min_part_hours(hours)
        print('The minimum number of hours before a partition can be '
              'reassigned is now set to %s' % self.argv[3])
        self._save_builder()
        return EXIT_SUCCESS

    def cmd_set_replicas(self):
        if len(self.argv) < 4:
            _fail(usage.SET_REPLICAS)
        try:
            new_replicas = float(self.argv[3])
        except ValueError:
            _fail(usage.SET_REPLICAS,
                  '"%s" is not a valid number.' % self.argv[3])
        if new_replicas < 1:
            _fail('Replica count must be at least 1.')
        self.builder.set_replicas(new_replicas)
        print('The replica count is now %.6f.' % self.builder.replicas)
        print('The change will take effect after the next rebalance.')
        self._save_builder()
        return EXIT_SUCCESS

    def cmd_set_overload(self):
        if len(self.argv) < 4:
            _fail(usage.SET_OVERLOAD)
        text = self.argv[3]
        percent = text.endswith('%')
        text = text.rstrip('%')
        try:
            new_overload = float(text)
        except ValueError:
            _fail(usage.SET_OVERLOAD, '%r is not a valid number.' % text)
        if percent:
            new_overload *= 0.01
        if new_overload < 0:
            _fail('Overload must be non-negative.')
        status = EXIT_SUCCESS
        if new_overload > 1 and not percent:
            print('!?! Warning overload is greater than 100% !?!')
            status = EXIT_WARNING
        self.builder.set_overload(new_overload)
        print('The overload factor is now %0.2f%% (%.6f)' % (
            self.builder.overload * 100, self.builder.overload))
        print('The change will take effect after the next rebalance.')
        self._save_builder()
        return status


def _dev_from_opts(opts):
    missing = [name for name, value in (
        ('--region', opts.region), ('--zone', opts.zone), ('--ip', opts.ip),
        ('--port', opts.port), ('--device', opts.device),
        ('--weight', opts.weight)) if value is None]
    if missing:
        raise ValueError('Required argument %s is missing' % missing[0])
    ip = validate_and_normalize_ip(opts.ip)
    replication_ip = validate_and_normalize_ip(opts.replication_ip or opts.ip)
    if opts.weight < 0:
        raise ValueError('Invalid weight value: %s' % opts.weight)
    return {'region': opts.region, 'zone': opts.zone, 'ip': ip,
            'port': opts.port, 'device': opts.device, 'meta': opts.meta,
            'replication_ip': replication_ip,
            'replication_port': opts.replication_port or opts.port,
            'weight': opts.weight}


def silence_stdout():
    """After EPIPE (``| head``), point stdout at /dev/null so the interpreter's
    final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _looks_composite(path):
    # Composite builders are JSON files listing component builders (Swift's
    # CompositeRingBuilder); we only recognise them to give a hint.
    try:
        with open(path, 'rb') as fp:
            data = json.loads(fp.read(1 << 20))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and 'components' in data


def _ask(question):
    try:
        return input(question)
    except EOFError:
        return ''


def main(argv=None, clock=None):
    """Run swift-ring-builder.

    :param argv: arguments after the program name (default ``sys.argv[1:]``,
        with the program's own name deciding the ``-safe`` variant); a list
        whose first item is exactly ``swift-ring-builder`` or
        ``swift-ring-builder-safe`` is taken as a full ``sys.argv``.
    :returns: exit code 0 (ok), 1 (warning) or 2 (error).
    """
    if argv is None:
        argv = [os.path.basename(sys.argv[0])] + sys.argv[1:]
    argv = list(argv)
    if not argv or os.path.basename(argv[0]) not in PROGRAM_NAMES:
        argv = ['swift-ring-builder'] + argv
    try:
        return RingBuilderCli(argv, clock=clock).run()
    except CliExit as stop:
        return stop.code
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        silence_stdout()
        return EXIT_ERROR
    except Exception as err:  # the CLI funnel: one line and exit 2, as Swift
        print('Error: %s' % (err,))
        return EXIT_ERROR

