"""Signature computations: AWS's published examples, then round trips with botocore's
own signers (V4 header, V4 presigned, V2 header, V2 query) over awkward keys."""

import pytest

from swift.common.middleware.s3api import errors, signing
from swift.common.middleware.s3api.s3request import S3Request
from swift.common.middleware.s3api import S3ApiConfig
from test.helpers.fake_clock import FakeClock
from test.unit.common.middleware.s3api.helpers import SECRET_KEY, sign, signed_at

AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'


def test_signing_key_of_the_aws_example():
    # docs.aws.amazon.com "Examples of how to derive a signing key for SigV4"
    credential = signing.V4Credential('AKIDEXAMPLE', '20120215', 'us-east-1', 'iam')
    key = signing.v4_signing_key('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', credential)
    assert key.hex() == ('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d41'
                         '4db404d')


def test_get_vanilla_of_the_sigv4_test_suite():
    env = {'HTTP_HOST': 'example.amazonaws.com', 'HTTP_X_AMZ_DATE': '20150830T123600Z'}
    canonical = signing.canonical_request('GET', '/', '', env, ('host', 'x-amz-date'),
                                          signing.EMPTY_SHA256)
    assert canonical == ('GET\n/\n\nhost:example.amazonaws.com\n'
                         'x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n'
                         + signing.EMPTY_SHA256)
    credential = signing.V4Credential('AKIDEXAMPLE', '20150830', 'us-east-1', 'service')
    to_sign = signing.v4_string_to_sign('20150830T123600Z', credential.scope, canonical)
    assert to_sign == (b'AWS4-HMAC-SHA256\n20150830T123600Z\n'
                       b'20150830/us-east-1/service/aws4_request\n'
                       b'bb579772317eb040ac9ed261061d46c1'
                       b'f17a8133879d6129b6e1c25292927e63')
    key = signing.v4_signing_key('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', credential)
    assert signing.v4_signature(key, to_sign) == (
        '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31')


def test_s3_get_object_example():
    # S3 API reference, "Example: GET Object" (Range: bytes=0-9)
    env = {'HTTP_HOST': 'examplebucket.s3.amazonaws.com', 'HTTP_RANGE': 'bytes=0-9',
           'HTTP_X_AMZ_CONTENT_SHA256': signing.EMPTY_SHA256,
           'HTTP_X_AMZ_DATE': '20130524T000000Z'}
    signed = ('host', 'range', 'x-amz-content-sha256', 'x-amz-date')
    canonical = signing.canonical_request('GET', '/test.txt', '', env, signed,
                                          signing.EMPTY_SHA256)
    credential = signing.V4Credential('AKIAIOSFODNN7EXAMPLE', '20130524', 'us-east-1',
                                      's3')
    to_sign = signing.v4_string_to_sign('20130524T000000Z', credential.scope, canonical)
    key = signing.v4_signing_key(AWS_SECRET, credential)
    assert signing.v4_signature(key, to_sign) == (
        'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')


def test_v2_example_of_the_s3_guide():
    # "Signing and authenticating REST requests", Object GET example
    env = {}
    to_sign = signing.v2_string_to_sign('GET', env, 'Tue, 27 Mar 2007 19:36:42 +0000',
                                        '/johnsmith/photos/puppy.jpg')
    assert to_sign == (b'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n'
                       b'/johnsmith/photos/puppy.jpg')
    assert signing.v2_signature(AWS_SECRET, to_sign) == 'bWq2s1WEIj+Ydj0vQ697zp+IXMU='


def test_canonical_query_is_sorted_and_encoded():
    assert signing.canonical_query_string('b=2&a=x%20y&a=1&c&X-Amz-Signature=s') == \
        'a=1&a=x%20y&b=2&c='
    assert signing.canonical_query_string('prefix=a%2Fb~c+d') == 'prefix=a%2Fb~c%2Bd'


def test_canonical_headers_trim_and_collapse():
    env = {'HTTP_X_AMZ_META_A': '  one   two  ', 'CONTENT_TYPE': 'text/plain'}
    assert signing.canonical_headers(env, ('content-type', 'x-amz-meta-a', 'x-missing')) \
        == 'content-type:text/plain\nx-amz-meta-a:one two\nx-missing:\n'


def test_v2_resource_keeps_only_sub_resources():
    assert signing.v2_canonical_resource('/b/k', 'uploadId=u1&foo=bar&partNumber=2') \
        == '/b/k?partNumber=2&uploadId=u1'
    assert signing.v2_canonical_resource('/b', 'acl&prefix=x') == '/b?acl'


@pytest.mark.parametrize('authorization', [
    'AWS4-HMAC-SHA256 Credential=a/20261130/us-east-1/s3/aws4_request, Signature=x',
    'AWS4-HMAC-SHA256 Credential=a/2026113/us-east-1/s3/aws4_request, '
    'SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=a/20261130/us-east-1/s3, SignedHeaders=host, '
    'Signature=x'])
def test_malformed_v4_authorization(authorization):
    with pytest.raises(errors.AuthorizationHeaderMalformed):
        signing.parse_v4_authorization(authorization)


def test_chunk_string_to_sign_shape():
    text = signing.chunk_string_to_sign('20261130T000000Z', 'scope', 'prev', b'data')
    lines = text.split(b'\n')
    assert lines[:4] == [b'AWS4-HMAC-SHA256-PAYLOAD', b'20261130T000000Z', b'scope',
                         b'prev']
    assert lines[4] == signing.EMPTY_SHA256.encode()


KEYS = ['/bucket/plain', '/bucket/with%20space', '/bucket/plus%2Bsign',
        '/bucket/tilde~and%2Aasterisk', '/bucket/%E2%98%83/snowman',
        '/bucket/k?uploads', '/bucket?list-type=2&prefix=a%2Fb&delimiter=%2F',
        '/bucket/k?partNumber=3&uploadId=abc']


def _request(env):
    clock = FakeClock(signed_at(env) + 5)
    return S3Request(env, S3ApiConfig(), clock)


@pytest.mark.parametrize('version', ['v4', 'v4-query', 'v2', 'v2-query'])
@pytest.mark.parametrize('path', KEYS)
def test_round_trip_with_botocore(version, path):
    method = 'PUT' if 'uploadId' in path else 'GET'
    with_body = method == 'PUT' and 'query' not in version   # presigned: no body
    env = sign(method, path, body=b'part' if with_body else b'', version=version)
    s3req = _request(env)
    assert s3req.auth.access_key == 'test:tester'
    assert s3req.auth.check_signature(SECRET_KEY), s3req.auth.string_to_sign
    assert not s3req.auth.check_signature('not the key')


def test_round_trip_with_headers_and_metadata():
    env = sign('PUT', '/bucket/obj', body=b'x', headers={
        'Content-Type': 'text/plain', 'x-amz-meta-Color': 'blue  green',
        'Content-MD5': 'dGVzdA=='}, version='v2')
    assert _request(env).auth.check_signature(SECRET_KEY)
    env = sign('PUT', '/bucket/obj', body=b'x', headers={
        'Content-Type': 'text/plain', 'x-amz-meta-Color': 'blue  green'})
    assert _request(env).auth.check_signature(SECRET_KEY)
