# Backend HTTP client: how the proxy, daemons and direct_client talk to storage servers
# (swift-catalog.md 5). It is http.client over eventlet green sockets (through
# swift.common.concurrency) with two additions Swift relies on:
#   * getexpect(): read the interim "100 Continue" (or an early final answer such as 422
#     or 507) after sending headers with "Expect: 100-continue", before sending the body;
#   * paths are built and URL-quoted as Swift does: /<device>/<partition><quoted path>.
# Callers bound every call with a Timeout (conn_timeout / node_timeout); this module never
# waits on its own.
"""Backend HTTP connections (Swift's ``swift.common.bufferedhttp``)."""

import http.client
import io
import socket
import ssl as ssl_module
from urllib.parse import quote

from swift.common import concurrency

HTTP_CONTINUE = 100
# Swift's MAX_HEADER_COUNT with the default constraints (max_meta_count 90 + 36):
# http.client refuses a response with more than 100 headers, too few for an object,
# container or account holding its 90 metadata items plus Swift's own headers.
DEFAULT_MAX_HEADER_COUNT = 90 + 36


def raise_max_header_count(count):
    """Let backend responses carry up to ``count`` headers (never lowers the limit).

    http.client keeps the limit in a module global, as Swift's bufferedhttp sets it
    (``_MAXHEADERS = MAX_HEADER_COUNT``); the proxy raises it for its swift.conf's
    constraints.
    """
    if count > http.client._MAXHEADERS:
        http.client._MAXHEADERS = count


raise_max_header_count(DEFAULT_MAX_HEADER_COUNT)


MAX_HEAD_BYTES = 1 << 20   # a response head longer than this is refused


def read_response_head(sock, max_bytes=MAX_HEAD_BYTES):
    """Receive one HTTP response head (status line and headers, through the blank
    line) and nothing after it: the data is peeked first (MSG_PEEK), then exactly the
    head's bytes are received.

    :param sock: a connected (green) socket.
    :returns: bytes ending in ``\r\n\r\n``.
    :raises http.client.RemoteDisconnected: when the peer closes first.
    :raises http.client.HTTPException: when the head exceeds ``max_bytes``.
    """
    data = b''
    while True:
        peeked = sock.recv(65536, socket.MSG_PEEK)
        if not peeked:
            raise http.client.RemoteDisconnected(
                'Remote end closed connection without response')
        combined = data + peeked
        end = combined.find(b'\r\n\r\n', max(0, len(data) - 3))
        wanted = (end + 4 - len(data)) if end >= 0 else len(peeked)
        data += _recv_exactly(sock, wanted)
        if end >= 0:
            return data
        if len(data) > max_bytes:
            raise http.client.HTTPException('response head over %d bytes' % max_bytes)


def _recv_exactly(sock, size):
    parts = []
    while size > 0:
        chunk = sock.recv(size)
        if not chunk:
            raise http.client.RemoteDisconnected('connection closed mid-head')
        parts.append(chunk)
        size -= len(chunk)
    return b''.join(parts)


class MalformedHeader(http.client.HTTPException):
    """A header block a server must refuse (RFC 7230 3.2.4, 3.3.2, 5.4): a line
    without a colon, whitespace before the colon, an obsolete folded line,
    Content-Length headers that disagree or are not digits, several Host headers."""


def parse_headers(fp, strict=False):
    """Read a header block (through the blank line) from ``fp`` into an
    ``http.client.HTTPMessage``, as ``http.client.parse_headers`` does, without the
    email package's feed parser (about 30 us of a backend response's CPU).

    Simple ``Name: value`` lines are stored as the feed parser would store them; a
    block with anything else (folded lines, a line without a colon) goes to
    ``http.client.parse_headers`` unchanged, or, with ``strict`` (a server reading a
    request), is refused.

    :param fp: a binary file object positioned after the status line.
    :param strict: raise :class:`MalformedHeader` for what RFC 7230 says a server must
        reject (see the class), instead of parsing it leniently.
    :returns: ``http.client.HTTPMessage``.
    :raises http.client.LineTooLong: a line over 64 KiB.
    :raises http.client.HTTPException: more than ``http.client._MAXHEADERS`` headers.
    :raises MalformedHeader: with ``strict``, see above.
    """
    lines = []
    while True:
        line = fp.readline(http.client._MAXLINE + 1)
        if len(line) > http.client._MAXLINE:
            raise http.client.LineTooLong('header line')
        if line in (b'\r\n', b'\n', b''):
            break
        lines.append(line)
        if len(lines) > http.client._MAXHEADERS:
            raise http.client.HTTPException(
                'got more than %d headers' % http.client._MAXHEADERS)
    message = http.client.HTTPMessage()
    for line in lines:
        name, colon, value = line.decode('iso-8859-1').partition(':')
        if not (colon and name and name.isascii() and name.isprintable()) or ' ' in name \
                or '\t' in name:
            if strict:
                raise MalformedHeader('Malformed header line: %s' % line[:64].decode(
                    'iso-8859-1').rstrip('\r\n'))
            return http.client.parse_headers(io.BytesIO(b''.join(lines) + b'\r\n'))
        message[name] = value.lstrip(' \t').rstrip('\r\n')
    if strict:
        lengths = {v.strip() for v in message.get_all('Content-Length') or ()}
        if len(lengths) > 1:
            raise MalformedHeader('Conflicting Content-Length headers')
        if lengths and not all(v.isascii() and v.isdigit() for v in lengths):
            raise MalformedHeader('Invalid Content-Length')   # 1*DIGIT: no sign
        if len(message.get_all('Host') or ()) > 1:
            raise MalformedHeader('More than one Host header')
    return message


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that returns ``prefix`` first, then reads ``raw``."""

    def __init__(self, prefix, raw):
        super().__init__()
        self._prefix = prefix
        self._raw = raw

    def readable(self):
        return True

    def readinto(self, buf):
        if self._prefix:
            count = min(len(buf), len(self._prefix))
            buf[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        return self._raw.readinto(buf)

    def close(self):
        if not self.closed:
            self._raw.close()
        super().close()


def ip_literal_family(host):
    """AF_INET / AF_INET6 when ``host`` is an IP address literal, else None."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return family
        except (OSError, TypeError, ValueError):
            continue
    return None


