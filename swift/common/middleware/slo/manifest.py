# The SLO manifest formats (Swift 2.38), pure functions without I/O:
# - the client's form, PUT with ?multipart-manifest=put: a JSON list of
#   ``{"path": "/cont/obj", "etag": str|null, "size_bytes": int|str|null,
#   "range": "M-N"|"M-"|"-N"}`` (only ``path`` required) or ``{"data": <base64>}``
#   inline segments;
# - the stored form (the manifest object's body): a JSON list of ``{"name": "/c/o",
#   "bytes": int, "hash": str, "content_type": str, "last_modified":
#   "YYYY-MM-DDTHH:MM:SS.ffffff"}`` plus ``"range": "F-L"`` (normalized, absolute) and
#   ``"sub_slo": true`` when the segment is itself an SLO; data segments stay
#   ``{"data": <base64>}``;
# - the raw form (?multipart-manifest=get&format=raw): the stored form mapped back to
#   the client's keys, ``json.dumps(..., sort_keys=True)``;
# - the SLO etag is md5 over each segment's contribution: its etag, or
#   ``"<etag>:<range>;"`` for a ranged one, or md5(data) hex for inline data.
"""SLO manifest parsing, validation and etag/length arithmetic."""

import base64
import binascii
import hashlib
import json
import urllib.parse
from typing import Any

from swift.common.swob import HTTPBadRequest, Range, split_path

REQUIRED_SLO_KEYS = frozenset(['path'])
ALLOWED_SLO_KEYS = frozenset(['path', 'etag', 'size_bytes', 'range'])
SYSMETA_SLO_ETAG = 'X-Object-Sysmeta-Slo-Etag'
SYSMETA_SLO_SIZE = 'X-Object-Sysmeta-Slo-Size'
OVERRIDE_ETAG = 'X-Object-Sysmeta-Container-Update-Override-Etag'


