# Owns the checks on an object PUT's framing and the streaming of its body to disk
# (Swift's check_object_creation / check_delete_headers / _write_to_disk rules):
#   * Content-Length or chunked Transfer-Encoding is required (411); too big -> 413;
#     Content-Type is required (400); X-Delete-After becomes X-Delete-At = ts + after;
#     X-Delete-At must be an integer in the future (400);
#   * each body chunk must arrive within client_timeout, the whole body within
#     max_upload_time (408); a body shorter than its
#     Content-Length means the client went away (499).
"""PUT request validation and body streaming for the object server."""

from swift.common.constraints import ConstraintError, check_name, valid_utf8
from swift.common.exceptions import ChunkReadTimeout
from swift.common.swob import (HTTPBadRequest, HTTPClientDisconnect, HTTPLengthRequired,
                               HTTPRequestEntityTooLarge, HTTPRequestTimeout)
from swift.common.timestamp import Timestamp, normalize_delete_at_timestamp


def _bad(request, text):
    return HTTPBadRequest(request=request, content_type='text/plain',
                          body=text.encode('utf-8'))


def validate_put(request, constraints, clock):
    """Check a PUT's framing, name, Content-Type and expiry headers.

    Rewrites ``X-Delete-After`` into ``X-Delete-At`` (relative to X-Timestamp).

    :returns: the Content-Length (int) or None for a chunked body.
    :raises HTTPException: 400, 411, 413 or 501 with a short text body.
    """
    length = request.message_length()
    if length is not None and length > constraints.max_file_size:
        raise HTTPRequestEntityTooLarge(request=request, content_type='text/plain',
                                        body=b'Your request is too large.')
    if length is None and 'chunked' not in request.headers.get('Transfer-Encoding', ''):
        raise HTTPLengthRequired(request=request, content_type='text/plain',
                                 body=b'Missing Content-Length header.')
    obj = request.path_info.split('/', 5)[-1]
    try:
        check_name(obj, 'object', constraints)
    except ConstraintError as err:
        raise _bad(request, err.body)
    if 'Content-Type' not in request.headers:
        raise _bad(request, 'No content type')
    if not valid_utf8(request.headers['Content-Type']):
        raise _bad(request, 'Invalid Content-Type')
    check_delete_headers(request)
    return length


def check_delete_headers(request):
    """Normalise X-Delete-After/X-Delete-At against the request's X-Timestamp.

    :raises HTTPBadRequest: non-integer or past values.
    """
    now = float(Timestamp(request.headers['X-Timestamp']))
    if 'X-Delete-After' in request.headers:
        try:
            after = int(request.headers['X-Delete-After'])
        except ValueError:
            raise _bad(request, 'Non-integer X-Delete-After')
        delete_at = normalize_delete_at_timestamp(now + after)
        if int(delete_at) <= now:
            raise _bad(request, 'X-Delete-After in past')
        del request.headers['X-Delete-After']
        request.headers['X-Delete-At'] = delete_at
    if 'X-Delete-At' in request.headers:
        try:
            delete_at = int(normalize_delete_at_timestamp(
                int(request.headers['X-Delete-At'])))
        except ValueError:
            raise _bad(request, 'Non-integer X-Delete-At')
        replication = request.headers.get('X-Backend-Replication', 'f').lower() in (
            'true', '1', 'yes', 'on', 't', 'y')
        if delete_at <= now and not replication:
            raise _bad(request, 'X-Delete-At in past')


def read_body(request, writer, length, config, clock=None):
    """Copy the request body into ``writer``.

    :param length: expected bytes, or None (chunked: read to EOF).
    :param config: has ``network_chunk_bytes``, ``client_timeout_s`` and
        ``max_upload_time_s``.
    :param clock: has ``monotonic()``; the whole body must arrive within
        ``max_upload_time_s`` of the start (Swift's max_upload_time). None: no limit.
    :returns: None on success, or an error Response (408, 499).
    :raises swift.obj.errors.DiskFileNoSpace: from the writer.
    """
    body = request.environ['wsgi.input']
    remaining = length
    deadline = None if clock is None else clock.monotonic() + getattr(
        config, 'max_upload_time_s', float('inf'))
    while remaining is None or remaining > 0:
        want = config.network_chunk_bytes if remaining is None else min(
            config.network_chunk_bytes, remaining)
        try:
            with ChunkReadTimeout(config.client_timeout_s):
                chunk = body.read(want)
        except ChunkReadTimeout:
            return HTTPRequestTimeout(request=request)
        except (ValueError, OSError):  # bad chunk framing, client reset
            return HTTPClientDisconnect(request=request)
        if not chunk:
            break
        if deadline is not None and clock.monotonic() > deadline:
            return HTTPRequestTimeout(request=request)  # checked before each write
        writer.write(chunk)
        if remaining is not None:
            remaining -= len(chunk)
    if remaining:
        return HTTPClientDisconnect(request=request)
    return None