class BufferedHTTPResponse(http.client.HTTPResponse):
    """An HTTPResponse that can also read an interim ``100 Continue``.

    After :meth:`expect_response`, ``status`` is either 100 (the server wants the body;
    the final response comes later from ``getresponse()``) or the server's final status,
    in which case this object *is* the final response and its body can be read.
    """

    def __init__(self, sock, debuglevel=0, method=None, url=None):
        super().__init__(sock, debuglevel=debuglevel, method=method, url=url)
        self._real_socket = sock

    def expect_response(self):
        """Read the status line and headers of the first response to arrive.

        Consumes exactly that response head (see :func:`read_response_head`), so no
        byte of a later response is lost, in two or three system calls rather than
        one per byte.

        :raises http.client.HTTPException: on a malformed or closed response.
        :raises OSError: when the socket fails.
        """
        if self.fp:
            self.fp.close()
        head = read_response_head(self._real_socket)
        if head.split(b' ', 2)[1:2] == [b'100']:
            self.fp = io.BytesIO(head)
            version, status, reason = self._read_status()
            self.status = status
            self.reason = reason.strip()
            self.version = 11
            self.headers = self.msg = parse_headers(self.fp)
        else:
            # An early final answer: parse it (and its body) as the real response.
            self.fp = io.BufferedReader(_PrefixedRaw(
                head, self._real_socket.makefile('rb', 0)))
            self.begin()

    def begin(self):
        """Read the status line (skipping interim 100 responses) and the headers, and
        work out how the body is framed: ``http.client.HTTPResponse.begin`` with the
        headers read by :func:`parse_headers`.

        :raises http.client.HTTPException: malformed status line or headers.
        """
        if self.headers is not None:
            return  # already begun
        while True:
            version, status, reason = self._read_status()
            if status != HTTP_CONTINUE:
                break
            parse_headers(self.fp)  # an interim response's headers
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ('HTTP/1.0', 'HTTP/0.9'):
            self.version = 10
        elif version.startswith('HTTP/1.'):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = parse_headers(self.fp)
        self._frame_body(status)

    def _frame_body(self, status):
        transfer_encoding = self.headers.get('transfer-encoding')
        self.chunked = bool(transfer_encoding) and transfer_encoding.lower() == 'chunked'
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get('content-length')
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if status in (204, 304) or 100 <= status < 200 or self._method == 'HEAD':
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True

    def close(self):
        """Close the body stream. The socket itself closes once its connection and
        every stream over it are closed (an interim 100 response may be dropped or
        garbage-collected without harming the connection)."""
        super().close()
        self._real_socket = None


