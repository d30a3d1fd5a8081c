# Turning Swift answers into S3 ones (Swift's s3api S3Response): ETags are quoted,
# X-Object-Meta-* become x-amz-meta-*, only the headers S3 defines go out, times are
# in S3's formats (XML: ``2026-11-30T01:52:03.000Z``, rounded up to the second as the
# Last-Modified header is; headers: RFC 7231 dates), and every answer carries
# x-amz-request-id / x-amz-id-2 (the transaction id).
"""S3 response helpers."""

import base64
import datetime
import math

from swift.common.middleware.s3api.xmlutil import to_xml
from swift.common.swob import Response, parse_http_date

S3_ETAG_SYSMETA = 'X-Object-Sysmeta-S3Api-Etag'
UPLOAD_ID_SYSMETA = 'X-Object-Sysmeta-S3Api-Upload-Id'
# response headers of an object that S3 also sends (Swift's s3api list)
PASSED_OBJECT_HEADERS = ('Content-Type', 'Content-Length', 'Content-Range',
                         'Content-Encoding', 'Content-Disposition', 'Content-Language',
                         'Cache-Control', 'Expires', 'Last-Modified', 'Accept-Ranges')
RESPONSE_OVERRIDES = {'response-content-type': 'Content-Type',
                      'response-content-language': 'Content-Language',
                      'response-expires': 'Expires',
                      'response-cache-control': 'Cache-Control',
                      'response-content-disposition': 'Content-Disposition',
                      'response-content-encoding': 'Content-Encoding'}


def xml_time_from_iso(value):
    """Swift listing ``last_modified`` (``2026-11-30T01:52:02.123456``) -> S3 XML time
    (rounded up to the second)."""
    try:
        when = datetime.datetime.strptime(value[:26], '%Y-%m-%dT%H:%M:%S.%f')
    except ValueError:
        try:
            when = datetime.datetime.strptime(value[:19], '%Y-%m-%dT%H:%M:%S')
        except ValueError:
            return '2009-02-03T16:45:09.000Z'
    seconds = when.replace(tzinfo=datetime.timezone.utc).timestamp()
    return xml_time(math.ceil(seconds))


def xml_time(seconds):
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SS.000Z``."""
    when = datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc)
    return when.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def xml_time_from_http(value, default_s):
    """An HTTP date header -> S3 XML time (``default_s`` epoch when missing)."""
    seconds = parse_http_date(value)
    return xml_time(default_s if seconds is None else seconds)


def quoted(etag):
    """``abc`` -> ``"abc"`` (already quoted values stay)."""
    etag = etag or ''
    if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2:
        return etag
    return '"%s"' % etag


def listing_etag(item):
    """The S3 ETag of a Swift listing entry: the ``s3_etag`` parameter of a multipart
    object's hash, else the hash itself (parameters dropped), quoted."""
    etag, _sep, params = (item.get('hash') or '').partition(';')
    for param in params.split(';'):
        key, _eq, value = param.strip().partition('=')
        if key == 's3_etag' and value:
            return quoted(value)
    return quoted(etag.strip())


def object_etag(swift_headers):
    """The S3 ETag of an object answer (multipart objects keep theirs in sysmeta;
    a copy of one is a plain object whose copied sysmeta is not believed)."""
    s3_etag = swift_headers.get(S3_ETAG_SYSMETA)
    if s3_etag and swift_headers.get('X-Static-Large-Object'):
        return quoted(s3_etag)
    return quoted(swift_headers.get('Etag', '').strip('"'))


def object_headers(swift_headers):
    """S3 headers of an object GET/HEAD answer (dict)."""
    headers = {}
    for name in PASSED_OBJECT_HEADERS:
        if swift_headers.get(name) is not None:
            headers[name] = swift_headers[name]
    for name, value in swift_headers.items():
        if name.lower().startswith('x-object-meta-'):
            headers['x-amz-meta-' + name[14:].lower()] = value
    if swift_headers.get('Etag'):
        headers['ETag'] = object_etag(swift_headers)
    return headers


def xml_response(root, status=200, headers=None):
    """A Response with an XML document body."""
    all_headers = {'Content-Type': 'application/xml'}
    all_headers.update(headers or {})
    return Response(status=status, body=to_xml(root), headers=all_headers)


def encode_token(marker):
    """A v2 continuation token for ``marker`` (native str)."""
    return base64.b64encode(marker.encode('utf-8')).decode('ascii')


def decode_token(token):
    """The marker inside a continuation token.

    :raises ValueError: for a token we did not make.
    """
    try:
        return base64.b64decode(token.encode('latin-1'), validate=True).decode('utf-8')
    except (ValueError, UnicodeError):
        raise ValueError('invalid continuation token')