def strict_b64decode(value: Any) -> bytes:
    """Base64 text -> bytes (padding may be missing, nothing else tolerated).

    :raises ValueError: not a string or not valid base64.
    """
    if not isinstance(value, str):
        raise ValueError('not a string')
    stripped = value.rstrip('=')
    padded = stripped + '=' * (-len(stripped) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError('invalid base64')


def _check_data_segment(index, seg_dict):
    """Error bytes for a bad ``{"data": ...}`` entry, or None (normalizes padding)."""
    extra = sorted(k for k in seg_dict if k != 'data')
    if extra:
        return b'Index %d: extraneous keys %s' % (
            index, b', '.join(json.dumps(k).encode('ascii') for k in extra))
    try:
        data = strict_b64decode(seg_dict['data'])
    except ValueError:
        return b'Index %d: data must be valid base64' % index
    if not data:
        return b'Index %d: too small; each segment must be at least 1 byte.' % index
    seg_dict['data'] = base64.b64encode(data).decode('ascii')
    return None


def _check_object_segment(index, seg_dict, count, version, account, req_path):
    """Error bytes for a bad object-backed entry, or None; converts ``size_bytes``
    to int and ``range`` to a :class:`Range`."""
    missing = sorted(k for k in REQUIRED_SLO_KEYS if k not in seg_dict)
    if missing:
        return b'Index %d: missing keys %s' % (
            index, b', '.join(b'"%s"' % k.encode('ascii') for k in missing))
    extra = sorted(k for k in seg_dict if k not in ALLOWED_SLO_KEYS)
    if extra:
        return b'Index %d: extraneous keys %s' % (
            index, b', '.join(json.dumps(k).encode('ascii') for k in extra))
    if not isinstance(seg_dict['path'], str):
        return b'Index %d: "path" must be a string' % index
    try:
        seg_dict['path'].encode('utf-8')
    except UnicodeEncodeError:   # a lone surrogate ("\udcff") names no object
        return b'Index %d: "path" must be valid UTF-8' % index
    if not (seg_dict.get('etag') is None or isinstance(seg_dict['etag'], str)):
        return b'Index %d: "etag" must be a string or null (if provided)' % index
    if '/' not in seg_dict['path'].strip('/'):
        return (b'Index %d: path does not refer to an object. Path must be of the '
                b'form /container/object.' % index)
    size = seg_dict.get('size_bytes')
    if size is not None:
        try:
            size = int(size)
        except (TypeError, ValueError, OverflowError):   # OverflowError: 1e400
            return b'Index %d: invalid size_bytes' % index
        seg_dict['size_bytes'] = size
        if size < 1 and index != count - 1:
            return b'Index %d: too small; each segment must be at least 1 byte.' % index
    obj_path = '/'.join(['', version, account,
                         urllib.parse.quote(seg_dict['path'].lstrip('/'))])
    if obj_path == req_path:
        return b'Index %d: manifest must not include itself as a segment' % index
    if seg_dict.get('range'):
        try:
            seg_dict['range'] = Range('bytes=%s' % seg_dict['range'])
        except (ValueError, TypeError):
            return b'Index %d: invalid range' % index
        if len(seg_dict['range'].ranges) > 1:
            return b'Index %d: multiple ranges (only one allowed)' % index
        if size is not None and len(seg_dict['range'].ranges_for_length(size) or []) != 1:
            return b'Index %d: unsatisfiable range' % index
    return None


def parse_and_validate_input(req_body: bytes, req_path: str) -> list:
    """Parse a client manifest (Swift's parse_and_validate_input).

    :param req_body: bytes of the PUT body.
    :param req_path: the manifest's quoted native-str path ``/v1/a/c/o``.
    :returns: list of dicts: object segments with ``path`` (str), optional ``etag``,
        ``size_bytes`` (int) and ``range`` (:class:`Range`); data segments with
        ``data`` (normalized base64).
    :raises HTTPBadRequest: ``Manifest must be valid JSON.``, ``Manifest must be a
        list.``, or one ``Index N: <problem>`` line per bad entry (text/plain).
    """
    try:
        parsed = json.loads(req_body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep [[[...]]] nesting
        raise HTTPBadRequest(body=b'Manifest must be valid JSON.\n')
    if not isinstance(parsed, list):
        raise HTTPBadRequest(body=b'Manifest must be a list.\n')
    version, account, _rest = split_path(req_path, 3, 3, True)
    errors = []
    for index, seg_dict in enumerate(parsed):
        if not isinstance(seg_dict, dict):
            errors.append(b'Index %d: not a JSON object' % index)
            continue
        if 'data' in seg_dict:
            error = _check_data_segment(index, seg_dict)
        else:
            error = _check_object_segment(index, seg_dict, len(parsed), version,
                                          account, req_path)
        if error:
            errors.append(error)
    if errors:
        raise HTTPBadRequest(body=b''.join(e + b'\n' for e in errors),
                             headers={'Content-Type': 'text/plain'})
    return parsed


def segment_length(seg_dict: dict) -> int:
    """Bytes a plain GET takes from one stored-form entry (range-aware)."""
    if 'data' in seg_dict:
        return len(strict_b64decode(seg_dict['data']))
    seg_range = seg_dict.get('range')
    if seg_range is not None:
        first, last = (int(x) for x in seg_range.split('-'))
        return last - first + 1
    return int(seg_dict['bytes'])


def slo_etag_of(segments: list) -> str:
    """The SLO etag (hex) of stored-form entries (Swift's rule, module doc)."""
    etag = hashlib.md5()
    for seg in segments:
        if 'data' in seg:
            etag.update(hashlib.md5(strict_b64decode(seg['data'])).hexdigest().encode())
        elif seg.get('range'):
            etag.update(('%s:%s;' % (seg['hash'], seg['range'])).encode())
        else:
            etag.update(seg['hash'].encode())
    return etag.hexdigest()


def to_raw_format(segments: list) -> bytes:
    """Stored-form entries -> JSON bytes of the client's form (format=raw)."""
    out = []
    for seg in segments:
        if 'data' in seg:
            out.append(dict(seg))
            continue
        raw = {k: v for k, v in seg.items()
               if k not in ('content_type', 'last_modified', 'sub_slo', 'name', 'bytes',
                            'hash')}
        raw['path'] = seg.get('name')
        raw['size_bytes'] = seg.get('bytes')
        raw['etag'] = seg.get('hash')
        out.append(raw)
    return json.dumps(out, sort_keys=True).encode('utf-8')


def load_manifest(body: bytes) -> list:
    """Stored manifest bytes -> list of entries.

    :raises ValueError: not a JSON list.
    """
    segments = json.loads(body)
    if not isinstance(segments, list):
        raise ValueError('manifest is not a list')
    return segments
