# The larger swift-ring-builder commands (default display, rebalance, dispersion,
# set_info, write_builder), split from ringbuilder.py to keep modules small. Each
# takes the RingBuilderCli invocation and returns an exit code; output and exit
# codes are Swift's.
"""swift-ring-builder: display, rebalance, dispersion, set_info, write_builder."""

import array
import logging
import os
import sys
from datetime import timedelta

from swift.cli import ringbuilder_usage as usage
from swift.cli.ringbuilder_usage import (
    EXIT_SUCCESS, EXIT_WARNING, OptionParser, fail, search_values_from_opts,
    validate_args)
from swift.common.ring import RingData, report
from swift.common.ring.builder import MAX_BALANCE, RingBuilder
from swift.common.ring.devices import (
    SEARCH_VALUE_HELP, format_device, parse_change_value, parse_search_value,
    validate_and_normalize_ip)
from swift.common.ring.errors import EmptyRingError, RingBuilderError, RingError

FORMAT_VERSION_NOTE = (
    'Defaulting to --format-version=1. This ensures the ring\n'
    'written will be readable by older versions of Swift.\n'
    'In a future release, the default will change to\n'
    '--format-version=2\n')
RING_ERROR_BANNER = ('An error has occurred during ring validation. Common\n'
                     'causes of failure are rings that are empty or do not\n'
                     'have enough devices to accommodate the replica count.\n'
                     'Original exception message:\n %s')


def _count_devs(builder):
    devs = list(builder._iter_devs())
    regions = len(set(d['region'] for d in devs))
    zones = len(set((d['region'], d['zone']) for d in devs))
    return regions, zones, len(devs)


def _ring_file_status(cli, builder_dict):
    if not os.path.exists(cli.ring_file):
        return ("Ring file %s not found, probably it hasn't been written yet"
                % cli.ring_file), None
    try:
        ring_dict = RingData.load(cli.ring_file).to_dict()
    except (OSError, RingError) as exc:
        return 'Ring file %s is invalid: %r' % (cli.ring_file, exc), None
    if _same_ring(builder_dict, ring_dict):
        return 'Ring file %s is up-to-date' % cli.ring_file, ring_dict
    return 'Ring file %s is obsolete' % cli.ring_file, ring_dict


def _same_ring(left, right):
    keys = ('devs', 'part_shift', 'next_part_power', 'version')
    if any(left.get(k) != right.get(k) for k in keys):
        return False
    rows_l, rows_r = left['replica2part2dev_id'], right['replica2part2dev_id']
    return len(rows_l) == len(rows_r) and all(
        list(a) == list(b) for a, b in zip(rows_l, rows_r))


def show_builder(cli):
    """The default command: summary, ring file status, device table."""
    builder = cli.builder
    print('%s, build version %d, id %s' % (
        cli.builder_file, builder.version,
        builder._id if builder._id is not None else '(not assigned)'))
    regions, zones, dev_count = _count_devs(builder)
    ring_empty_error = None
    balance = 0
    try:
        balance = builder.get_balance()
    except EmptyRingError as err:
        ring_empty_error = str(err)
    dispersion_trailer = '' if builder.dispersion is None else (
        ', %.02f dispersion' % builder.dispersion)
    print('%d partitions, %.6f replicas, %d regions, %d zones, %d devices, '
          '%d-byte IDs, %.02f balance%s' % (
              builder.parts, builder.replicas, regions, zones, dev_count,
              builder.dev_id_bytes, balance, dispersion_trailer))
    print('The minimum number of hours before a partition can be reassigned '
          'is %s (%s remaining)' % (
              builder.min_part_hours,
              timedelta(seconds=builder.min_part_seconds_left)))
    print('The overload factor is %0.2f%% (%.6f)' % (
        builder.overload * 100, builder.overload))
    builder_dict = builder.get_ring().to_dict()
    status, ring_dict = _ring_file_status(cli, builder_dict)
    print(status)
    balance_per_dev = ({} if ring_empty_error
                       else builder._build_balance_per_dev())
    remove_ids = set(d['id'] for d in builder._remove_devs)
    for line in report.device_table(builder, balance_per_dev, remove_ids):
        print(line)
    _print_part_power_state(builder, builder_dict, ring_dict)
    if ring_empty_error:
        print(ring_empty_error)
    return EXIT_SUCCESS


