# Our thin HTTP layer over WSGI (Swift calls it swob). Rules:
# - strings in environ and headers are WSGI strings: the latin-1 decoding of the raw
#   bytes (so UTF-8 names arrive as mojibake str, as in Swift on py3); helpers below
#   convert.
# - Range (RFC 7233 section 2.1, 3.1): a malformed header is ignored as a whole (200);
#   a well-formed one with no satisfiable range gives 416 (parsers of Range, Match and
#   Accept values live in swift.common.http_headers, re-exported here).
# - Conditional requests (RFC 7232 section 6): If-Match, If-Unmodified-Since, then
#   If-None-Match (which overrides If-Modified-Since), evaluated only on 2xx answers of
#   Responses built with conditional_response=True.
"""Request, Response and the HTTP exception classes."""

import calendar
import email.utils
import functools
import io
import time
import urllib.parse
import uuid

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.http_headers import (  # noqa: F401 (swob's public names)
    MAX_NONASCENDING_RANGES, MAX_RANGE_OVERLAPS, MAX_RANGES, Accept, Match, Range,
    multirange_length, multirange_part_header)
from swift.common.http_status import RESPONSE_REASONS, is_success
from swift.common.timestamp import InvalidTimestamp, Timestamp



# ---------------------------------------------------------------- WSGI strings

def str_to_wsgi(text):
    """Native str -> WSGI str (latin-1 of its UTF-8 bytes)."""
    return text.encode('utf-8', 'surrogateescape').decode('latin-1')


def wsgi_to_str(wsgi_text):
    """WSGI str -> native str (invalid UTF-8 kept as surrogate escapes)."""
    return wsgi_text.encode('latin-1').decode('utf-8', 'surrogateescape')


def bytes_to_wsgi(data):
    """Raw bytes -> WSGI str."""
    return data.decode('latin-1')


def wsgi_to_bytes(wsgi_text):
    """WSGI str -> raw bytes."""
    return wsgi_text.encode('latin-1')


def wsgi_quote(wsgi_text, safe='/'):
    """Percent-quote a WSGI str by its raw bytes."""
    return urllib.parse.quote(wsgi_text.encode('latin-1'), safe=safe)


def wsgi_unquote(quoted):
    """Percent-unquote into a WSGI str."""
    return urllib.parse.unquote(quoted, encoding='latin-1')


def _native_to_wsgi_path(path):
    try:
        return path.encode('latin-1').decode('latin-1')
    except UnicodeEncodeError:
        return str_to_wsgi(path)


# ---------------------------------------------------------------- dates

def http_date(seconds):
    """Seconds since epoch -> ``'Sun, 29 Nov 2026 22:08:37 GMT'``."""
    return email.utils.formatdate(seconds, usegmt=True)


