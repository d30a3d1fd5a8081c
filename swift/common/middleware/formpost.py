# Browser form uploads (Swift's formpost): a ``POST`` of ``multipart/form-data`` to
# ``/v1/<a>/<c>[/<prefix>]`` stores each file field as the object
# ``<path>[/]<filename>``, when the form's ``signature`` field is an HMAC, under one of
# the account's or container's Temp-URL keys, of
#       ``<path>\n<redirect>\n<max_file_size>\n<max_file_count>\n<expires>``
# Rules (Swift 2.38):
#   * Fields: ``redirect`` (optional), ``max_file_size`` (bytes per file),
#     ``max_file_count``, ``expires`` (epoch seconds), ``signature`` (hex 40/64/128
#     chars or ``<digest>:<base64>``, digest in ``allowed_digests``), optional
#     ``x_delete_at``/``x_delete_after`` and ``content-type``/``content-encoding``
#     (else the file part's own headers). Fields must come before the files they
#     govern; each value is read up to MAX_VALUE_LENGTH bytes.
#   * Each file is PUT as a pre-authorized subrequest (chunked, capped at
#     max_file_size); the first failure stops the upload (earlier files stay).
#   * Answers: without ``redirect``, the status of the last upload as a text/plain
#     body (``201 Created``), or ``400 Bad Request\r\nFormPost: <Message>``; with
#     ``redirect``, ``303 See Other`` to ``<redirect>?status=<code>&message=<msg>``.
#     Bad signature/no key -> 401 ``FormPost: Invalid Signature``; past expiry -> 401
#     ``FormPost: Form Expired``; non-integer fields / oversize file -> 400
#     ``FormPost: <detail>``; a broken multipart body -> 400
#     ``FormPost: invalid starting boundary``.
# Multipart parsing follows RFC 7578 / RFC 2046 section 5.1.1 (boundary delimiter
# lines ``--<boundary>``, the closing one ``--<boundary>--``).
"""formpost middleware."""

import hashlib
import hmac
import html
import re
import time
import urllib.parse

from swift.common.logs import get_logger
from swift.common.middleware.tempurl import (DEFAULT_ALLOWED_DIGESTS, auth_realm,
                                             extract_digest_and_algorithm,
                                             get_allowed_digests,
                                             get_tempurl_keys_from_metadata)
from swift.common.request_helpers import close_if_possible, make_env
from swift.common.swob import (HTTPUnauthorized, split_path_or_none, str_to_wsgi,
                               wsgi_to_str)
from swift.common.listing import parse_content_type
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_account_info, get_container_info

READ_CHUNK_SIZE = 4096        # bytes read from the form at a time
MAX_VALUE_LENGTH = 4096       # bytes of a field value kept; the rest is dropped
MAX_PART_HEADER_BYTES = 8192  # a part's header block longer than this is refused
# name="value" / name=value attributes of a Content-Disposition header (Swift's regex)
ATTRIBUTES_RE = re.compile(r'(\w+)=(".*?"|[^";]+)(; ?|$)')


class FormError(Exception):
    """A form the middleware refuses; the text is the client's message."""


class FormInvalid(FormError):
    """The client sent a malformed form (400 ``FormPost: <message>``)."""


class MimeInvalid(FormInvalid):
    """The body does not start with the boundary the Content-Type announced."""


class MimeTruncated(FormInvalid, ValueError):
    """The body ended inside a part. A ValueError too, so that the proxy reading a
    file's PUT body treats it as a client read error and stores nothing."""


class ClientReadError(MimeTruncated):
    """Reading the form failed (client_timeout passed, or the client went away):
    408, and nothing of the file being read is stored."""


class FileSizeExceeded(ValueError):
    """A file field grew past max_file_size (raised from the capped reader, which the
    proxy treats as a client read error; turned into 400 afterwards)."""


class FormUnauthorized(FormError):
    """Bad signature, no key, or an expired form (401 ``FormPost: <Message>``)."""


# ---------------------------------------------------------------- multipart reading