def _print_part_power_state(builder, builder_dict, ring_dict):
    if builder.next_part_power and \
            builder.next_part_power == builder.part_power + 1:
        print('\nPreparing increase of partition power (%d -> %d)' % (
            builder.part_power, builder.next_part_power))
        print('Run "swift-object-relinker relink" on all nodes before '
              'moving on to increase_partition_power.')
    if builder.next_part_power and \
            builder.part_power == builder.next_part_power:
        print('\nIncreased partition power (%d -> %d)' % (
            builder.part_power, builder.next_part_power))
        if ring_dict is None or not _same_ring(builder_dict, ring_dict):
            print('First run "swift-ring-builder <builderfile> write_ring" '
                  'now and copy the updated .ring.gz file to all nodes.')
        print('Run "swift-object-relinker cleanup" on all nodes before '
              'moving on to finish_increase_partition_power.')


def show_dispersion(cli):
    """``dispersion [search_filter] [-v] [--recalculate]``."""
    builder = cli.builder
    if not builder._replica2part2dev:
        fail('Specified builder file "%s" is not rebalanced yet. '
             'Please rebalance first.' % cli.builder_file)
    parser = OptionParser(usage.DISPERSION, prog='swift-ring-builder')
    parser.add_option('--recalculate', action='store_true')
    parser.add_option('-v', '--verbose', action='store_true')
    options, args = parser.parse_args(cli.argv[3:])
    search_filter = args[0] if args else None
    orig_version = builder.version
    try:
        result = report.dispersion_report(
            builder, search_filter=search_filter, verbose=options.verbose,
            recalculate=options.recalculate)
    except Exception as err:  # re.error from a bad filter, reported in one line
        fail('Invalid search filter %r: %s' % (search_filter, err))
    if builder.version != orig_version or options.recalculate:
        cli._save_builder()
    print('Dispersion is %.06f, Balance is %.06f, Overload is %0.2f%%' % (
        builder.dispersion, builder.get_balance(), builder.overload * 100))
    print('Required overload is %.6f%%' % (
        builder.get_required_overload() * 100))
    status = EXIT_SUCCESS
    if result['worst_tier']:
        status = EXIT_WARNING
        print('Worst tier is %.06f (%s)' % (result['max_dispersion'],
                                             result['worst_tier']))
    if result['graph']:
        for line in report.dispersion_graph_lines(builder, result['graph']):
            print(line)
    return status


def _rebalance_options(cli):
    parser = OptionParser(usage.REBALANCE, prog='swift-ring-builder')
    parser.add_option('-f', '--force', action='store_true')
    parser.add_option('-s', '--seed')
    parser.add_option('-d', '--debug', action='store_true')
    parser.add_option('--format-version', choices=['1', '2'], default=None)
    options, args = parser.parse_args(cli.argv[3:])
    seed = options.seed or (args[0] if args else None)
    return options, seed


def _enable_debug_logging(builder):
    # -d/--debug: the builder's debug messages on stdout, as Swift prints them
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter('%(levelname)s: %(message)s'))
    builder.logger.addHandler(handler)
    builder.logger.setLevel(logging.DEBUG)


def _should_save(options, devs_changed, last_balance, balance,
                 last_dispersion, dispersion):
    if options.force or devs_changed:
        return True
    balance_changed = (abs(last_balance - balance) >= 1 or
                       (last_balance == MAX_BALANCE and balance == MAX_BALANCE))
    dispersion_changed = last_dispersion is None or (
        abs(last_dispersion - dispersion) >= 1)
    return balance_changed or dispersion_changed


