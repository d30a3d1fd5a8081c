# Owns the names of the files in an object's hash dir and which of them define the
# object's state (Swift's replication-policy rules, swift-catalog.md 3):
#   * ``<ts>.data`` (object), ``<ts>.ts`` (tombstone), ``<ts>.meta`` (fast-POST metadata);
#     a .meta carrying a Content-Type is ``<meta ts><sign><hex>.meta`` where hex is
#     (meta - content-type time) in 10 us units, written explicitly (``+0`` when equal);
#   * the newest .data or .ts wins; .data/.meta/.ts at or before it are obsolete;
#   * of the .meta files newer than the winner, the newest is kept, plus the one with the
#     newest content-type time when that is newer still (both define state);
#   * a .ts older than reclaim_age is reclaimed; so are lone .meta files that old.
"""On-disk file names of objects and the resolution of a hash dir's files."""

import os
from dataclasses import dataclass, field
from typing import List, Optional

from swift.common.timestamp import (InvalidTimestamp, Timestamp, decode_timestamps,
                                    encode_timestamps)

DATA_EXT = '.data'
TOMBSTONE_EXT = '.ts'
META_EXT = '.meta'
KNOWN_EXTS = (DATA_EXT, TOMBSTONE_EXT, META_EXT)
_EXT_RANK = {META_EXT: 0, DATA_EXT: 1, TOMBSTONE_EXT: 2}


class BadFileName(ValueError):
    """A file in a hash dir whose name is not ``<timestamp><known ext>``.

    :ivar filename: the offending name.
    """

    def __init__(self, filename):
        super().__init__('Invalid object file name %r' % filename)
        self.filename = filename


@dataclass(frozen=True)
class FileInfo:
    """One parsed file name.

    :ivar filename: the base name on disk.
    :ivar ext: ``.data``, ``.ts`` or ``.meta``.
    :ivar timestamp: the file's timestamp.
    :ivar ctype_timestamp: content-type time of a .meta that carries one, else None.
    """
    filename: str
    ext: str
    timestamp: Timestamp
    ctype_timestamp: Optional[Timestamp] = None


@dataclass
class OnDiskInfo:
    """What a hash dir holds, resolved.

    :ivar data_info: the .data that defines the object (or None).
    :ivar ts_info: the tombstone that defines the state (or None).
    :ivar meta_info: the newest .meta that applies to data_info (or None).
    :ivar ctype_info: the .meta whose Content-Type applies, when newer than the data.
    :ivar obsolete: files that no longer matter (removed by cleanup).
    :ivar files: every parsed file, newest first.
    :ivar unexpected: names that did not parse (left alone, logged).
    """
    data_info: Optional[FileInfo] = None
    ts_info: Optional[FileInfo] = None
    meta_info: Optional[FileInfo] = None
    ctype_info: Optional[FileInfo] = None
    obsolete: List[FileInfo] = field(default_factory=list)
    files: List[FileInfo] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)


def make_filename(timestamp, ext, ctype_timestamp=None):
    """File name for ``timestamp`` and ``ext``.

    :param timestamp: :class:`Timestamp` (or anything it accepts).
    :param ext: ``.data``, ``.ts`` or ``.meta``.
    :param ctype_timestamp: for .meta carrying a Content-Type: its timestamp.
    :returns: e.g. ``'1795990117.46277-583a.meta'``.
    """
    timestamp = Timestamp(timestamp)
    if ext == META_EXT and ctype_timestamp is not None:
        # Swift writes t_meta followed by the signed delta to t_ctype (explicit=True).
        return encode_timestamps(timestamp, Timestamp(ctype_timestamp),
                                 explicit=True) + ext
    return timestamp.internal + ext


def parse_filename(filename):
    """Parse a hash-dir file name.

    :returns: :class:`FileInfo`.
    :raises BadFileName: unknown extension or bad timestamp.
    """
    stem, dot, ext = filename.rpartition('.')
    ext = dot + ext
    if not stem or ext not in KNOWN_EXTS:
        raise BadFileName(filename)
    try:
        if ext == META_EXT:
            timestamp, ctype_timestamp, _ = decode_timestamps(stem, explicit=True)
            return FileInfo(filename, ext, timestamp, ctype_timestamp)
        if '+' in stem or '-' in stem:
            raise BadFileName(filename)
        return FileInfo(filename, ext, Timestamp(stem))
    except (InvalidTimestamp, ValueError) as err:
        if isinstance(err, BadFileName):
            raise
        raise BadFileName(filename)