class MimeDocument:
    """One part of a multipart body: a file-like ``read(size)`` that stops at the
    next boundary delimiter.

    :param source: file-like with ``read(size)`` (the request body).
    :param delimiter: ``b'\\r\\n--' + boundary``.
    :param buffer: bytes already read from ``source`` after the previous delimiter.
    :ivar last: True once the closing delimiter (``--`` after it) was seen.
    :ivar rest: bytes read past this part's end (the next part's start).
    :raises MimeTruncated: from ``read`` when the body ends before the delimiter.
    """

    def __init__(self, source, delimiter, buffer):
        self.source = source
        self.delimiter = delimiter
        self.buffer = buffer
        self.finished = False
        self.last = False
        self.rest = b''

    def _fill(self, wanted):
        while len(self.buffer) < wanted:
            try:
                chunk = self.source.read(READ_CHUNK_SIZE)
            except OSError as err:   # socket time-out (client_timeout) or reset
                raise ClientReadError('client read error: %s' % (
                    err or type(err).__name__))
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def read(self, size=READ_CHUNK_SIZE):
        """Up to ``size`` bytes of the part (b'' at its end)."""
        if self.finished:
            return b''
        if size is None or size < 0:
            size = READ_CHUNK_SIZE
        # enough bytes to see a delimiter starting anywhere in the next ``size``,
        # plus the two bytes after it (``--`` or ``\r\n``)
        complete = self._fill(size + len(self.delimiter) + 2)
        position = self.buffer.find(self.delimiter)
        if position == -1 or position > size:
            if not complete and position == -1:
                # the body ended inside a part: never store a truncated file
                self.finished = True
                raise MimeTruncated('premature end of form body')
            data, self.buffer = self.buffer[:size], self.buffer[size:]
            return data
        data = self.buffer[:position]
        after = self.buffer[position + len(self.delimiter):]
        self.finished = True
        self.last = after.startswith(b'--')
        self.rest = after[2:]
        self.buffer = b''
        return data

    def readline(self, limit=MAX_PART_HEADER_BYTES):
        """One line of the part including its ``\\n`` (at most ``limit`` bytes;
        b'' at the part's end)."""
        if self.finished:
            return b''
        self._fill(limit + len(self.delimiter) + 2)
        position = self.buffer.find(self.delimiter)
        end = min(limit, len(self.buffer) if position == -1 else position)
        newline = self.buffer.find(b'\n', 0, end)
        return self.read(newline + 1 if newline != -1 else end)


def _read_exact(source, size):
    data = b''
    while len(data) < size:
        chunk = source.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def iter_mime_documents(source, boundary: bytes):
    """The parts of a multipart body.

    :param source: file-like body; :param boundary: bytes (from the Content-Type).
    :raises MimeInvalid: when the body does not start with ``--<boundary>``.
    :yields: :class:`MimeDocument` per part (the caller may stop reading a part
        early: the rest of it is skipped).
    """
    opening = b'--' + boundary
    head = _read_exact(source, len(opening) + 2)
    while head.startswith(b'\r\n'):   # blank preamble lines
        head = head[2:] + _read_exact(source, 2)
    if not head.startswith(opening):
        raise MimeInvalid('invalid starting boundary')
    line = head[len(opening):]
    if line.startswith(b'--'):
        return                          # an empty form: closing delimiter only
    while not line.endswith(b'\n') and len(line) < 1024:
        chunk = _read_exact(source, 1)
        if not chunk:
            break
        line += chunk
    if line.strip():                    # only transport padding may follow it
        raise MimeInvalid('invalid starting boundary')
    delimiter = b'\r\n' + opening
    buffer = b''
    while True:
        document = MimeDocument(source, delimiter, buffer)
        yield document
        while document.read(READ_CHUNK_SIZE):
            pass
        if document.last:
            return
        buffer = document.rest


def parse_part_headers(document) -> dict:
    """The headers of one part as a lower-case-name dict of native strs.

    :raises FormInvalid: for a header block longer than MAX_PART_HEADER_BYTES.
    """
    headers = {}
    total = 0
    while True:
        line = document.readline()
        total += len(line)
        if total > MAX_PART_HEADER_BYTES:
            raise FormInvalid('form part headers too long')
        if line in (b'\r\n', b'\n', b''):
            return headers
        name, _, value = line.decode('utf-8', 'surrogateescape').partition(':')
        headers[name.strip().lower()] = value.strip()