def rebalance(cli):
    """``rebalance [-f] [-s SEED] [-d] [--format-version 1|2]``."""
    options, seed = _rebalance_options(cli)
    if options.debug:
        _enable_debug_logging(cli.builder)
    if options.format_version is None:
        print(FORMAT_VERSION_NOTE)
    cli.format_version = int(options.format_version or 1)
    builder = cli.builder
    if builder.next_part_power:
        fail('Partition power increase in progress.',
             'You need to finish the increase first before rebalancing.',
             code=EXIT_WARNING)
    devs_changed = builder.devs_changed
    min_part_seconds_left = builder.min_part_seconds_left
    try:
        last_balance = builder.get_balance()
        last_dispersion = builder.dispersion
        parts, balance, removed_devs = builder.rebalance(seed=seed)
    except RingBuilderError as err:
        fail('-' * 79, RING_ERROR_BANNER % (err,), '-' * 79)
    if not (parts or options.force or removed_devs):
        print('No partitions could be reassigned.')
        if min_part_seconds_left > 0:
            fail('The time between rebalances must be at least '
                 'min_part_hours: %s hours (%s remaining)' % (
                     builder.min_part_hours,
                     timedelta(seconds=builder.min_part_seconds_left)),
                 code=EXIT_WARNING)
        fail('There is no need to do so at this time', code=EXIT_WARNING)
    if not _should_save(options, devs_changed, last_balance, balance,
                        last_dispersion, builder.dispersion):
        fail('Cowardly refusing to save rebalance as it did not change '
             'at least 1%.', code=EXIT_WARNING)
    try:
        builder.validate()
    except RingBuilderError as err:
        fail('-' * 79, RING_ERROR_BANNER % (err,), '-' * 79)
    print('Reassigned %d (%.02f%%) partitions. Balance is now %.02f.  '
          'Dispersion is now %.02f' % (parts, 100.0 * parts / builder.parts,
                                       balance, builder.dispersion))
    status = _rebalance_notes(builder, balance)
    cli._save_builder(ring=True)
    return status


def _rebalance_notes(builder, balance):
    if builder.dispersion > 0:
        print('-' * 79)
        print('NOTE: Dispersion of %.06f indicates some parts are not\n'
              '      optimally dispersed.\n\n'
              '      You may want to adjust some device weights, increase\n'
              '      the overload or review the dispersion report.'
              % builder.dispersion)
        print('-' * 79)
        return EXIT_WARNING
    if balance > 5 and balance / 100.0 > builder.overload:
        print('-' * 79)
        print('NOTE: Balance of %.02f indicates you should push this ' % balance)
        print('      ring, wait at least %d hours, and rebalance/repush.'
              % builder.min_part_hours)
        print('-' * 79)
        return EXIT_WARNING
    return EXIT_SUCCESS


def _change_from_opts(opts):
    change = {}
    for key, attr in (('ip', 'change_ip'), ('port', 'change_port'),
                      ('replication_ip', 'change_replication_ip'),
                      ('replication_port', 'change_replication_port'),
                      ('device', 'change_device'), ('meta', 'change_meta')):
        value = getattr(opts, attr)
        if value is None or value == '':
            continue
        if key in ('ip', 'replication_ip'):
            value = validate_and_normalize_ip(value)
        change[key] = value
    return change


def set_info(cli):
    """``set_info <search-value> <ip>:<port>[R..]/<device>_<meta> ...``."""
    if len(cli.argv) < 5:
        fail(usage.SET_INFO, '', SEARCH_VALUE_HELP)
    new_cmd_format, opts, args = validate_args(cli.argv[3:])
    builder = cli.builder
    try:
        if not new_cmd_format:
            if len(args) % 2 != 0 or not args:
                fail(usage.SET_INFO)
            pairs = [(builder.search_devs(parse_search_value(s)),
                      parse_change_value(c))
                     for s, c in zip(args[0::2], args[1::2])]
        else:
            if args:
                fail(usage.SET_INFO)
            pairs = [(builder.search_devs(search_values_from_opts(opts)),
                      _change_from_opts(opts))]
    except ValueError as err:
        fail(str(err))
    for devs, change in pairs:
        cli._confirm(devs, opts, 'Are you sure you want to update the info '
                     'for these %s devices? (y/N) ',
                     'Aborting device modifications')
        for dev in devs:
            _apply_change(builder, dev, change)
    builder._ring = None
    cli._save_builder()
    return EXIT_SUCCESS


def _apply_change(builder, dev, change):
    orig_dev_string = format_device(dev)
    test_dev = dict(dev, **change)
    for check_dev in builder._iter_devs():
        if check_dev['id'] == test_dev['id']:
            continue
        if (check_dev['ip'] == test_dev['ip'] and
                check_dev['port'] == test_dev['port'] and
                check_dev['device'] == test_dev['device']):
            fail('Device %d already uses %s:%d/%s.' % (
                check_dev['id'], check_dev['ip'], check_dev['port'],
                check_dev['device']))
    dev.update(change)
    print('Device %s is now %s' % (orig_dev_string, format_device(dev)))


