# The signature algorithms of S3 (sans-I/O: strings in, strings out).
#   * Signature Version 4
#     (https://docs.aws.amazon.com/general/latest/gr/sigv4-create-canonical-request.html):
#     canonical request = method, canonical URI (S3: the path as the client sent it,
#     not normalized), canonical query (every name and value URI-encoded with only
#     ``A-Za-z0-9-_.~`` unreserved, sorted), canonical headers (lower-case names,
#     values trimmed with inner whitespace runs collapsed), signed header list and the
#     payload hash; string to sign = ``AWS4-HMAC-SHA256\n<amz date>\n<scope>\n
#     <hex sha256 of the canonical request>``; the key is the HMAC chain
#     ``"AWS4"+secret -> date -> region -> service -> "aws4_request"``. aws-chunked
#     bodies sign each chunk with ``AWS4-HMAC-SHA256-PAYLOAD`` and the previous
#     chunk's signature.
#   * Signature Version 2 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/
#     RESTAuthentication.html): ``method\nContent-MD5\nContent-Type\nDate\n`` + the
#     x-amz-* headers (lower-case, sorted, ``name:value\n``) + the resource (path plus
#     the sorted sub-resources); signature = base64(HMAC-SHA1(secret, that)).
"""S3 signature computations (V2 and V4)."""

import base64
import hashlib
import hmac
import re
import urllib.parse
from dataclasses import dataclass

from swift.common.middleware.s3api.errors import (AuthorizationHeaderMalformed,
                                                  AuthorizationQueryParametersError)

V4_ALGORITHM = 'AWS4-HMAC-SHA256'
V4_CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD'
UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
AMZ_DATE_FORMAT = '%Y%m%dT%H%M%SZ'
UNRESERVED = '-_.~'

# Sub-resources that are part of a V2 canonical resource (AWS's list, as Swift's
# ALLOWED_SUB_RESOURCES).
V2_SUB_RESOURCES = frozenset((
    'acl', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber',
    'policy', 'requestPayment', 'torrent', 'uploads', 'uploadId', 'versionId',
    'versioning', 'versions', 'website', 'response-cache-control',
    'response-content-disposition', 'response-content-encoding',
    'response-content-language', 'response-content-type', 'response-expires', 'cors',
    'tagging', 'restore', 'object-lock', 'retention', 'legal-hold'))

_WHITESPACE = re.compile(r'\s+')


@dataclass(frozen=True)
class V4Credential:
    """``<access key>/<yyyymmdd>/<region>/<service>/aws4_request``."""
    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self):
        """``<date>/<region>/<service>/aws4_request``."""
        return '%s/%s/%s/aws4_request' % (self.date, self.region, self.service)


def parse_credential(value, error=AuthorizationHeaderMalformed):
    """Split a Credential value.

    :raises error: (AuthorizationHeaderMalformed by default) when malformed.
    """
    parts = (value or '').split('/')
    if len(parts) != 5 or not all(parts) or parts[4] != 'aws4_request':
        raise error('The authorization header is malformed; the Credential is '
                    'mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
                    'aws4_request".')
    if not re.match(r'^\d{8}$', parts[1]):
        raise error('The authorization header is malformed; incorrect date format '
                    '"%s". This date in the credential must be in the format '
                    '"yyyyMMdd".' % parts[1])
    return V4Credential(parts[0], parts[1], parts[2], parts[3])


@dataclass(frozen=True)
class V4Authorization:
    """A parsed ``Authorization: AWS4-HMAC-SHA256 ...`` header."""
    credential: V4Credential
    signed_headers: tuple
    signature: str


def parse_v4_authorization(header):
    """Parse ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.

    :returns: :class:`V4Authorization`.
    :raises AuthorizationHeaderMalformed: when a part is missing or malformed.
    """
    _algorithm, _sep, rest = header.partition(' ')
    fields = {}
    for item in rest.split(','):
        key, eq, value = item.strip().partition('=')
        if eq:
            fields[key.strip()] = value.strip()
    for name in ('Credential', 'SignedHeaders', 'Signature'):
        if not fields.get(name):
            raise AuthorizationHeaderMalformed(
                'The authorization header is malformed; the authorization header '
                'requires three components: Credential, SignedHeaders, and Signature.')
    signed = tuple(fields['SignedHeaders'].lower().split(';'))
    return V4Authorization(parse_credential(fields['Credential']), signed,
                           fields['Signature'])