def _ctype_key(info):
    return info.ctype_timestamp or Timestamp(0)


def _keep_metas(metas, info):
    """Choose which .meta files (newest first) still define state."""
    if not metas:
        return [], []
    keep = [metas[0]]
    others = sorted(metas[1:], key=_ctype_key, reverse=True)
    if others and _ctype_key(others[0]) > _ctype_key(metas[0]):
        if others[0].timestamp == metas[0].timestamp:
            keep = [others[0]]
            others = [metas[0]] + others[1:]
        else:
            keep.append(others.pop(0))
    info.obsolete.extend(others)
    return keep, others


def resolve_files(filenames, now=None, reclaim_age_s=None):
    """Resolve the files of one hash dir by Swift's rules (see module comment).

    :param filenames: iterable of base names.
    :param now: current time (float seconds) for reclaim; None disables reclaim.
    :param reclaim_age_s: tombstone reclaim age in seconds.
    :returns: :class:`OnDiskInfo`.
    """
    info = OnDiskInfo()
    for name in filenames:
        try:
            info.files.append(parse_filename(name))
        except BadFileName:
            info.unexpected.append(name)
    # newest first; at one timestamp a .ts beats a .data, and both beat a .meta (which
    # must be strictly newer than the data to apply), as Swift's reverse name sort does
    info.files.sort(key=lambda f: (f.timestamp, _EXT_RANK[f.ext]), reverse=True)
    winner = None
    metas = []
    for finfo in info.files:
        if finfo.ext == META_EXT:
            if winner is None:
                metas.append(finfo)
            else:
                info.obsolete.append(finfo)
        elif winner is None:
            winner = finfo
        else:
            info.obsolete.append(finfo)
    metas, _ = _keep_metas(metas, info)
    if winner is not None and winner.ext == DATA_EXT:
        info.data_info = winner
        if metas:
            info.meta_info = metas[0]
            ctype = metas[-1]
            if ctype.ctype_timestamp is not None and ctype.ctype_timestamp > winner.timestamp:
                info.ctype_info = ctype
    elif winner is not None:
        info.ts_info = winner
    _mark_reclaimable(info, metas, now, reclaim_age_s)
    return info


def _mark_reclaimable(info, metas, now, reclaim_age_s):
    if now is None or reclaim_age_s is None:
        return
    horizon = now - reclaim_age_s
    if info.ts_info is not None and float(info.ts_info.timestamp) < horizon:
        info.obsolete.append(info.ts_info)
    if info.data_info is None:
        for meta in metas:
            if float(meta.timestamp) < horizon:
                info.obsolete.append(meta)


def cleanup_hash_dir(hash_dir, now=None, reclaim_age_s=None, logger=None):
    """Resolve ``hash_dir`` and remove its obsolete files; remove the dir when empty.

    :param now: current time (float seconds) for tombstone reclaim, or None.
    :returns: :class:`OnDiskInfo` of the files that remain (``files`` excludes
        what was removed).
    :raises OSError: ENOENT if the dir is gone; ENOTDIR if it is a file.
    """
    names = os.listdir(hash_dir)
    info = resolve_files(names, now, reclaim_age_s)
    removed = set()
    for finfo in info.obsolete:
        try:
            os.unlink(os.path.join(hash_dir, finfo.filename))
            removed.add(finfo.filename)
        except FileNotFoundError:
            removed.add(finfo.filename)
        except OSError as err:
            if logger:
                logger.warning('Unable to remove %s: %s',
                               os.path.join(hash_dir, finfo.filename), err)
    if removed:
        info.files = [f for f in info.files if f.filename not in removed]
        if info.ts_info is not None and info.ts_info.filename in removed:
            info.ts_info = None
    if not info.files and not info.unexpected:
        try:
            os.rmdir(hash_dir)
        except OSError:
            pass  # raced with a new write, or not empty after all
    return info
