# Parsers of request header values Swift's HTTP layer (swob) acts on, and the framing
# of multipart/byteranges bodies:
# - Range (RFC 7233 section 2.1, 3.1): a malformed header is ignored as a whole (200);
#   a well-formed one with no satisfiable range gives 416; too many, overlapping or
#   non-ascending ranges get the whole entity (Swift's DoS guard, limits below);
# - If-Match / If-None-Match lists, Accept with q-values (RFC 7231 section 5.3.2).
# swift.common.swob re-exports every public name here.
"""Range, Match and Accept header values; multipart/byteranges framing."""

import re

MAX_RANGES = 50
MAX_RANGE_OVERLAPS = 2
MAX_NONASCENDING_RANGES = 8


# ---------------------------------------------------------------- Range

class Range:
    """A parsed ``Range: bytes=...`` header (RFC 7233 section 2.1).

    :param header: the header value.
    :raises ValueError: when the header is malformed (callers then ignore it).
    :ivar ranges: list of (start or None, end or None) as given.
    """

    def __init__(self, header):
        units, sep, specs = header.partition('=')
        if not sep or units.strip().lower() != 'bytes':
            raise ValueError('Invalid Range header: %s' % header)
        self.ranges = []
        for spec in specs.split(','):
            # As Swift: every element needs its dash, so an empty one ("0-5,,7-9")
            # makes the whole header invalid (ignored: the whole object is served).
            spec = spec.strip()
            first, dash, last = spec.partition('-')
            if not dash:
                raise ValueError('Invalid Range header: %s' % header)
            first, last = first.strip(), last.strip()
            start = _range_number(first, header)
            end = _range_number(last, header)
            if start is None and end is None:
                raise ValueError('Invalid Range header: %s' % header)
            if start is not None and end is not None and end < start:
                raise ValueError('Invalid Range header: %s' % header)
            self.ranges.append((start, end))
        if not self.ranges:
            raise ValueError('Invalid Range header: %s' % header)

    def __str__(self):
        return 'bytes=' + ','.join('%s-%s' % ('' if s is None else s, '' if e is None else e)
                                   for s, e in self.ranges)

    def ranges_for_length(self, length):
        """Satisfiable byte ranges of an entity of ``length`` bytes.

        :returns: list of (start, stop) half-open ranges; [] when none is satisfiable;
            None when the request should be answered with the whole entity (no length,
            or too many / overlapping ranges, a Swift DoS guard).
        """
        if length is None:
            return None
        if len(self.ranges) > MAX_RANGES:
            return None
        result = []
        for start, end in self.ranges:
            if start is None:
                if end == 0:
                    continue
                result.append((max(0, length - end), length))
            elif start < length:
                stop = length if end is None else min(end + 1, length)
                result.append((start, stop))
        if len(result) > 1 and _too_messy(result):
            return None
        return result


def _range_number(text, header):
    if text == '':
        return None
    if not text.isdigit():
        raise ValueError('Invalid Range header: %s' % header)
    return int(text)


def _too_messy(ranges):
    overlaps = 0
    for i, (start_a, stop_a) in enumerate(ranges):
        for start_b, stop_b in ranges[i + 1:]:
            if start_a < stop_b and start_b < stop_a:
                overlaps += 1
    nonascending = sum(1 for prev, cur in zip(ranges, ranges[1:]) if cur[0] < prev[0])
    return overlaps > MAX_RANGE_OVERLAPS or nonascending > MAX_NONASCENDING_RANGES


# ---------------------------------------------------------------- Match / Accept

class Match:
    """An If-Match / If-None-Match header: ``'*'`` or a list of (quoted) etags."""

    def __init__(self, header):
        self.tags = set()
        for tag in header.split(','):
            tag = tag.strip()
            if tag.startswith('W/'):
                tag = tag[2:]
            if len(tag) >= 2 and tag[0] == tag[-1] == '"':
                tag = tag[1:-1]
            if tag:
                self.tags.add(tag)

    def __contains__(self, etag):
        if etag is not None and len(etag) >= 2 and etag[0] == etag[-1] == '"':
            etag = etag[1:-1]
        return '*' in self.tags or etag in self.tags

    @property
    def is_star(self):
        return '*' in self.tags


_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_ACCEPT_RE = re.compile(r'^\s*(%s)/(%s)\s*$' % (_TOKEN, _TOKEN))
_PARAM_RE = re.compile(r'^\s*(%s)\s*=\s*("[^"]*"|%s)\s*$' % (_TOKEN, _TOKEN))


class Accept:
    """An Accept header (RFC 7231 section 5.3.2)."""

    def __init__(self, header):
        self.header = header

    def _parse(self):
        entries = []
        for item in self.header.split(','):
            if not item.strip():
                continue
            parts = item.split(';')
            match = _ACCEPT_RE.match(parts[0])
            if not match:
                raise ValueError('Invalid Accept header')
            quality = None
            for param in parts[1:]:
                pmatch = _PARAM_RE.match(param)
                if not pmatch:
                    raise ValueError('Invalid Accept header')
                if pmatch.group(1).lower() == 'q':
                    if quality is not None:
                        raise ValueError('Invalid Accept header')
                    try:
                        quality = float(pmatch.group(2))
                    except ValueError:
                        raise ValueError('Invalid Accept header')
                    if not 0 <= quality <= 1:
                        raise ValueError('Invalid Accept header')
            entries.append((match.group(1).lower(), match.group(2).lower(),
                            1.0 if quality is None else quality))
        return entries

    def best_match(self, options):
        """The option (``'type/subtype'``) the header prefers, or None.

        :raises ValueError: for a malformed header (answer 400 ``Invalid Accept header``).
        """
        entries = self._parse()
        best, best_key = None, None
        for order, option in enumerate(options):
            otype, osub = option.lower().split('/')
            for mtype, msub, quality in entries:
                if quality <= 0:
                    continue
                if mtype not in ('*', otype) or msub not in ('*', osub):
                    continue
                specificity = (mtype != '*') + (msub != '*')
                key = (quality, specificity, -order)
                if best_key is None or key > best_key:
                    best, best_key = option, key
        return best


def multirange_part_header(content_type, boundary, start, stop, length):
    """Bytes before one part of a multipart/byteranges body (RFC 7233 A)."""
    return ('\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n'
            % (boundary, content_type, start, stop - 1, length)).encode('latin-1')


def multirange_length(ranges, content_type, boundary, length):
    """Total byte length of a multipart/byteranges body for ``ranges``."""
    total = len(('\r\n--%s--' % boundary).encode('ascii'))
    for start, stop in ranges:
        total += len(multirange_part_header(content_type, boundary, start, stop, length))
        total += stop - start
    return total
