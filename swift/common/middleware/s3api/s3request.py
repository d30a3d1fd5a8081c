# One S3 request: where it points (bucket, key), who signed it and how, and the Swift
# subrequests made for it (Swift's s3api S3Request).
# Authentication is split as in Swift's s3api + tempauth:
#   * here: parse the signature (V4 header / V4 query / V2 header / V2 query), check
#     the date (allowable_clock_skew, presigned expiry), the scope (region = location,
#     service s3) and build the string to sign; put
#     ``env['s3api.auth_details'] = {'access_key', 'signature', 'string_to_sign',
#     'check_signature'}`` into every subrequest environ;
#   * tempauth (which knows the keys) calls ``check_signature(key)``, swaps the access
#     key in the path (``/v1/test:tester/...``) for the account id and authorizes;
#   * a 401 from below then means SignatureDoesNotMatch, or InvalidAccessKeyId when
#     check_signature was never called (tempauth does not know that user).
# A request with none of the four signature forms is not an S3 request (NotS3Request)
# and passes to Swift untouched.
"""S3Request: parsing, authentication details and Swift subrequests."""

import calendar
import io
import re
import time

from swift.common.middleware.s3api import errors, signing
from swift.common.middleware.s3api.body import AwsChunkedInput, HashingInput
from swift.common.swob import Request, parse_http_date, wsgi_quote, wsgi_to_str

OBJECT_NAME_BYTES_MAX = 1024      # Swift's max_object_name_length and S3's key limit
_BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
_IP_RE = re.compile(r'^\d+\.\d+\.\d+\.\d+$')
_SHA256_RE = re.compile(r'^[0-9a-fA-F]{64}$')
# client headers never passed to Swift (S3 auth and S3-only semantics)
_DROPPED_HEADER_PREFIXES = ('HTTP_AUTHORIZATION', 'HTTP_X_AMZ_', 'HTTP_X_OBJECT_META_',
                            'HTTP_X_AUTH_TOKEN', 'HTTP_X_STORAGE_TOKEN',
                            'HTTP_CONTENT_MD5', 'HTTP_EXPECT')


class NotS3Request(Exception):
    """The request carries no S3 signature: Swift handles it."""


def usable_name(wsgi_text):
    """True when a WSGI str (a key, a query value) is UTF-8 without NUL: what Swift
    can store and list (it answers 412 otherwise, which S3 has no word for)."""
    if '\x00' in wsgi_text:
        return False
    try:
        wsgi_text.encode('latin-1').decode('utf-8')
    except UnicodeError:
        return False
    return True


def printable_header_value(wsgi_text):
    """True when a value may become a response header (no control characters: a
    response-* override must not split the response)."""
    return not any(ord(char) < 0x20 or ord(char) == 0x7f for char in wsgi_text)


def valid_bucket_name(name, dns_compliant=True):
    """Swift's/S3's bucket-name rule (3-63 chars, lower-case DNS label style).

    :returns: bool.
    """
    if not name or len(name) < 3 or len(name) > 63:
        return False
    if not dns_compliant:
        return '/' not in name and not name.endswith('+segments')
    return bool(_BUCKET_RE.match(name)) and '..' not in name \
        and '.-' not in name and '-.' not in name and not _IP_RE.match(name)


def parse_amz_date(value):
    """``20261130T015000Z`` or an HTTP date -> epoch seconds (int), or None."""
    if not value:
        return None
    try:
        return calendar.timegm(time.strptime(value, signing.AMZ_DATE_FORMAT))
    except ValueError:
        return parse_http_date(value)


class AuthInfo:
    """What tempauth needs to check a request (see module doc)."""

    def __init__(self, access_key, signature, string_to_sign, compute):
        self.access_key = access_key
        self.signature = signature
        self.string_to_sign = string_to_sign
        self.compute = compute           # compute(secret) -> (signature, signing key)
        self.checked = False
        self.signing_key = None
        # V4 only (None for V2): what a SignatureDoesNotMatch shows and what
        # aws-chunked chunk signatures are computed from
        self.canonical_request = None
        self.scope = None
        self.amz_date = None
        self.payload_hash = signing.UNSIGNED_PAYLOAD

    def check_signature(self, secret):
        """True when ``secret`` (the user's key, str) produces the signature."""
        self.checked = True
        expected, key = self.compute(secret)
        if signing.signatures_equal(expected, self.signature):
            self.signing_key = key
            return True
        return False

    def details(self):
        """The ``s3api.auth_details`` dict (Swift's keys)."""
        return {'access_key': self.access_key, 'signature': self.signature,
                'string_to_sign': self.string_to_sign,
                'check_signature': self.check_signature}


