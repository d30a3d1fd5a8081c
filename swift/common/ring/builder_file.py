# Owns the ``*.builder`` file format (swift-catalog.md 2.5): a protocol-2 pickle
# of a plain dict with Swift's keys; assignment rows are array('H'/'I') and
# _last_part_moves an array('B'). Loads go through the restricted unpickler
# (swift.common.safe_pickle) so a tampered builder cannot run code.
"""Read and write ring builder files."""

import array
import errno
import os
import pickle
import tempfile

from swift.common.ring.errors import UnpicklingError
from swift.common.safe_pickle import safe_load

#: Keys every builder dict must hold (older optional ones get defaults).
REQUIRED_KEYS = ('part_power', 'replicas', 'min_part_hours', 'parts', 'devs',
                 'devs_changed', 'version', '_replica2part2dev',
                 '_last_part_moves_epoch', '_last_part_moves',
                 '_last_part_gather_start', '_remove_devs')


def to_dict(builder):
    """Swift's RingBuilder.to_dict: the dict that gets pickled (key order kept)."""
    return {'part_power': builder.part_power,
            'next_part_power': builder.next_part_power,
            'replicas': builder.replicas,
            'min_part_hours': builder.min_part_hours,
            'parts': builder.parts,
            'devs': builder.devs,
            'devs_changed': builder.devs_changed,
            'dev_id_bytes': builder.dev_id_bytes,
            'version': builder.version,
            'overload': builder.overload,
            '_replica2part2dev': builder._replica2part2dev,
            '_last_part_moves_epoch': builder._last_part_moves_epoch,
            '_last_part_moves': builder._last_part_moves,
            '_last_part_gather_start': builder._last_part_gather_start,
            '_dispersion_graph': builder._dispersion_graph,
            'dispersion': builder.dispersion,
            '_remove_devs': builder._remove_devs,
            'id': builder._id}


def apply_dict(builder, data):
    """Copy a builder dict's fields onto ``builder`` (Swift's copy_from).

    :raises UnpicklingError: if required keys are missing or mistyped.
    """
    if not isinstance(data, dict):
        raise UnpicklingError('builder data is not a dict')
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise UnpicklingError('builder data lacks %s' % ', '.join(missing))
    builder.part_power = data['part_power']
    builder.next_part_power = data.get('next_part_power')
    builder.replicas = data['replicas']
    builder.min_part_hours = data['min_part_hours']
    builder.parts = data['parts']
    builder.devs = data['devs']
    builder.devs_changed = data['devs_changed']
    builder.overload = data.get('overload', 0.0)
    builder.version = data['version']
    builder._replica2part2dev = data['_replica2part2dev']
    builder._last_part_moves_epoch = data['_last_part_moves_epoch'] or 0
    builder._last_part_moves = data['_last_part_moves']
    if builder._last_part_moves is None:
        # write_builder (and very old builders) leave no move history
        builder._last_part_moves = array.array('B', bytes(data['parts']))
    elif not isinstance(builder._last_part_moves, array.array):
        builder._last_part_moves = array.array('B', builder._last_part_moves)
    rows = builder._replica2part2dev
    if rows is not None:
        builder._replica2part2dev = [
            row if isinstance(row, array.array) else array.array('H', row)
            for row in rows]
    builder._last_part_gather_start = data['_last_part_gather_start']
    builder._dispersion_graph = data.get('_dispersion_graph', {})
    builder.dispersion = data.get('dispersion')
    builder._remove_devs = data['_remove_devs']
    builder._id = data.get('id')
    try:
        _check_types(builder)
    except (TypeError, ValueError, OverflowError) as err:
        raise UnpicklingError('builder data has unexpected types: %s' % err)


_DEV_KEYS = ('id', 'zone', 'ip', 'port', 'device', 'weight')


def _check_types(builder):
    # Pair of to_dict: after loading, the tables must have the shapes we write.
    ok = (isinstance(builder.part_power, int) and
          isinstance(builder.parts, int) and
          builder.parts == 2 ** builder.part_power and
          isinstance(builder.devs, list) and
          all(dev is None or (isinstance(dev, dict) and
                              all(key in dev for key in _DEV_KEYS))
              for dev in builder.devs) and
          (builder._replica2part2dev is None or
           isinstance(builder._replica2part2dev, list)))
    if not ok:
        raise UnpicklingError('builder data has unexpected types')


def load_builder_dict(path):
    """Read the builder dict from ``path`` through the restricted unpickler.

    :raises FileNotFoundError: ``Ring Builder file does not exist: <path>``.
    :raises PermissionError: ``Ring Builder file cannot be accessed: <path>``.
    :raises UnpicklingError: ``Ring Builder file is invalid: <path>``.
    """
    try:
        fp = open(path, 'rb')
    except OSError as err:
        if err.errno == errno.ENOENT:
            raise FileNotFoundError(
                'Ring Builder file does not exist: %s' % path)
        if err.errno in (errno.EPERM, errno.EACCES):
            raise PermissionError(
                'Ring Builder file cannot be accessed: %s' % path)
        raise
    with fp:
        try:
            data = safe_load(fp, encoding='utf-8')
        except Exception:
            # any failure to unpickle (corrupt, truncated, unsafe) is one error
            raise UnpicklingError('Ring Builder file is invalid: %s' % path,
                                  path)
    if not isinstance(data, dict):
        raise UnpicklingError('Ring Builder file is invalid: %s' % path, path)
    return data


def save_builder_dict(data, path):
    """Durably write ``data`` pickled (protocol 2) to ``path``.

    Temp file in the same directory, fsync, rename, fsync dir.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=directory,
                                    prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'wb') as fp:
            pickle.dump(data, fp, protocol=2)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp_path, 0o644)
        os.rename(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