class BufferedHTTPConnection(http.client.HTTPConnection):
    """HTTPConnection over a green socket, with :meth:`getexpect` and chunk helpers.

    Attributes set for logging: ``_method``, ``_path`` (what was requested) and
    ``host`` / ``port``.
    """

    response_class = BufferedHTTPResponse

    def connect(self):
        """Open a green TCP connection (blocking only the calling greenthread).

        Ring devices are IP literals: those connect directly, without the green
        resolver's getaddrinfo (a measurable share of a proxy's per-request CPU).
        """
        family = ip_literal_family(self.host)
        if family is None or self.source_address:
            self.sock = concurrency.green_socket.create_connection(
                (self.host, self.port), self.timeout, self.source_address)
        else:
            sock = concurrency.green_socket.socket(family, socket.SOCK_STREAM)
            try:
                if self.timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(self.timeout)
                sock.connect((self.host, self.port))
            except BaseException:
                sock.close()
                raise
            self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def putrequest(self, method, url, skip_host=False, skip_accept_encoding=True):
        """Start a request; ``url`` must already be quoted (ASCII)."""
        self._method = method
        self._path = url
        return super().putrequest(method, url, skip_host=skip_host,
                                  skip_accept_encoding=skip_accept_encoding)

    def getexpect(self):
        """Read the server's answer to ``Expect: 100-continue``.

        :returns: a :class:`BufferedHTTPResponse` whose ``status`` is 100 (send the body,
            then call ``getresponse()``) or a final status (do not send the body; read
            this response instead).
        """
        response = self.response_class(self.sock, method=self._method)
        response.expect_response()
        return response

    def send_chunk(self, data):
        """Send ``data`` (bytes) as one HTTP/1.1 chunk; empty data sends nothing (use
        :meth:`send_last_chunk` to finish)."""
        if data:
            self.send(b'%x\r\n%s\r\n' % (len(data), data))

    def send_last_chunk(self):
        """Send the closing chunk ``0\\r\\n\\r\\n`` of a chunked body."""
        self.send(b'0\r\n\r\n')


class BufferedHTTPSConnection(BufferedHTTPConnection):
    """The TLS variant (rarely used between Swift servers; certificate not verified,
    as Swift's internal connections do not verify either)."""

    default_port = 443

    def connect(self):
        super().connect()
        context = ssl_module.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def _path_bytes(value):
    """Bytes of a path piece: WSGI strings (latin-1 of UTF-8) map back to their bytes;
    native strings holding code points above 255 are UTF-8 encoded."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, int):
        return b'%d' % value
    try:
        return value.encode('latin-1')
    except UnicodeEncodeError:
        return value.encode('utf-8')


def quote_backend_path(device, partition, path):
    """Build Swift's backend request path ``/<device>/<partition><path>``, URL-quoted.

    :param device: device name (str or bytes).
    :param partition: partition (int, str or bytes).
    :param path: ``/<account>[/<container>[/<object>]]`` or ``''`` (WSGI str or bytes).
    :returns: the quoted path as an ASCII str (``/`` kept).
    """
    raw = (b'/' + _path_bytes(device) + b'/' + _path_bytes(partition)
           + _path_bytes(path or b''))
    return quote(raw)


def http_connect(ipaddr, port, device, partition, method, path, headers=None,
                 query_string=None, ssl=False):
    """Open a connection to a storage server and send a request's headers.

    :param ipaddr: server IP (IPv6 allowed, with or without brackets).
    :param port: server port.
    :param device: device name, e.g. ``sdb1``.
    :param partition: partition number.
    :param method: HTTP method, e.g. ``PUT``.
    :param path: ``/<account>[/<container>[/<object>]]`` (WSGI str or bytes, unquoted).
    :param headers: mapping of header name -> value (values str/int/bytes).
    :param query_string: raw query string (without ``?``), appended as is.
    :param ssl: use TLS.
    :returns: :class:`BufferedHTTPConnection` with the headers sent; the caller sends
        any body, then calls ``getexpect()`` / ``getresponse()``.
    :raises OSError: when the server cannot be reached (wrap in a ConnectionTimeout).
    """
    quoted = quote_backend_path(device, partition, path)
    return http_connect_raw(ipaddr, port, method, quoted, headers, query_string, ssl)


def http_connect_raw(ipaddr, port, method, path, headers=None, query_string=None,
                     ssl=False):
    """Like :func:`http_connect` but ``path`` is used as given (already quoted).

    :returns: :class:`BufferedHTTPConnection` with the headers sent.
    :raises OSError: when the server cannot be reached.
    """
    if not port:
        port = 443 if ssl else 80
    host = str(ipaddr)
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    conn_class = BufferedHTTPSConnection if ssl else BufferedHTTPConnection
    conn = conn_class('%s:%s' % (host, port))
    if query_string:
        path += '?' + query_string
    send_request_head(conn, method, path, headers)
    return conn


def send_request_head(conn, method, path, headers=None):
    """Send a request line and headers on ``conn`` (new, or kept alive after its
    previous response was read in full).

    :param path: quoted path (plus ``?query``), used as given.
    :param headers: mapping of header name -> value (values str/int/bytes).
    :raises OSError, http.client.HTTPException: when the connection fails.
    """
    conn.path = path
    skip_host = bool(headers) and any(k.lower() == 'host' for k in headers)
    conn.putrequest(method, path, skip_host=skip_host)
    if headers:
        for header, value in headers.items():
            if isinstance(value, bytes):
                value = value.decode('latin-1')
            conn.putheader(header, str(value))
    conn.endheaders()
