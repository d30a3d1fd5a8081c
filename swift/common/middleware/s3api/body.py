# Request bodies that S3 clients sign (Swift's s3api HashingInput / StreamingInput).
#   * HashingInput: hashes the body as the proxy reads it; when the declared length has
#     been read (or EOF), a sha256 different from x-amz-content-sha256 raises
#     BodyMismatch *instead of* handing out the last bytes, so the proxy never
#     completes the PUT (it answers 499, see ObjectController._send_body) and nothing is
#     stored; s3api then answers XAmzContentSHA256Mismatch.
#   * AwsChunkedInput: decodes ``Content-Encoding: aws-chunked`` bodies
#     (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): ``<hex size>;chunk-signature=<sig>\r\n
#     <data>\r\n`` ... ``0;chunk-signature=<sig>\r\n\r\n``; every chunk's signature
#     is checked (signing.chunk_string_to_sign) with the key the authentication
#     derived; a bad signature or framing raises BodyMismatch / BadChunk likewise.
#   * The same class decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies (what boto3
#     sends over TLS): chunks without signatures, and after the final ``0\r\n`` the
#     trailer named by x-amz-trailer (``x-amz-checksum-crc32|sha1|sha256:<base64>``),
#     checked against the decoded bytes; other checksum algorithms are refused.
"""Verifying readers for signed request bodies."""

import base64
import hashlib
import zlib

from swift.common.middleware.s3api import signing

CHUNK_HEADER_BYTES_MAX = 4096        # a chunk header line longer than this is garbage
CHUNK_BYTES_MAX = 16 * 1024 * 1024   # AWS clients use 64 KiB; be generous


class BodyError(ValueError):
    """The signed body is not what was signed (a ValueError so the proxy treats it as a
    client read error and stores nothing)."""

    def __init__(self, message, s3_code):
        super().__init__(message)
        self.s3_code = s3_code


class HashingInput:
    """Reads ``length`` bytes (None: to EOF) of ``wsgi_input``, checking the sha256.

    :param wsgi_input: the client's body file.
    :param length: declared length in bytes, or None.
    :param expected_sha256: lower-case hex digest the client signed.
    """

    def __init__(self, wsgi_input, length, expected_sha256):
        self.wsgi_input = wsgi_input
        self.remaining = length
        self.expected = expected_sha256.lower()
        self.hasher = hashlib.sha256()
        self.failed = None

    def read(self, size=-1):
        if self.remaining is not None:
            size = self.remaining if size is None or size < 0 else min(size,
                                                                       self.remaining)
            data = self.wsgi_input.read(size) if size else b''
            self.remaining -= len(data)
            done = self.remaining <= 0 or not data
        else:
            data = self.wsgi_input.read(size)
            done = not data or size is None or size < 0
        self.hasher.update(data)
        if done and self.hasher.hexdigest() != self.expected:
            self.failed = BodyError('x-amz-content-sha256 mismatch',
                                    'XAmzContentSHA256Mismatch')
            raise self.failed
        return data

    def close(self):
        close = getattr(self.wsgi_input, 'close', None)
        if close:
            close()


class _Crc32:
    def __init__(self):
        self.value = 0

    def update(self, data):
        self.value = zlib.crc32(data, self.value)

    def digest(self):
        return self.value.to_bytes(4, 'big')


# x-amz-trailer names whose checksum this server can verify
TRAILER_CHECKSUMS = {'x-amz-checksum-crc32': _Crc32,
                     'x-amz-checksum-sha1': hashlib.sha1,
                     'x-amz-checksum-sha256': hashlib.sha256}