def parse_content_disposition(header: str) -> tuple:
    """``'form-data; name="a"; filename="b"'`` -> ``('form-data', {'name': 'a',
    'filename': 'b'})`` (Swift's parse_content_disposition)."""
    attributes = {}
    attrs = ''
    if ';' in header:
        header, attrs = [part.strip() for part in header.split(';', 1)]
    match = True
    while match:
        match = ATTRIBUTES_RE.match(attrs)
        if match:
            attrs = attrs[len(match.group(0)):]
            attributes[match.group(1)] = match.group(2).strip('"')
    return header, attributes


# ---------------------------------------------------------------- the middleware

class CappedReader:
    """``wsgi.input`` of one file's PUT: the part, refused past ``max_size`` bytes.

    :ivar exceeded: True once more than ``max_size`` bytes were read.
    :ivar truncated: True when the form body ended inside the file.
    :raises FileSizeExceeded: from ``read`` at that point.
    :raises MimeTruncated: from ``read`` on a truncated body.
    """

    def __init__(self, document, max_size):
        self.document = document
        self.max_size = max_size
        self.amount_read = 0
        self.exceeded = False
        self.truncated = False

    def read(self, size=None):
        """Up to ``size`` bytes of the file (all of the rest when None or < 0)."""
        if size is None or size < 0:
            chunks = []
            chunk = self.read(READ_CHUNK_SIZE)
            while chunk:
                chunks.append(chunk)
                chunk = self.read(READ_CHUNK_SIZE)
            return b''.join(chunks)
        try:
            data = self.document.read(size or READ_CHUNK_SIZE)
        except MimeTruncated:
            self.truncated = True
            raise
        self.amount_read += len(data)
        if self.amount_read > self.max_size:
            self.exceeded = True
            raise FileSizeExceeded('max_file_size exceeded')
        return data

    def readline(self, size=-1):
        """Lines are only asked for by odd consumers; plain reads serve them."""
        return self.read(size)


def _int_field(attributes, name, error):
    try:
        return int(attributes.get(name) or 0)
    except ValueError:
        raise FormInvalid(error)