def parse_v4_query(params):
    """The presigned-URL fields of a query (X-Amz-Credential...).

    :param params: dict of decoded query parameters.
    :returns: (:class:`V4Authorization`, amz_date str, expires_s int).
    :raises AuthorizationQueryParametersError: when a field is missing or invalid.
    """
    needed = ('X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature',
              'X-Amz-Date', 'X-Amz-Expires')
    missing = [name for name in needed if not params.get(name)]
    if missing:
        raise AuthorizationQueryParametersError(
            'Query-string authentication version 4 requires the X-Amz-Algorithm, '
            'X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and '
            'X-Amz-Expires parameters.')
    if params.get('X-Amz-Algorithm') != V4_ALGORITHM:
        raise AuthorizationQueryParametersError(
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    try:
        expires_s = int(params['X-Amz-Expires'])
    except ValueError:
        raise AuthorizationQueryParametersError(
            'X-Amz-Expires should be a number')
    if expires_s < 0:
        raise AuthorizationQueryParametersError(
            'X-Amz-Expires must be non-negative')
    if expires_s > 604800:
        raise AuthorizationQueryParametersError(
            'X-Amz-Expires must be less than a week (in seconds) that is 604800')
    credential = parse_credential(params['X-Amz-Credential'],
                                  AuthorizationQueryParametersError)
    signed = tuple(params['X-Amz-SignedHeaders'].lower().split(';'))
    return (V4Authorization(credential, signed, params['X-Amz-Signature']),
            params['X-Amz-Date'], expires_s)


# ---------------------------------------------------------------- V4

def uri_encode(wsgi_text, safe=UNRESERVED):
    """Percent-encode the raw bytes of a WSGI str (AWS's UriEncode)."""
    return urllib.parse.quote(wsgi_text.encode('latin-1'), safe=safe)


def query_pairs(query_string):
    """Decoded (name, value) WSGI-str pairs of a raw query string, blanks kept.

    ``+`` is kept as it is (S3 clients encode spaces as %20).
    """
    pairs = []
    for item in query_string.split('&'):
        if not item:
            continue
        name, _eq, value = item.partition('=')
        pairs.append((urllib.parse.unquote(name, encoding='latin-1'),
                      urllib.parse.unquote(value, encoding='latin-1')))
    return pairs


def canonical_query_string(query_string, exclude=('X-Amz-Signature',)):
    """V4 canonical query: encoded names/values sorted, ``name=value`` joined by &."""
    encoded = sorted((uri_encode(name), uri_encode(value))
                     for name, value in query_pairs(query_string)
                     if name not in exclude)
    return '&'.join('%s=%s' % pair for pair in encoded)


def header_value(env, name):
    """A request header (lower-case ``name``) from a WSGI environ, or None."""
    if name == 'content-type':
        return env.get('CONTENT_TYPE')
    if name == 'content-length':
        return env.get('CONTENT_LENGTH')
    return env.get('HTTP_' + name.upper().replace('-', '_'))


def canonical_headers(env, signed_headers):
    """``name:value\\n`` for each signed header (missing ones have an empty value)."""
    lines = []
    for name in signed_headers:
        value = header_value(env, name) or ''
        lines.append('%s:%s\n' % (name, _WHITESPACE.sub(' ', value.strip())))
    return ''.join(lines)


def canonical_request(method, raw_path, query_string, env, signed_headers,
                      payload_hash, exclude=('X-Amz-Signature',)):
    """The V4 canonical request (WSGI str).

    :param raw_path: the request path exactly as the client sent it (quoted).
    :param query_string: the raw query string.
    :param env: WSGI environ holding the headers.
    :param signed_headers: lower-case header names, in the client's order.
    :param payload_hash: hex sha256, UNSIGNED-PAYLOAD or STREAMING-....
    """
    return '\n'.join((method, raw_path or '/',
                      canonical_query_string(query_string, exclude),
                      canonical_headers(env, signed_headers),
                      ';'.join(signed_headers), payload_hash))


def v4_string_to_sign(amz_date, scope, canonical):
    """``AWS4-HMAC-SHA256\\n<amz date>\\n<scope>\\n<sha256 hex of canonical>`` (bytes)."""
    digest = hashlib.sha256(canonical.encode('latin-1')).hexdigest()
    return ('%s\n%s\n%s\n%s' % (V4_ALGORITHM, amz_date, scope, digest)).encode('latin-1')


def v4_signing_key(secret, credential):
    """The derived key (bytes) of ``secret`` (str) for the credential's scope."""
    key = ('AWS4' + secret).encode('utf-8')
    for part in (credential.date, credential.region, credential.service,
                 'aws4_request'):
        key = hmac.new(key, part.encode('utf-8'), hashlib.sha256).digest()
    return key


def v4_signature(signing_key, string_to_sign):
    """Hex HMAC-SHA256 of ``string_to_sign`` (bytes)."""
    return hmac.new(signing_key, string_to_sign, hashlib.sha256).hexdigest()


def chunk_string_to_sign(amz_date, scope, previous_signature, chunk):
    """String to sign of one aws-chunked chunk (bytes)."""
    return '\n'.join((V4_CHUNK_ALGORITHM, amz_date, scope, previous_signature,
                      EMPTY_SHA256, hashlib.sha256(chunk).hexdigest())).encode('ascii')


# ---------------------------------------------------------------- V2

def v2_canonical_resource(raw_path, query_string):
    """Path plus the sorted sub-resources (``?acl&uploadId=x``)."""
    subs = sorted((name, value) for name, value in query_pairs(query_string)
                  if name in V2_SUB_RESOURCES)
    if not subs:
        return raw_path
    return raw_path + '?' + '&'.join('%s=%s' % (n, v) if v else n for n, v in subs)


def v2_string_to_sign(method, env, date_value, resource):
    """The V2 string to sign (bytes).

    :param date_value: the Date header, '' when x-amz-date is given, or the Expires
        parameter of a query-signed request.
    :param resource: :func:`v2_canonical_resource`.
    """
    lines = [method, (env.get('HTTP_CONTENT_MD5') or '').strip(),
             (env.get('CONTENT_TYPE') or '').strip(), date_value]
    amz = {}
    for key, value in env.items():
        if key.startswith('HTTP_X_AMZ_'):
            amz[key[5:].lower().replace('_', '-')] = value.strip()
    for name in sorted(amz):
        lines.append('%s:%s' % (name, amz[name]))
    lines.append(resource)
    return '\n'.join(lines).encode('latin-1')


def v2_signature(secret, string_to_sign):
    """base64 HMAC-SHA1 (str)."""
    digest = hmac.new(secret.encode('utf-8'), string_to_sign, hashlib.sha1).digest()
    return base64.b64encode(digest).decode('ascii')


def signatures_equal(expected, given):
    """Constant-time comparison of two signature strings."""
    return hmac.compare_digest(expected.encode('latin-1'), given.encode('latin-1'))