class AwsChunkedInput:
    """Decodes an aws-chunked body, verifying each chunk signature (or, unsigned, the
    trailing checksum).

    :param wsgi_input: the client's body file.
    :param decoded_length: x-amz-decoded-content-length (bytes).
    :param signer: ``signer(previous_signature, chunk) -> expected signature``, or a
        callable returning None when no key is known yet (then chunks are not checked);
        None for unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
    :param seed_signature: the request's own signature (the first chunk's previous).
    :param trailer: the x-amz-trailer header name (lower case), or None.
    :raises BodyError: at construction for a trailer whose checksum cannot be checked.
    """

    def __init__(self, wsgi_input, decoded_length, signer, seed_signature,
                 trailer=None):
        self.wsgi_input = wsgi_input
        self.remaining = decoded_length
        self.signer = signer
        self.previous = seed_signature
        self.buffer = b''
        self.finished = False
        self.failed = None
        self.trailer = trailer
        self.checksum = None
        if trailer is not None:
            if trailer not in TRAILER_CHECKSUMS:
                raise BodyError('unsupported trailer %s' % trailer, 'InvalidRequest')
            self.checksum = TRAILER_CHECKSUMS[trailer]()

    def _fail(self, message, code='SignatureDoesNotMatch'):
        self.failed = BodyError(message, code)
        raise self.failed

    def _read_line(self):
        line = self.wsgi_input.readline(CHUNK_HEADER_BYTES_MAX)
        if not line.endswith(b'\r\n'):
            self._fail('bad aws-chunked framing', 'IncompleteBody')
        return line[:-2]

    def _next_chunk(self):
        header = self._read_line()
        size_text, _sep, ext = header.partition(b';')
        try:
            size = int(size_text, 16)
        except ValueError:
            self._fail('bad aws-chunked size', 'IncompleteBody')
        if size > CHUNK_BYTES_MAX:
            self._fail('aws-chunked chunk too big', 'IncompleteBody')
        data = self.wsgi_input.read(size) if size else b''
        if len(data) != size:
            self._fail('short aws-chunked chunk', 'IncompleteBody')
        if size == 0 and self.trailer is not None:
            self._check_trailer()
        elif self._read_line() != b'':
            self._fail('short aws-chunked chunk', 'IncompleteBody')
        if self.signer is not None:
            self._check_chunk_signature(ext, data)
        elif self.checksum is not None:
            self.checksum.update(data)
        if size == 0:
            self.finished = True
            if self.remaining != 0:
                self._fail('x-amz-decoded-content-length mismatch', 'IncompleteBody')
        else:
            self.remaining -= size
            if self.remaining < 0:
                self._fail('x-amz-decoded-content-length mismatch', 'IncompleteBody')
        return data

    def _check_chunk_signature(self, ext, data):
        name, _eq, signature = ext.partition(b'=')
        if name.strip() != b'chunk-signature':
            self._fail('missing chunk-signature', 'IncompleteBody')
        expected = self.signer(self.previous, data)
        signature = signature.decode('latin-1').strip()
        if expected is not None and not signing.signatures_equal(expected, signature):
            self._fail('chunk signature mismatch')
        self.previous = signature

    def _check_trailer(self):
        """Read the trailer lines after the final chunk, through the empty line, and
        compare the announced checksum with the decoded bytes'."""
        trailers = {}
        for _ in range(16):
            line = self._read_line()
            if line == b'':
                break
            name, colon, value = line.decode('latin-1').partition(':')
            if not colon:
                self._fail('bad aws-chunked trailer', 'IncompleteBody')
            trailers[name.strip().lower()] = value.strip()
        else:
            self._fail('too many aws-chunked trailers', 'IncompleteBody')
        given = trailers.get(self.trailer)
        expected = base64.b64encode(self.checksum.digest()).decode('ascii')
        if given is None or given != expected:
            self._fail('%s mismatch' % self.trailer, 'BadDigest')

    def read(self, size=-1):
        while not self.finished and (size is None or size < 0
                                     or len(self.buffer) < size):
            self.buffer += self._next_chunk()
        if self.remaining == 0 and not self.finished:
            self._next_chunk()   # verify the final zero-length chunk too
        if size is None or size < 0:
            size = len(self.buffer)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def close(self):
        close = getattr(self.wsgi_input, 'close', None)
        if close:
            close()