def parse_http_date(value):
    """HTTP date -> int seconds since epoch, or None if unparseable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError, IndexError):
        return None
    if not parsed:
        return None
    try:
        return int(calendar.timegm(parsed[:9]) - (parsed[9] or 0))
    except (OverflowError, ValueError):
        return None


# ---------------------------------------------------------------- headers

_ENVIRON_KEYS = {}
_HEADER_NAMES = {}
_NAME_CACHE_MAX = 4096


def _environ_key(name):
    """``Content-Type`` -> ``CONTENT_TYPE``, ``X-Foo`` -> ``HTTP_X_FOO`` (memoized:
    the same few dozen names come back on every request)."""
    try:
        return _ENVIRON_KEYS[name]
    except KeyError:
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        if len(_ENVIRON_KEYS) < _NAME_CACHE_MAX:
            _ENVIRON_KEYS[name] = key
        return key


def _header_name(environ_key):
    """``HTTP_X_FOO`` -> ``X-Foo``, ``CONTENT_TYPE`` -> ``Content-Type``; None for
    environ keys that are not headers (memoized)."""
    try:
        return _HEADER_NAMES[environ_key]
    except KeyError:
        if environ_key.startswith('HTTP_'):
            name = environ_key[5:].replace('_', '-').title()
        elif environ_key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            name = environ_key.replace('_', '-').title()
        else:
            name = None
        if len(_HEADER_NAMES) < _NAME_CACHE_MAX:
            _HEADER_NAMES[environ_key] = name
        return name


class HeaderEnvironProxy:
    """A mapping view of the HTTP headers held in a WSGI environ."""

    def __init__(self, environ):
        self.environ = environ

    _key = staticmethod(_environ_key)

    def __getitem__(self, name):
        return self.environ[self._key(name)]

    def __setitem__(self, name, value):
        if value is None:
            self.environ.pop(self._key(name), None)
        elif isinstance(value, bytes):
            self.environ[self._key(name)] = value.decode('latin-1')
        else:
            self.environ[self._key(name)] = str(value)

    def __delitem__(self, name):
        del self.environ[self._key(name)]

    def __contains__(self, name):
        return self._key(name) in self.environ

    def get(self, name, default=None):
        return self.environ.get(self._key(name), default)

    def pop(self, name, *default):
        return self.environ.pop(self._key(name), *default)

    def setdefault(self, name, value):
        if name not in self:
            self[name] = value
        return self[name]

    def keys(self):
        return [name for name in map(_header_name, self.environ) if name is not None]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def items(self):
        """(name, value) pairs in environ order, from one pass over the environ."""
        pairs = []
        for key, value in self.environ.items():
            name = _header_name(key)
            if name is not None:
                pairs.append((name, value))
        return pairs

    def values(self):
        return [value for _name, value in self.items()]

    def update(self, other=None, **kwargs):
        if other:
            for key, value in (other.items() if hasattr(other, 'items') else other):
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def copy(self):
        return HeaderKeyDict(self.items())


# ---------------------------------------------------------------- Request

class Request:
    """A WSGI request.

    :param environ: the WSGI environ (shared, not copied).
    """

    def __init__(self, environ):
        self.environ = environ
        self.headers = HeaderEnvironProxy(environ)

    @classmethod
    def blank(cls, path, environ=None, headers=None, body=None, **kwargs):
        """Build a request for ``path`` (quoted, may carry ``?query``).

        :param environ: extra environ keys.
        :param headers: dict of headers.
        :param body: bytes body (sets Content-Length).
        :param kwargs: attributes to set, e.g. ``method='PUT'``.
        """
        path = _native_to_wsgi_path(path)
        parsed = urllib.parse.urlparse(path)
        env = {
            'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '',
            'QUERY_STRING': parsed.query, 'PATH_INFO': wsgi_unquote(parsed.path),
            'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
            'HTTP_HOST': 'localhost:80', 'SERVER_PROTOCOL': 'HTTP/1.0',
            'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http',
            'wsgi.input': io.BytesIO(b''), 'wsgi.errors': io.StringIO(),
            'wsgi.multithread': False, 'wsgi.multiprocess': False,
            'wsgi.run_once': False, 'REMOTE_ADDR': '127.0.0.1',
        }
        env.update(environ or {})
        req = cls(env)
        if headers:
            req.headers.update(headers)
        if body is not None:
            req.body = body
        for key, value in kwargs.items():
            setattr(req, key, value)
        return req

    # -- simple properties
    method = property(lambda self: self.environ['REQUEST_METHOD'],
                      lambda self, v: self.environ.__setitem__('REQUEST_METHOD', v))
    path_info = property(lambda self: self.environ.get('PATH_INFO', ''),
                         lambda self, v: self.environ.__setitem__('PATH_INFO', v))
    script_name = property(lambda self: self.environ.get('SCRIPT_NAME', ''),
                           lambda self, v: self.environ.__setitem__('SCRIPT_NAME', v))
    query_string = property(lambda self: self.environ.get('QUERY_STRING', ''),
                            lambda self, v: self.environ.__setitem__('QUERY_STRING', v))
    remote_addr = property(lambda self: self.environ.get('REMOTE_ADDR'))
    user_agent = property(lambda self: self.environ.get('HTTP_USER_AGENT'))
    referer = property(lambda self: self.environ.get('HTTP_REFERER'))
    remote_user = property(lambda self: self.environ.get('REMOTE_USER'),
                           lambda self, v: self.environ.__setitem__('REMOTE_USER', v))

    @property
    def path(self):
        """The quoted path (script name + path info), no query."""
        return wsgi_quote(self.script_name + self.path_info)

    @property
    def swift_entity_path(self):
        """``/account[/container[/object]]`` of a ``/v1/...`` path, or None."""
        try:
            _ver, account, container, obj = self.split_path(1, 4, True)
        except ValueError:
            return None
        if not account:
            return None
        return '/' + '/'.join(p for p in (account, container, obj) if p is not None)

    @property
    def host(self):
        return self.environ.get('HTTP_HOST') or '%s:%s' % (
            self.environ.get('SERVER_NAME'), self.environ.get('SERVER_PORT'))

    @property
    def host_url(self):
        return '%s://%s' % (self.environ.get('wsgi.url_scheme', 'http'), self.host)

    @property
    def url(self):
        query = '?' + self.query_string if self.query_string else ''
        return self.host_url + self.path + query

    @property
    def params(self):
        """Query parameters as a dict of WSGI strs (last value wins, blanks kept)."""
        return dict(urllib.parse.parse_qsl(self.query_string, keep_blank_values=True,
                                           encoding='latin-1'))

    @params.setter
    def params(self, values):
        self.query_string = urllib.parse.urlencode(values, encoding='latin-1')

    def split_path(self, minsegs=1, maxsegs=None, rest_with_last=False):
        """Split :attr:`path_info` (see :func:`split_path`)."""
        return split_path(self.path_info, minsegs, maxsegs, rest_with_last)

    def split_path_or_none(self, minsegs=1, maxsegs=None, rest_with_last=False):
        """:meth:`split_path`, or None when the path does not fit."""
        return split_path_or_none(self.path_info, minsegs, maxsegs, rest_with_last)

    # -- body
    @property
    def content_length(self):
        value = self.environ.get('CONTENT_LENGTH')
        if value in (None, ''):
            return None
        try:
            length = int(value)
        except ValueError:
            raise ValueError('Invalid Content-Length header value')
        if length < 0:
            raise ValueError('Invalid Content-Length header value')
        return length

    @content_length.setter
    def content_length(self, value):
        if value is None:
            self.environ.pop('CONTENT_LENGTH', None)
        else:
            self.environ['CONTENT_LENGTH'] = str(value)

    @property
    def content_type(self):
        return self.environ.get('CONTENT_TYPE')

    @property
    def body_file(self):
        return self.environ['wsgi.input']

    @body_file.setter
    def body_file(self, value):
        self.environ['wsgi.input'] = value

    @property
    def body(self):
        """The whole body (reads Content-Length bytes, or to EOF when chunked)."""
        length = self.message_length()
        if length is None:
            return self.body_file.read()
        return self.body_file.read(length)

    @body.setter
    def body(self, value):
        if isinstance(value, str):
            value = value.encode('utf-8')
        self.environ['wsgi.input'] = io.BytesIO(value)
        self.environ['CONTENT_LENGTH'] = str(len(value))
        self.environ.pop('HTTP_TRANSFER_ENCODING', None)

    def message_length(self):
        """Body length in bytes, or None when chunked.

        :raises HTTPNotImplemented: for a transfer-coding other than chunked.
        :raises HTTPBadRequest: for a malformed Content-Length / Transfer-Encoding.
        """
        encoding = self.environ.get('HTTP_TRANSFER_ENCODING')
        if encoding:
            codings = [c.strip().lower() for c in encoding.split(',')]
            if codings[-1] != 'chunked':
                raise HTTPNotImplemented(request=self, body=b'Unsupported Transfer-Coding'
                                         b' header value specified in Transfer-Encoding'
                                         b' header')
            if len(codings) > 1:
                raise HTTPNotImplemented(request=self, body=b'Unsupported Transfer-Coding')
            return None
        try:
            return self.content_length
        except ValueError:
            raise HTTPBadRequest(request=self, body=b'Invalid Content-Length header value')

    # -- typed headers
    @property
    def timestamp(self):
        """X-Timestamp as a Timestamp (now if absent).

        :raises HTTPBadRequest: when present and invalid.
        """
        value = self.headers.get('X-Timestamp')
        if value is None:
            return Timestamp.now()
        try:
            return Timestamp(value)
        except InvalidTimestamp:
            raise HTTPBadRequest(request=self, content_type='text/plain',
                                 body=('X-Timestamp should be a UNIX timestamp float '
                                       'value; was %r' % value).encode('utf-8'))

    @property
    def range(self):
        """The Range header parsed, or None when absent or malformed."""
        value = self.headers.get('Range')
        if not value:
            return None
        try:
            return Range(value)
        except ValueError:
            return None

    @property
    def if_match(self):
        value = self.headers.get('If-Match')
        return Match(value) if value else None

    @property
    def if_none_match(self):
        value = self.headers.get('If-None-Match')
        return Match(value) if value else None

    @property
    def if_modified_since(self):
        """If-Modified-Since as int epoch seconds (None if absent/invalid)."""
        return parse_http_date(self.headers.get('If-Modified-Since'))

    @property
    def if_unmodified_since(self):
        """If-Unmodified-Since as int epoch seconds (None if absent/invalid)."""
        return parse_http_date(self.headers.get('If-Unmodified-Since'))

    @property
    def accept(self):
        return Accept(self.headers.get('Accept', '*/*'))

    # -- calling apps
    def call_application(self, app):
        """Call WSGI ``app``; returns (status str, [(name, value)], app_iter)."""
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured['status'] = status
            captured['headers'] = headers
            return lambda data: None

        app_iter = app(self.environ, start_response)
        if 'status' not in captured:
            # start_response may be called when the iterator starts (generators)
            app_iter = iter(app_iter)
            first = next(app_iter, None)
            rest = app_iter

            def chained():
                if first is not None:
                    yield first
                yield from rest
            return captured['status'], captured['headers'], chained()
        return captured['status'], captured['headers'], app_iter

    def get_response(self, app):
        """Call ``app`` and wrap the result in a :class:`Response`."""
        status, headers, app_iter = self.call_application(app)
        return Response(status=status, headers=dict(headers), app_iter=app_iter,
                        request=self)

    def copy_get(self):
        """A GET copy of this request sharing nothing mutable with it."""
        env = dict(self.environ)
        env['REQUEST_METHOD'] = 'GET'
        env['wsgi.input'] = io.BytesIO(b'')
        env['CONTENT_LENGTH'] = '0'
        env.pop('HTTP_TRANSFER_ENCODING', None)
        return Request(env)

    def __repr__(self):
        return '<Request %s %s>' % (self.method, self.path)


def split_path(path, minsegs=1, maxsegs=None, rest_with_last=False):
    """Split ``/a/b/c`` into segments, validating counts (Swift's rule).

    :param minsegs: segments that must be present and non-empty.
    :param maxsegs: most segments (missing ones are None).
    :param rest_with_last: the last segment takes the rest of the path.
    :returns: list of length ``maxsegs``.
    :raises ValueError: when the path does not fit.
    """
    if not maxsegs:
        maxsegs = minsegs
    if minsegs > maxsegs:
        raise ValueError('minsegs > maxsegs: %d > %d' % (minsegs, maxsegs))
    if rest_with_last:
        segs = path.split('/', maxsegs)
        minsegs += 1
        maxsegs += 1
        count = len(segs)
        if (segs[0] or count < minsegs or count > maxsegs
                or '' in segs[1:minsegs]):
            raise ValueError('Invalid path: %s' % urllib.parse.quote(path))
    else:
        minsegs += 1
        maxsegs += 1
        segs = path.split('/', maxsegs)
        count = len(segs)
        if (segs[0] or count < minsegs or count > maxsegs + 1
                or '' in segs[1:minsegs]
                or (count == maxsegs + 1 and segs[maxsegs])):
            raise ValueError('Invalid path: %s' % urllib.parse.quote(path))
    segs = segs[1:maxsegs]
    segs.extend([None] * (maxsegs - 1 - len(segs)))
    return segs


def split_path_or_none(path, minsegs=1, maxsegs=None, rest_with_last=False):
    """:func:`split_path`, or None when the path does not fit. A middleware that
    passes such requests on calls its app after this returns, not inside an
    ``except ValueError`` block, whose exception would otherwise be chained to every
    error the rest of the pipeline raises (and logged with it).
    """
    try:
        return split_path(path, minsegs, maxsegs, rest_with_last)
    except ValueError:
        return None


# ---------------------------------------------------------------- Response

def _status_line(status):
    if isinstance(status, int):
        return '%d %s' % (status, RESPONSE_REASONS.get(status, ('Unknown', ''))[0])
    status = str(status)
    code, _, reason = status.partition(' ')
    if not reason:
        return _status_line(int(code))
    return status


class Response:
    """A WSGI response.

    :param body: bytes (str is UTF-8 encoded).
    :param status: int or ``'NNN Reason'``.
    :param headers: dict/list of headers.
    :param app_iter: iterable of bytes (instead of ``body``); may provide
        ``app_iter_range(start, stop)`` and ``app_iter_ranges(ranges, content_type,
        boundary, size)`` for efficient range replies.
    :param request: the Request (used for HEAD, conditionals and ranges).
    :param conditional_response: evaluate conditional and Range headers on 2xx.
    :param conditional_etag: etag used for If-(None-)Match instead of ETag.
    """

    def __init__(self, body=None, status=200, headers=None, app_iter=None,
                 request=None, conditional_response=False, conditional_etag=None,
                 **kwargs):
        self.headers = HeaderKeyDict({'Content-Type': 'text/html; charset=UTF-8'})
        self._status = _status_line(status)
        self._body = None
        self._app_iter = None
        self.request = request
        self.conditional_response = conditional_response
        self.conditional_etag = conditional_etag
        self.explicit_body = body is not None or app_iter is not None
        if headers:
            self.headers.update(headers)
        if body is not None:
            self.body = body
        if app_iter is not None:
            self.app_iter = app_iter
        charset = kwargs.pop('charset', None)
        for key, value in kwargs.items():
            setattr(self, key, value)
        if charset:
            self.charset = charset

    # -- status
    @property
    def status(self):
        return self._status

    @status.setter
    def status(self, value):
        self._status = _status_line(value)

    @property
    def status_int(self):
        return int(self._status.split(' ', 1)[0])

    @status_int.setter
    def status_int(self, value):
        self._status = _status_line(int(value))

    @property
    def is_success(self):
        return is_success(self.status_int)

    # -- body
    @property
    def body(self):
        if self._body is None:
            if self._app_iter is None:
                return b''
            self._body = b''.join(self._app_iter)
            close = getattr(self._app_iter, 'close', None)
            if close:
                close()
            self._app_iter = None
        return self._body

    @body.setter
    def body(self, value):
        if isinstance(value, str):
            value = value.encode('utf-8')
        self._body = value
        self._app_iter = None
        self.explicit_body = True
        self.headers['Content-Length'] = str(len(value))

    @property
    def app_iter(self):
        if self._app_iter is not None:
            return self._app_iter
        return [self.body]

    @app_iter.setter
    def app_iter(self, value):
        self._app_iter = value
        self._body = None
        self.explicit_body = True

    # -- header properties
    def _header_prop(name):
        return property(lambda self: self.headers.get(name),
                        lambda self, v: self.headers.__setitem__(name, v))

    location = _header_prop('Location')
    accept_ranges = _header_prop('Accept-Ranges')
    content_encoding = _header_prop('Content-Encoding')
    content_disposition = _header_prop('Content-Disposition')
    del _header_prop

    @property
    def content_length(self):
        value = self.headers.get('Content-Length')
        return int(value) if value not in (None, '') else None

    @content_length.setter
    def content_length(self, value):
        self.headers['Content-Length'] = None if value is None else str(int(value))

    @property
    def content_type(self):
        value = self.headers.get('Content-Type')
        return value.split(';')[0].strip() if value else value

    @content_type.setter
    def content_type(self, value):
        self.headers['Content-Type'] = value

    @property
    def charset(self):
        value = self.headers.get('Content-Type') or ''
        for param in value.split(';')[1:]:
            key, _, val = param.partition('=')
            if key.strip().lower() == 'charset':
                return val.strip()
        return None

    @charset.setter
    def charset(self, value):
        ctype = (self.headers.get('Content-Type') or '').split(';')[0].strip()
        self.headers['Content-Type'] = '%s; charset=%s' % (ctype, value)

    @property
    def etag(self):
        value = self.headers.get('Etag')
        if value and len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value

    @etag.setter
    def etag(self, value):
        self.headers['Etag'] = value

    @property
    def last_modified(self):
        """Last-Modified as int epoch seconds (None if absent)."""
        return parse_http_date(self.headers.get('Last-Modified'))

    @last_modified.setter
    def last_modified(self, value):
        if value is None:
            self.headers['Last-Modified'] = None
        elif isinstance(value, str):
            self.headers['Last-Modified'] = value
        else:
            if isinstance(value, Timestamp):
                value = value.ceil_seconds
            self.headers['Last-Modified'] = http_date(value)

    # -- conditional & range handling
    def _conditional_status(self):
        req = self.request
        etag = self.conditional_etag or self.etag
        if req.if_match is not None and etag not in req.if_match:
            if not (req.if_match.is_star and etag is not None):
                return 412
        last_modified = self.last_modified
        ius = req.if_unmodified_since
        if ius is not None and last_modified is not None and last_modified > ius:
            return 412
        if req.if_none_match is not None:
            if etag is not None and etag in req.if_none_match:
                return 304 if req.method in ('GET', 'HEAD') else 412
            return None
        ims = req.if_modified_since
        if (ims is not None and last_modified is not None and last_modified <= ims
                and req.method in ('GET', 'HEAD')):
            return 304
        return None

    def _apply_conditional(self):
        status = self._conditional_status()
        if status == 304:
            self.status = 304
            self._close_source()
            self._body, self._app_iter = b'', None
            self.headers['Content-Length'] = None
            self.headers['Content-Type'] = None
        elif status == 412:
            self.status = 412
            self._close_source()
            self._set_default_body()

    def _close_source(self):
        close = getattr(self._app_iter, 'close', None)
        if close:
            close()

    def _apply_range(self):
        req_range = self.request.range
        if req_range is None or self.status_int != 200:
            return
        length = self.content_length
        ranges = req_range.ranges_for_length(length)
        if ranges is None:
            return
        if not ranges:
            self.status = 416
            self._close_source()
            self.headers['Content-Range'] = 'bytes */%d' % length
            self._set_default_body()
            return
        if len(ranges) == 1:
            start, stop = ranges[0]
            self.status = 206
            self.headers['Content-Range'] = 'bytes %d-%d/%d' % (start, stop - 1, length)
            self.headers['Content-Length'] = str(stop - start)
            source = self._app_iter
            if self._body is not None or source is None:
                self._body = self.body[start:stop]
            elif hasattr(source, 'app_iter_range'):
                self._app_iter = source.app_iter_range(start, stop)
            else:
                self._body = self.body[start:stop]
            return
        self._apply_multirange(ranges, length)

    def _apply_multirange(self, ranges, length):
        boundary = uuid.uuid4().hex
        content_type = self.headers.get('Content-Type') or 'application/octet-stream'
        self.status = 206
        self.headers['Content-Type'] = 'multipart/byteranges;boundary=%s' % boundary
        source = self._app_iter
        if source is not None and self._body is None and hasattr(source, 'app_iter_ranges'):
            self._app_iter = source.app_iter_ranges(ranges, content_type, boundary, length)
            self.headers['Content-Length'] = str(multirange_length(
                ranges, content_type, boundary, length))
            return
        body = self.body
        parts = []
        for start, stop in ranges:
            parts.append(multirange_part_header(content_type, boundary, start, stop,
                                                length) + body[start:stop])
        self._body = b''.join(parts) + ('\r\n--%s--' % boundary).encode('ascii')
        self.headers['Content-Length'] = str(len(self._body))

    def _set_default_body(self):
        reason, explanation = RESPONSE_REASONS.get(self.status_int, ('', ''))
        if not explanation:
            self.body = b''
            return
        if '%(drive)s' in explanation:
            drive = ''
            if self.request is not None:
                drive = self.request.path_info.lstrip('/').split('/')[0]
            explanation = explanation % {'drive': drive}
        self.headers['Content-Type'] = 'text/html; charset=UTF-8'
        self.body = ('<html><h1>%s</h1><p>%s</p></html>' % (reason, explanation)
                     ).encode('utf-8')

    def __call__(self, environ, start_response):
        if self.request is None:
            self.request = Request(environ)
        if not self.explicit_body and self.status_int >= 400:
            self._set_default_body()
        if self.conditional_response and is_success(self.status_int):
            self._apply_conditional()
            if self.status_int == 200:
                self._apply_range()
        if self._body is not None and 'Content-Length' not in self.headers:
            self.headers['Content-Length'] = str(len(self._body))
        if (self._body is None and self._app_iter is None
                and self.status_int not in (204, 304)
                and 'Content-Length' not in self.headers):
            self.headers['Content-Length'] = '0'
        if self.status_int in (204, 304):
            self.headers['Content-Length'] = None
        start_response(self._status, list(self.headers.items()))
        if self.request.method == 'HEAD' or self.status_int in (204, 304):
            self._close_source()
            return [b'']
        if self._app_iter is not None:
            return self._app_iter
        return [self._body if self._body is not None else b'']

    def __repr__(self):
        return '<Response %s>' % self._status


# ---------------------------------------------------------------- exceptions

class HTTPException(Response, Exception):
    """A Response that can be raised; subclasses fix the status."""

    status_code = 500

    def __init__(self, *args, **kwargs):
        kwargs.setdefault('status', self.status_code)
        Response.__init__(self, *args, **kwargs)
        Exception.__init__(self, self.status)


status_map = {}


def _make_exception(code, name):
    cls = type(name, (HTTPException,), {'status_code': code,
                                        '__doc__': 'HTTP %d response.' % code})
    status_map[code] = cls
    return cls


HTTPOk = _make_exception(200, 'HTTPOk')
HTTPCreated = _make_exception(201, 'HTTPCreated')
HTTPAccepted = _make_exception(202, 'HTTPAccepted')
HTTPNoContent = _make_exception(204, 'HTTPNoContent')
HTTPPartialContent = _make_exception(206, 'HTTPPartialContent')
HTTPMovedPermanently = _make_exception(301, 'HTTPMovedPermanently')
HTTPFound = _make_exception(302, 'HTTPFound')
HTTPSeeOther = _make_exception(303, 'HTTPSeeOther')
HTTPNotModified = _make_exception(304, 'HTTPNotModified')
HTTPTemporaryRedirect = _make_exception(307, 'HTTPTemporaryRedirect')
HTTPBadRequest = _make_exception(400, 'HTTPBadRequest')
HTTPUnauthorized = _make_exception(401, 'HTTPUnauthorized')
HTTPPaymentRequired = _make_exception(402, 'HTTPPaymentRequired')
HTTPForbidden = _make_exception(403, 'HTTPForbidden')
HTTPNotFound = _make_exception(404, 'HTTPNotFound')
HTTPMethodNotAllowed = _make_exception(405, 'HTTPMethodNotAllowed')
HTTPNotAcceptable = _make_exception(406, 'HTTPNotAcceptable')
HTTPRequestTimeout = _make_exception(408, 'HTTPRequestTimeout')
HTTPConflict = _make_exception(409, 'HTTPConflict')
HTTPGone = _make_exception(410, 'HTTPGone')
HTTPLengthRequired = _make_exception(411, 'HTTPLengthRequired')
HTTPPreconditionFailed = _make_exception(412, 'HTTPPreconditionFailed')
HTTPRequestEntityTooLarge = _make_exception(413, 'HTTPRequestEntityTooLarge')
HTTPRequestedRangeNotSatisfiable = _make_exception(
    416, 'HTTPRequestedRangeNotSatisfiable')
HTTPExpectationFailed = _make_exception(417, 'HTTPExpectationFailed')
HTTPUnprocessableEntity = _make_exception(422, 'HTTPUnprocessableEntity')
HTTPClientDisconnect = _make_exception(499, 'HTTPClientDisconnect')
HTTPServerError = _make_exception(500, 'HTTPServerError')
HTTPInternalServerError = HTTPServerError
HTTPNotImplemented = _make_exception(501, 'HTTPNotImplemented')
HTTPBadGateway = _make_exception(502, 'HTTPBadGateway')
HTTPServiceUnavailable = _make_exception(503, 'HTTPServiceUnavailable')
HTTPGatewayTimeout = _make_exception(504, 'HTTPGatewayTimeout')
HTTPInsufficientStorage = _make_exception(507, 'HTTPInsufficientStorage')
HTTPTooManyBackendRequests = _make_exception(529, 'HTTPTooManyBackendRequests')


def wsgify(func):
    """Turn ``func(req) -> Response`` (or a method ``func(self, req)``) into a WSGI app.

    Raised :class:`HTTPException` instances are returned as the response.
    """
    @functools.wraps(func)
    def wrapper(*args):
        if len(args) == 3:
            self, env, start_response = args
            call = functools.partial(func, self)
        else:
            env, start_response = args
            call = func
        req = Request(env)
        try:
            response = call(req)
        except HTTPException as err:
            response = err
        if response.request is None:
            response.request = req
        return response(env, start_response)
    return wrapper


def normalize_etag(value):
    """Strip surrounding quotes from an ETag value (None stays None)."""
    if value and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def now_http_date():
    """The current time as an HTTP date."""
    return http_date(time.time())