class S3Request:
    """See the module doc.

    :param env: the client's WSGI environ.
    :param config: S3ApiConfig.
    :param clock: object with ``time()``.
    :raises NotS3Request: no S3 signature.
    :raises S3Error: malformed or expired authentication, bad bucket/key name.
    """

    def __init__(self, env, config, clock):
        self.environ = env
        self.config = config
        self.clock = clock
        self.method = env['REQUEST_METHOD']
        self.query_string = env.get('QUERY_STRING', '')
        self.params = dict(signing.query_pairs(self.query_string))
        self.raw_path = env.get('RAW_PATH_INFO') or wsgi_quote(env.get('PATH_INFO', '/'))
        self.trans_id = env.get('swift.trans_id', '')
        self.account = None
        self.auth = self._parse_auth()
        self.bucket, self.object_name = self._parse_path()
        self.body_reader = None

    # -- where
    def _parse_path(self):
        path = self.environ.get('PATH_INFO', '/')
        host = (self.environ.get('HTTP_HOST') or '').rsplit(':', 1)[0].lower()
        domain = self.config.storage_domain
        if domain and host.endswith('.' + domain):
            bucket, obj = host[:-len(domain) - 1], path[1:]
        else:
            bucket, _sep, obj = path[1:].partition('/')
        bucket = bucket or None
        obj = obj or None
        if bucket is not None and not valid_bucket_name(
                bucket, self.config.dns_compliant_bucket_names):
            raise errors.InvalidBucketName(BucketName=wsgi_to_str(bucket))
        if obj is not None and len(obj.encode('latin-1')) > OBJECT_NAME_BYTES_MAX:
            raise errors.KeyTooLongError(MaxSizeAllowed=OBJECT_NAME_BYTES_MAX)
        if obj is not None and not usable_name(obj):
            raise errors.InvalidURI(URI=self.raw_path)
        for name, value in self.params.items():
            if not usable_name(value) or (
                    name.startswith('response-') and not printable_header_value(value)):
                raise errors.InvalidArgument('Invalid query parameter value',
                                             ArgumentName=wsgi_to_str(name)[:64])
        return bucket, obj

    # -- who
    def _parse_auth(self):
        header = self.environ.get('HTTP_AUTHORIZATION', '')
        scheme = header.split(' ', 1)[0]
        if scheme == signing.V4_ALGORITHM:
            return self._v4_header(header)
        if scheme == 'AWS':
            return self._v2_header(header)
        if 'X-Amz-Credential' in self.params or 'X-Amz-Algorithm' in self.params:
            return self._v4_query()
        if 'AWSAccessKeyId' in self.params:
            return self._v2_query()
        raise NotS3Request()

    def _check_skew(self, when):
        if abs(self.clock.time() - when) > self.config.allowable_clock_skew:
            raise errors.RequestTimeTooSkewed(
                RequestTime=time.strftime(signing.AMZ_DATE_FORMAT, time.gmtime(when)),
                ServerTime=time.strftime(signing.AMZ_DATE_FORMAT,
                                         time.gmtime(self.clock.time())),
                MaxAllowedSkewMilliseconds=int(self.config.allowable_clock_skew * 1000))

    def _request_time(self):
        value = self.environ.get('HTTP_X_AMZ_DATE') or self.environ.get('HTTP_DATE')
        when = parse_amz_date(value)
        if when is None:
            raise errors.AccessDenied('AWS authentication requires a valid Date or '
                                      'x-amz-date header')
        return when

    def _check_scope(self, credential, amz_date, error):
        if credential.date != amz_date[:8]:
            raise error('Invalid credential date "%s". This date is not the same as '
                        'X-Amz-Date: "%s".' % (credential.date, amz_date[:8]))
        if credential.region != self.config.location:
            raise error("The authorization header is malformed; the region '%s' is "
                        "wrong; expecting '%s'" % (credential.region,
                                                   self.config.location),
                        Region=self.config.location)
        if credential.service != 's3':
            raise error('The authorization header is malformed; incorrect service '
                        '"%s". This endpoint belongs to "s3".' % credential.service)

    def _payload_hash(self, default=None):
        value = self.environ.get('HTTP_X_AMZ_CONTENT_SHA256', default)
        if value is None:
            raise errors.InvalidRequest('Missing required header for this request: '
                                        'x-amz-content-sha256')
        if value not in (signing.UNSIGNED_PAYLOAD, signing.STREAMING_PAYLOAD,
                         signing.STREAMING_UNSIGNED_TRAILER) \
                and not _SHA256_RE.match(value):
            raise errors.InvalidArgument(
                'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, '
                'STREAMING-AWS4-HMAC-SHA256-PAYLOAD, '
                'STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.',
                ArgumentName='x-amz-content-sha256', ArgumentValue=value)
        return value

    def _v4_auth(self, parsed, amz_date, payload_hash, exclude):
        canonical = signing.canonical_request(
            self.method, self.raw_path, self.query_string, self.environ,
            parsed.signed_headers, payload_hash, exclude)
        string_to_sign = signing.v4_string_to_sign(amz_date, parsed.credential.scope,
                                                   canonical)

        def compute(secret):
            key = signing.v4_signing_key(secret, parsed.credential)
            return signing.v4_signature(key, string_to_sign), key
        auth = AuthInfo(parsed.credential.access_key, parsed.signature,
                        string_to_sign, compute)
        auth.canonical_request = canonical
        auth.scope = parsed.credential.scope
        auth.amz_date = amz_date
        auth.payload_hash = payload_hash
        return auth

    def _v4_header(self, header):
        parsed = signing.parse_v4_authorization(header)
        amz_date = self.environ.get('HTTP_X_AMZ_DATE')
        when = self._request_time()
        if not amz_date or parse_amz_date(amz_date) is None:
            amz_date = time.strftime(signing.AMZ_DATE_FORMAT, time.gmtime(when))
        self._check_skew(when)
        self._check_scope(parsed.credential, amz_date,
                          errors.AuthorizationHeaderMalformed)
        return self._v4_auth(parsed, amz_date, self._payload_hash(), ())

    def _v4_query(self):
        parsed, amz_date, expires_s = signing.parse_v4_query(self.params)
        when = parse_amz_date(amz_date)
        if when is None:
            raise errors.AuthorizationQueryParametersError(
                'X-Amz-Date must be in the ISO8601 Long Format '
                '"yyyyMMdd\'T\'HHmmss\'Z\'"')
        now = self.clock.time()
        if now > when + expires_s:
            raise errors.AccessDenied('Request has expired', Expires=time.strftime(
                '%Y-%m-%dT%H:%M:%SZ', time.gmtime(when + expires_s)))
        if when > now + self.config.allowable_clock_skew:
            raise errors.AccessDenied('Request is not valid yet')
        self._check_scope(parsed.credential, amz_date,
                          errors.AuthorizationQueryParametersError)
        payload = self._payload_hash(default=signing.UNSIGNED_PAYLOAD)
        return self._v4_auth(parsed, amz_date, payload, ('X-Amz-Signature',))

    def _v2_auth(self, access_key, signature, date_value):
        resource = signing.v2_canonical_resource(self.raw_path, self.query_string)
        string_to_sign = signing.v2_string_to_sign(self.method, self.environ,
                                                   date_value, resource)
        # A bucket addressed as /bucket may have been signed as /bucket/ (botocore's
        # V2 signer does; AWS takes either): that form is tried too.
        bucket_only = self.raw_path.count('/') == 1 and len(self.raw_path) > 1
        slashed = signing.v2_string_to_sign(
            self.method, self.environ, date_value, signing.v2_canonical_resource(
                self.raw_path + '/', self.query_string)) if bucket_only else None

        def compute(secret):
            expected = signing.v2_signature(secret, string_to_sign)
            if slashed is not None and not signing.signatures_equal(expected, signature):
                alternative = signing.v2_signature(secret, slashed)
                if signing.signatures_equal(alternative, signature):
                    return alternative, None
            return expected, None
        return AuthInfo(access_key, signature, string_to_sign, compute)

    def _v2_header(self, header):
        access_key, sep, signature = header[4:].strip().rpartition(':')
        if not sep or not access_key or not signature:
            raise errors.AccessDenied('AWS authorization header is invalid.  '
                                      'Expected AwsAccessKeyId:signature')
        self._check_skew(self._request_time())
        date_value = '' if 'HTTP_X_AMZ_DATE' in self.environ else \
            self.environ.get('HTTP_DATE', '')
        return self._v2_auth(access_key, signature, date_value)

    def _v2_query(self):
        for name in ('Signature', 'Expires'):
            if not self.params.get(name):
                raise errors.AccessDenied('Query-string authentication requires the '
                                          'Signature, Expires and AWSAccessKeyId '
                                          'parameters')
        try:
            expires = int(self.params['Expires'])
        except ValueError:
            raise errors.AccessDenied('Invalid expiration date')
        if self.clock.time() > expires:
            raise errors.AccessDenied('Request has expired')
        return self._v2_auth(self.params['AWSAccessKeyId'], self.params['Signature'],
                             self.params['Expires'])

    # -- the body
    def body_input(self):
        """The client body as Swift should read it: sha256-checked, aws-chunked
        decoded. Remembered in ``body_reader`` (its ``failed`` tells why a PUT broke).

        :returns: (file-like, content length or None).
        """
        env = self.environ
        try:
            length = int(env['CONTENT_LENGTH']) if env.get('CONTENT_LENGTH') else None
        except ValueError:
            raise errors.InvalidArgument('Invalid Content-Length',
                                         ArgumentName='Content-Length')
        if length is not None and length < 0:
            raise errors.InvalidArgument('Invalid Content-Length',
                                         ArgumentName='Content-Length')
        payload = self.auth.payload_hash
        if payload in (signing.STREAMING_PAYLOAD, signing.STREAMING_UNSIGNED_TRAILER):
            try:
                decoded = int(env.get('HTTP_X_AMZ_DECODED_CONTENT_LENGTH', ''))
            except ValueError:
                raise errors.MissingContentLength()
            if payload == signing.STREAMING_PAYLOAD:
                self.body_reader = AwsChunkedInput(env['wsgi.input'], decoded,
                                                   self._chunk_signer,
                                                   self.auth.signature)
            else:
                trailer = (env.get('HTTP_X_AMZ_TRAILER') or '').strip().lower() or None
                try:
                    self.body_reader = AwsChunkedInput(env['wsgi.input'], decoded, None,
                                                       None, trailer=trailer)
                except ValueError as err:
                    raise errors.InvalidRequest(str(err))
            return self.body_reader, decoded
        if payload != signing.UNSIGNED_PAYLOAD:
            if length == 0 and payload.lower() != signing.EMPTY_SHA256:
                # nothing will be read, so check the (empty) body here
                raise errors.XAmzContentSHA256Mismatch()
            self.body_reader = HashingInput(env['wsgi.input'], length, payload)
            return self.body_reader, length
        return env['wsgi.input'], length

    def _chunk_signer(self, previous, chunk):
        key = self.auth.signing_key
        if key is None:
            return ''   # never authenticated: no chunk can match
        return signing.v4_signature(key, signing.chunk_string_to_sign(
            self.auth.amz_date, self.auth.scope, previous, chunk))

    def read_body(self, limit_bytes):
        """The whole (small) body, verified.

        :raises S3Error: MalformedXML-sized bodies (EntityTooLarge), digest problems.
        """
        reader, length = self.body_input()
        if length is not None and length > limit_bytes:
            raise errors.EntityTooLarge()
        try:
            data = reader.read(limit_bytes + 1)
        except ValueError as err:
            raise getattr(errors, getattr(err, 's3_code', 'InvalidRequest'))()
        if len(data) > limit_bytes:
            raise errors.EntityTooLarge()
        return data

    # -- Swift subrequests
    def swift_path(self, container=None, obj=None):
        """``/v1/<account or access key>[/<container>[/<object>]]`` (WSGI str)."""
        path = '/v1/%s' % (self.account or self.auth.access_key)
        if container:
            path += '/' + container
            if obj:
                path += '/' + obj
        return path

    def client_headers(self):
        """The client's headers to forward to Swift (dict, WSGI strs): x-amz-meta-*
        become X-Object-Meta-*, S3 auth headers are dropped."""
        headers = {}
        for key, value in self.environ.items():
            if not value:
                continue   # an empty header carries nothing (and is not stored)
            if key.startswith('HTTP_X_AMZ_META_'):
                headers['X-Object-Meta-' + key[16:].replace('_', '-').title()] = value
            elif key.startswith('HTTP_') and not key.startswith(_DROPPED_HEADER_PREFIXES):
                headers[key[5:].replace('_', '-').title()] = value
        if self.environ.get('CONTENT_TYPE'):
            headers['Content-Type'] = self.environ['CONTENT_TYPE']
        return headers

    def swift_env(self, method, container=None, obj=None, query='', headers=None):
        """A subrequest environ: the client's WSGI/swift keys, no client headers."""
        env = {key: value for key, value in self.environ.items()
               if not key.startswith('HTTP_') and key not in (
                   'CONTENT_TYPE', 'CONTENT_LENGTH', 'RAW_PATH_INFO', 'QUERY_STRING')}
        for key in ('HTTP_HOST', 'HTTP_USER_AGENT', 'HTTP_X_FORWARDED_FOR'):
            if key in self.environ:
                env[key] = self.environ[key]
        env['swift.infocache'] = self.environ.setdefault('swift.infocache', {})
        env['REQUEST_METHOD'] = method
        env['PATH_INFO'] = self.swift_path(container, obj)
        env['SCRIPT_NAME'] = ''
        env['QUERY_STRING'] = query
        env['swift.source'] = 'S3'
        env['s3api.auth_details'] = self.auth.details()
        env['wsgi.input'] = io.BytesIO(b'')
        env.pop('HTTP_TRANSFER_ENCODING', None)
        req = Request(env)
        for key, value in (headers or {}).items():
            if value is not None:
                req.headers[key] = value
        return env

    def get_response(self, app, method, container=None, obj=None, query='',
                     headers=None, body=None, body_file=None, length=None):
        """Run one Swift subrequest through ``app``.

        :param body: bytes body, or ``body_file`` + ``length`` (None: chunked).
        :returns: swob Response (a 401/403 already turned into an S3Error).
        :raises S3Error: SignatureDoesNotMatch / InvalidAccessKeyId / AccessDenied.
        """
        env = self.swift_env(method, container, obj, query, headers)
        req = Request(env)
        if body is not None:
            req.body = body
        elif body_file is not None:
            env['wsgi.input'] = body_file
            if length is None:
                env['HTTP_TRANSFER_ENCODING'] = 'chunked'
                env.pop('CONTENT_LENGTH', None)
            else:
                env['CONTENT_LENGTH'] = str(length)
        elif method in ('PUT', 'POST'):
            env['CONTENT_LENGTH'] = '0'
        resp = req.get_response(app)
        if self.account is None and self.auth.checked and resp.status_int != 401:
            parts = env['PATH_INFO'].split('/', 3)
            if len(parts) > 2 and parts[2] != self.auth.access_key:
                self.account = parts[2]
        if resp.status_int == 401:
            resp.body  # drain the backend answer
            raise self.auth_error()
        if resp.status_int == 403:
            resp.body
            raise errors.AccessDenied()
        return resp

    def auth_error(self):
        """The S3 error of a request tempauth refused."""
        if not self.auth.checked:
            return errors.InvalidAccessKeyId(AWSAccessKeyId=self.auth.access_key)
        extra = {'AWSAccessKeyId': self.auth.access_key,
                 'StringToSign': self.auth.string_to_sign.decode('latin-1'),
                 'SignatureProvided': self.auth.signature}
        if self.auth.canonical_request is not None:
            extra['CanonicalRequest'] = self.auth.canonical_request
        return errors.SignatureDoesNotMatch(**extra)