class FormPost:
    """WSGI filter; see the module doc.

    :param app: the next WSGI app (the rest of the proxy pipeline).
    :param conf: paste conf dict (``allowed_digests``).
    :param logger: injectable logger; :param clock: object with ``time()``.
    """

    def __init__(self, app, conf, logger=None, clock=None):
        self.app = app
        self.logger = logger or get_logger(conf, log_route='formpost')
        self.clock = clock or time
        allowed, deprecated = get_allowed_digests(
            str(conf.get('allowed_digests', DEFAULT_ALLOWED_DIGESTS)).split(),
            self.logger)
        self.allowed_digests = allowed
        info = {'allowed_digests': sorted(allowed)}
        if deprecated:
            info['deprecated_digests'] = sorted(deprecated)
        register_swift_info(app, 'formpost', **info)

    def __call__(self, env, start_response):
        if env.get('REQUEST_METHOD') != 'POST':
            return self.app(env, start_response)
        content_type, params = parse_content_type(env.get('CONTENT_TYPE') or '')
        boundary = dict(params).get('boundary', '').strip('"')
        if content_type.strip().lower() != 'multipart/form-data' or not boundary:
            return self.app(env, start_response)
        if split_path_or_none(env.get('PATH_INFO', ''), 3, 4, True) is None:
            return self.app(env, start_response)   # not a container or prefix path
        user_agent = '%s FormPost' % env.get('HTTP_USER_AGENT', '')
        env['HTTP_USER_AGENT'] = user_agent.strip()
        try:
            status, headers, body = self._translate_form(
                env, boundary.encode('latin-1'))
        except FormUnauthorized as err:
            return HTTPUnauthorized(body=('FormPost: %s' % str(err).title()).encode(
                'utf-8'), headers={'Www-Authenticate': 'Swift realm="%s"' % auth_realm(env)}
            )(env, start_response)
        except ClientReadError as err:
            body = ('FormPost: %s' % err).encode('utf-8')
            status, headers = '408 Request Timeout', [
                ('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))]
        except FormInvalid as err:
            body = ('FormPost: %s' % err).encode('utf-8')
            status, headers = '400 Bad Request', [
                ('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))]
        start_response(status, headers)
        return [body]

    def _translate_form(self, env, boundary):
        """Read the form, upload its files; (status, headers, body) to answer."""
        keys = self._get_keys(env)
        status = message = ''
        attributes = {}
        subheaders = []
        resp_body = b''
        file_count = 0
        for document in iter_mime_documents(env['wsgi.input'], boundary):
            part_headers = parse_part_headers(document)
            disposition, attrs = parse_content_disposition(
                part_headers.get('content-disposition', ''))
            if disposition == 'form-data' and attrs.get('filename'):
                file_count += 1
                max_count = _int_field(attributes, 'max_file_count',
                                       'max_file_count not an integer')
                if file_count > max_count:
                    status, message = '400 Bad Request', 'max file count exceeded'
                    break
                file_attributes = dict(attributes)
                file_attributes.update(attrs)
                for name in ('content-type', 'content-encoding'):
                    if name not in attributes and name in part_headers:
                        file_attributes[name] = part_headers[name]
                status, subheaders, resp_body = self._perform_subrequest(
                    env, file_attributes, document, keys)
                if not status.startswith('2'):
                    break
            elif 'name' in attrs:
                attributes[attrs['name'].lower()] = _read_value(document, attrs['name'])
        if not status:
            status, message = '400 Bad Request', 'no files to process'
        return self._answer(status, message, attributes.get('redirect'), subheaders,
                            resp_body)

    @staticmethod
    def _answer(status, message, redirect, subheaders, resp_body):
        status_code = int(status.split(' ', 1)[0])
        headers = [(k, v) for k, v in subheaders or []
                   if k.lower().startswith('access-control')]
        if not redirect:
            body = status
            if message:
                body = '%s\r\nFormPost: %s' % (status, message.title())
            body = body.encode('utf-8')
            if status_code // 100 != 2 and resp_body:
                body = resp_body
            headers += [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))]
            return status, headers, body
        redirect += '&' if '?' in redirect else '?'
        redirect += 'status=%s&message=%s' % (urllib.parse.quote(str(status_code)),
                                              urllib.parse.quote(message))
        body = ('<html><body><p><a href="%s">Click to continue...</a></p></body></html>'
                % html.escape(redirect, quote=True)).encode('utf-8')
        headers += [('Location', str_to_wsgi(redirect)),
                    ('Content-Length', str(len(body)))]
        return '303 See Other', headers, body

    def _check_signature(self, env, attributes, keys):
        """:raises FormUnauthorized: expired form, bad/unknown signature, no keys."""
        if not keys:
            raise FormUnauthorized('invalid signature')
        expires = _int_field(attributes, 'expires', 'expired not an integer')
        if expires < self.clock.time():
            raise FormUnauthorized('form expired')
        message = '%s\n%s\n%s\n%s\n%s' % (
            wsgi_to_str(env['PATH_INFO']), attributes.get('redirect') or '',
            attributes.get('max_file_size') or '0',
            attributes.get('max_file_count') or '0', attributes.get('expires') or '0')
        try:
            digest, signature = extract_digest_and_algorithm(
                attributes.get('signature', ''))
        except ValueError:
            raise FormUnauthorized('invalid signature')
        if digest not in self.allowed_digests:
            raise FormUnauthorized('invalid signature')
        valid = False
        for key in keys:
            expected = hmac.new(key.encode('utf-8'), message.encode('utf-8',
                                'surrogateescape'), getattr(hashlib, digest))
            if hmac.compare_digest(expected.hexdigest().encode('ascii'),
                                   signature.encode('ascii')):
                valid = True
        if not valid:
            raise FormUnauthorized('invalid signature')

    def _subrequest_env(self, env, attributes, document):
        max_size = _int_field(attributes, 'max_file_size',
                              'max_file_size not an integer')
        subenv = make_env(env, 'PUT', agent=None, swift_source='FP')
        subenv.update({'swift.authorize': lambda req: None,
                       'swift.authorize_override': True,
                       'REMOTE_USER': '.wsgi.pre_authed',
                       'HTTP_TRANSFER_ENCODING': 'chunked',
                       'wsgi.input': CappedReader(document, max_size)})
        if 'HTTP_ORIGIN' in env:
            subenv['HTTP_ORIGIN'] = env['HTTP_ORIGIN']
        path = subenv['PATH_INFO']
        if not path.endswith('/') and path.count('/') < 4:
            path += '/'
        subenv['PATH_INFO'] = path + str_to_wsgi(attributes['filename'] or 'filename')
        if 'x_delete_at' in attributes:
            subenv['HTTP_X_DELETE_AT'] = str(_int_field(
                attributes, 'x_delete_at',
                'x_delete_at not an integer: Unix timestamp required.'))
        if 'x_delete_after' in attributes:
            subenv['HTTP_X_DELETE_AFTER'] = str(_int_field(
                attributes, 'x_delete_after',
                'x_delete_after not an integer: Number of seconds required.'))
        if 'content-type' in attributes:
            subenv['CONTENT_TYPE'] = str_to_wsgi(
                attributes['content-type'] or 'application/octet-stream')
        if 'content-encoding' in attributes:
            subenv['HTTP_CONTENT_ENCODING'] = str_to_wsgi(attributes['content-encoding'])
        return subenv

    def _perform_subrequest(self, env, attributes, document, keys):
        """PUT one file; (status str, headers list, body bytes) of the answer.

        :raises FormInvalid: bad integer fields or a file over max_file_size.
        :raises FormUnauthorized: see :meth:`_check_signature`.
        """
        if not keys:
            raise FormUnauthorized('invalid signature')
        subenv = self._subrequest_env(env, attributes, document)
        self._check_signature(env, attributes, keys)
        reader = subenv['wsgi.input']
        captured = {}

        def sub_start_response(status, headers, exc_info=None):
            captured['status'], captured['headers'] = status, headers

        try:
            app_iter = self.app(subenv, sub_start_response)
            try:
                body = b''.join(app_iter)
            finally:
                close_if_possible(app_iter)
        except FileSizeExceeded:
            # an app below that does not turn read errors into a 499 itself
            raise FormInvalid('max_file_size exceeded')
        if reader.truncated:
            raise MimeTruncated('premature end of form body')
        if reader.exceeded:
            raise FormInvalid('max_file_size exceeded')
        return captured.get('status', '500 Internal Error'), \
            captured.get('headers', []), body

    def _get_keys(self, env):
        """The account's then the container's Temp-URL keys."""
        account_info = get_account_info(env, self.app, swift_source='FP')
        container_info = get_container_info(env, self.app, swift_source='FP')
        return (get_tempurl_keys_from_metadata(account_info.get('meta')) +
                get_tempurl_keys_from_metadata(container_info.get('meta')))


def _read_value(document, name):
    """A field's value: at most MAX_VALUE_LENGTH bytes as str, trailing CR, LF and
    '-' stripped (Swift's rule); the rest of the part is skipped.

    :raises FormInvalid: when the value is not UTF-8.
    """
    data = b''
    while len(data) < MAX_VALUE_LENGTH:
        chunk = document.read(MAX_VALUE_LENGTH - len(data))
        if not chunk:
            break
        data += chunk
    while document.read(READ_CHUNK_SIZE):
        pass
    try:
        return data.decode('utf-8').rstrip('\r\n-')
    except UnicodeDecodeError:
        raise FormInvalid('%s not valid UTF-8' % name)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#formpost``).

    :raises ConfigError: at load time for an ``allowed_digests`` with no valid name.
    """
    conf = dict(global_conf)
    conf.update(local_conf)
    logger = get_logger(conf, log_route='formpost')
    get_allowed_digests(str(conf.get('allowed_digests', DEFAULT_ALLOWED_DIGESTS)).split())
    return lambda app: FormPost(app, conf, logger=logger)