def write_builder(cli):
    """``<ring_file> write_builder [min_part_hours]``: lossy builder from ring."""
    if len(cli.argv) > 3:
        try:
            min_part_hours = int(cli.argv[3])
        except ValueError:
            fail(usage.WRITE_BUILDER)
    else:
        sys.stderr.write('WARNING: default min_part_hours may not match the '
                         'value in the lost builder.\n')
        min_part_hours = 24
    if os.path.exists(cli.builder_file):
        fail('Cowardly refusing to overwrite existing Ring Builder file: %s'
             % cli.builder_file)
    try:
        ring = RingData.load(cli.ring_file)
    except FileNotFoundError:
        fail('Ring file %s not found' % cli.ring_file)
    except (OSError, RingError) as err:
        fail('%s: %s' % (cli.ring_file, err))
    builder = ring_to_builder(ring, min_part_hours, cli.clock)
    builder.save(cli.builder_file)
    return EXIT_SUCCESS


def ring_to_builder(ring, min_part_hours, clock=None):
    """Rebuild a RingBuilder from RingData (weights/ids kept, history lost)."""
    devs = [None if dev is None else dict(dev, parts=0, parts_wanted=0)
            for dev in ring.devs]
    rows = [array.array('H', row) for row in ring.replica2part2dev_id]
    builder = RingBuilder.from_dict({
        'part_power': ring.part_power, 'replicas': ring.replica_count,
        'min_part_hours': min_part_hours, 'parts': 2 ** ring.part_power,
        'devs': devs, 'devs_changed': False, 'version': ring.version or 0,
        '_replica2part2dev': rows, '_last_part_moves_epoch': 0,
        '_last_part_moves': array.array('B', bytes(2 ** ring.part_power)),
        '_last_part_gather_start': 0, '_remove_devs': [],
        'next_part_power': ring.next_part_power}, clock=clock)
    for row in builder._replica2part2dev:
        for dev_id in row:
            builder.devs[dev_id]['parts'] += 1
    return builder


def _object_ring_only(cli):
    if 'object' not in os.path.basename(cli.builder_file):
        fail('Partition power increase is only supported for object rings.')


def prepare_increase_partition_power(cli):
    """``prepare_increase_partition_power``: step 1 of a part power increase."""
    _object_ring_only(cli)
    if not cli.builder.prepare_increase_partition_power():
        fail('Ring is already prepared for partition power increase.')
    cli._save_builder()
    print('The next partition power is now %d.' % cli.builder.next_part_power)
    print('The change will take effect after the next write_ring.')
    print('Ensure your proxy-servers, object-replicators and ')
    print('reconstructors are using the changed rings and relink ')
    print('(using swift-object-relinker) your existing data')
    print('before the partition power increase')
    return EXIT_SUCCESS


def increase_partition_power(cli):
    """``increase_partition_power``: double the partitions in place."""
    _object_ring_only(cli)
    if not cli.builder.increase_partition_power():
        fail('Ring partition power cannot be increased. Either the ring',
             'was not prepared yet, or this operation has already run.')
    cli._save_builder()
    print('The partition power is now %d.' % cli.builder.part_power)
    print('The change will take effect after the next write_ring.')
    return EXIT_SUCCESS


def cancel_increase_partition_power(cli):
    """``cancel_increase_partition_power``."""
    _object_ring_only(cli)
    if not cli.builder.cancel_increase_partition_power():
        fail('Ring partition power increase cannot be canceled.')
    cli._save_builder()
    print('The next partition power is now %d.' % cli.builder.next_part_power)
    print('The change will take effect after the next write_ring.')
    print('Ensure your object-servers are using the changed rings and')
    print('cleanup (using swift-object-relinker) the hard links')
    return EXIT_SUCCESS


def finish_increase_partition_power(cli):
    """``finish_increase_partition_power``."""
    _object_ring_only(cli)
    if not cli.builder.finish_increase_partition_power():
        fail('Ring partition power increase cannot be finished.')
    print('The change will take effect after the next write_ring.')
    cli._save_builder()
    return EXIT_SUCCESS
