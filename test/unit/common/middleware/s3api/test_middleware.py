"""s3api + tempauth over a fake proxy: authentication outcomes, S3 error documents,
object PUT/GET translation, body verification (sha256, aws-chunked), buckets."""

import base64
import hashlib
import io
import time
from xml.etree import ElementTree

import pytest

from swift.common.middleware.s3api import signing
from test.unit.common.middleware.s3api.helpers import (ACCESS_KEY, HOST, SECRET_KEY,
                                                       call, pipeline, sign, signed_at)

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'


def error_code(body):
    root = ElementTree.fromstring(body)
    assert root.tag == 'Error'
    return root.find('Code').text


@pytest.fixture
def s3():
    app, swift, clock = pipeline()
    swift.containers.add('/v1/AUTH_test/bucket')
    return app, swift, clock


def test_wrong_secret_is_signature_does_not_match(s3):
    app, swift, _clock = s3
    status, headers, body = call(app, sign('GET', '/bucket/k', secret='wrong'))
    assert status == 403
    assert error_code(body) == 'SignatureDoesNotMatch'
    root = ElementTree.fromstring(body)
    assert root.find('RequestId').text == 'tx0123456789abcdef0123456789abcdef'
    assert root.find('AWSAccessKeyId').text == ACCESS_KEY
    assert headers['x-amz-request-id'] == 'tx0123456789abcdef0123456789abcdef'
    assert headers['Content-Type'] == 'application/xml'
    assert [c for c in swift.calls if c.method == 'GET'] == []   # never got past auth


def test_unknown_access_key(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket/k', access_key='x:y'))
    assert (status, error_code(body)) == (403, 'InvalidAccessKeyId')


@pytest.mark.parametrize('version', ['v4', 'v2'])
def test_clock_skew(version):
    env = sign('GET', '/bucket/k', version=version)
    app, swift, clock = pipeline()
    clock.now = signed_at(env) + 901
    status, _headers, body = call(app, env)
    assert (status, error_code(body)) == (403, 'RequestTimeTooSkewed')
    env = sign('GET', '/bucket/k', version=version)
    app, swift, clock = pipeline()
    clock.now = signed_at(env) - 899
    status, _headers, body = call(app, env)
    assert status == 404 and error_code(body) == 'NoSuchBucket'


@pytest.mark.parametrize('version', ['v4-query', 'v2-query'])
def test_presigned_expiry(version):
    env = sign('GET', '/bucket/k', version=version, query_expires=60)
    app, swift, clock = pipeline()
    swift.put_object('/v1/AUTH_test/bucket/k', b'body')
    swift.containers.add('/v1/AUTH_test/bucket')
    clock.now = signed_at(env, 60) + 30
    status, _headers, body = call(app, dict(env, **{'wsgi.input': io.BytesIO()}))
    assert (status, body) == (200, b'body')
    clock.now = signed_at(env, 60) + 61
    status, _headers, body = call(app, env)
    assert (status, error_code(body)) == (403, 'AccessDenied')
    assert b'expired' in body


def test_presigned_v4_longer_than_a_week_is_refused(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket/k', version='v4-query',
                                            query_expires=604801))
    assert (status, error_code(body)) == (400, 'AuthorizationQueryParametersError')


def test_wrong_region(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket/k', region='eu-west-1'))
    assert (status, error_code(body)) == (400, 'AuthorizationHeaderMalformed')
    assert b"<Region>us-east-1</Region>" in body


def test_missing_content_sha256(s3):
    app, _swift, _clock = s3
    env = sign('GET', '/bucket/k')
    del env['HTTP_X_AMZ_CONTENT_SHA256']
    status, _headers, body = call(app, env)
    assert (status, error_code(body)) == (400, 'InvalidRequest')


def test_unsigned_requests_pass_to_swift(s3):
    app, swift, _clock = s3
    env = sign('GET', '/v1/AUTH_test/bucket')
    del env['HTTP_AUTHORIZATION']
    status, _headers, _body = call(app, env)
    assert status == 401   # tempauth's answer for an anonymous request
    assert [(c.method, c.path) for c in swift.calls] == [('GET', '/v1/AUTH_test/bucket')]
    assert 's3api.auth_details' not in swift.calls[0].env


def test_put_then_get_object(s3):
    app, swift, _clock = s3
    env = sign('PUT', '/bucket/dir/k', body=b'hello', headers={
        'Content-Type': 'text/plain', 'x-amz-meta-color': 'blue'})
    status, headers, _body = call(app, env)
    assert status == 200
    assert headers['Etag'] == '"%s"' % hashlib.md5(b'hello').hexdigest()
    put = swift.calls_of('PUT')[-1]
    assert put.path == '/v1/AUTH_test/bucket/dir/k'   # tempauth swapped the account
    assert put.headers['X-Object-Meta-Color'] == 'blue'
    assert put.headers['Content-Type'] == 'text/plain'
    assert 'Authorization' not in put.headers
    assert put.env['REMOTE_USER'].split(',')[:2] == ['test', 'test:tester']
    status, headers, body = call(app, sign('GET', '/bucket/dir/k'))
    assert (status, body) == (200, b'hello')
    assert headers['x-amz-meta-color'] == 'blue'
    assert headers['Etag'] == '"%s"' % hashlib.md5(b'hello').hexdigest()
    status, headers, body = call(app, sign('HEAD', '/bucket/dir/k'))
    assert (status, body, headers['Content-Length']) == (200, b'', '5')


def test_get_missing_key_and_bucket(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket/nope'))
    assert (status, error_code(body)) == (404, 'NoSuchKey')
    assert b'<Key>nope</Key>' in body
    status, _headers, body = call(app, sign('GET', '/other/nope'))
    assert (status, error_code(body)) == (404, 'NoSuchBucket')
    status, headers, body = call(app, sign('HEAD', '/bucket/nope'))
    assert (status, body) == (404, b'')


def test_sha256_mismatch_stores_nothing(s3):
    app, swift, _clock = s3
    env = sign('PUT', '/bucket/k', body=b'signed body')
    env['wsgi.input'] = io.BytesIO(b'other body!')
    status, _headers, body = call(app, env)
    assert (status, error_code(body)) == (400, 'XAmzContentSHA256Mismatch')
    assert swift.objects == {}


def test_unsigned_payload_is_accepted(s3):
    app, swift, _clock = s3
    env = sign('PUT', '/bucket/k', body=b'data',
               headers={'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD'})
    status, _headers, _body = call(app, env)
    assert status == 200
    assert swift.objects['/v1/AUTH_test/bucket/k'][1] == b'data'


def test_content_md5(s3):
    app, swift, _clock = s3
    good = base64.b64encode(hashlib.md5(b'data').digest()).decode()
    bad = base64.b64encode(hashlib.md5(b'else').digest()).decode()
    assert call(app, sign('PUT', '/bucket/a', body=b'data',
                          headers={'Content-MD5': good}))[0] == 200
    status, _headers, body = call(app, sign('PUT', '/bucket/b', body=b'data',
                                            headers={'Content-MD5': bad}))
    assert (status, error_code(body)) == (400, 'BadDigest')
    status, _headers, body = call(app, sign('PUT', '/bucket/c', body=b'data',
                                            headers={'Content-MD5': 'abc'}))
    assert (status, error_code(body)) == (400, 'InvalidDigest')
    assert sorted(swift.objects) == ['/v1/AUTH_test/bucket/a']


def _streaming_env(path, payload, decoded, extra=None):
    """A PUT of ``path`` signed (V4, header) with the streaming ``payload`` hash.

    :returns: (environ without body, signing key, scope, amz date, seed signature).
    """
    amz_date = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    env = sign('GET', path)   # a template environ
    for key in [k for k in env
                if k.startswith('HTTP_X_AMZ') or k == 'HTTP_AUTHORIZATION']:
        del env[key]
    env.update({'REQUEST_METHOD': 'PUT', 'HTTP_X_AMZ_DATE': amz_date,
                'HTTP_X_AMZ_CONTENT_SHA256': payload,
                'HTTP_X_AMZ_DECODED_CONTENT_LENGTH': str(decoded),
                'HTTP_CONTENT_ENCODING': 'aws-chunked'})
    env.update(extra or {})
    credential = signing.V4Credential(ACCESS_KEY, amz_date[:8], 'us-east-1', 's3')
    signed = sorted(['host', 'content-encoding'] + [
        k[5:].lower().replace('_', '-') for k in env if k.startswith('HTTP_X_AMZ_')])
    canonical = signing.canonical_request('PUT', path, '', env, signed, payload)
    key = signing.v4_signing_key(SECRET_KEY, credential)
    seed = signing.v4_signature(key, signing.v4_string_to_sign(
        amz_date, credential.scope, canonical))
    env['HTTP_AUTHORIZATION'] = (
        'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
            ACCESS_KEY, credential.scope, ';'.join(signed), seed))
    return env, key, credential.scope, amz_date, seed


def _set_body(env, body):
    env['wsgi.input'] = io.BytesIO(body)
    env['CONTENT_LENGTH'] = str(len(body))
    return env


def _chunked_env(chunks, tamper=False):
    """A PUT signed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD and its aws-chunked body."""
    env, key, scope, amz_date, seed = _streaming_env(
        '/bucket/chunky', signing.STREAMING_PAYLOAD, sum(len(c) for c in chunks))
    body, previous = b'', seed
    for chunk in list(chunks) + [b'']:
        sig = signing.v4_signature(key, signing.chunk_string_to_sign(
            amz_date, scope, previous, chunk))
        if tamper and chunk:
            sig = '0' * 64
        body += b'%x;chunk-signature=%s\r\n%s\r\n' % (len(chunk), sig.encode(), chunk)
        previous = sig
    return _set_body(env, body)


def test_aws_chunked_upload(s3):
    app, swift, _clock = s3
    status, _headers, body = call(app, _chunked_env([b'a' * 100, b'b' * 7]))
    assert status == 200, body
    assert swift.objects['/v1/AUTH_test/bucket/chunky'][1] == b'a' * 100 + b'b' * 7
    put = swift.calls_of('PUT')[-1]
    assert 'Content-Encoding' not in put.headers


def test_aws_chunked_bad_chunk_signature_stores_nothing(s3):
    app, swift, _clock = s3
    status, _headers, body = call(app, _chunked_env([b'a' * 100], tamper=True))
    assert (status, error_code(body)) == (403, 'SignatureDoesNotMatch')
    assert swift.objects == {}


def test_create_and_delete_bucket(s3):
    app, swift, _clock = s3
    status, headers, _body = call(app, sign('PUT', '/newbucket'))
    assert (status, headers['Location']) == (200, '/newbucket')
    status, _headers, body = call(app, sign('PUT', '/newbucket'))
    assert (status, error_code(body)) == (409, 'BucketAlreadyOwnedByYou')
    swift.put_object('/v1/AUTH_test/newbucket/obj', b'x')
    status, _headers, body = call(app, sign('DELETE', '/newbucket'))
    assert (status, error_code(body)) == (409, 'BucketNotEmpty')
    del swift.objects['/v1/AUTH_test/newbucket/obj']
    assert call(app, sign('DELETE', '/newbucket'))[0] == 204
    status, _headers, body = call(app, sign('DELETE', '/newbucket'))
    assert (status, error_code(body)) == (404, 'NoSuchBucket')


def test_create_bucket_location_constraint(s3):
    app, _swift, _clock = s3
    xml = (b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           b'<LocationConstraint>eu-west-1</LocationConstraint>'
           b'</CreateBucketConfiguration>')
    status, _headers, body = call(app, sign('PUT', '/locbucket', body=xml))
    assert (status, error_code(body)) == (400, 'InvalidLocationConstraint')
    status, _headers, body = call(app, sign('PUT', '/locbucket', body=b'<oops'))
    assert (status, error_code(body)) == (400, 'MalformedXML')


@pytest.mark.parametrize('name', ['ab', 'Upper', 'a..b', '192.168.1.1', '-ab', 'a' * 64])
def test_invalid_bucket_names(s3, name):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/%s' % name))
    assert (status, error_code(body)) == (400, 'InvalidBucketName')


def test_key_too_long(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('PUT', '/bucket/' + 'k' * 1025, body=b''))
    assert (status, error_code(body)) == (400, 'KeyTooLongError')


def test_unexpected_exception_is_internal_error():
    app, swift, _clock = pipeline()

    def broken(env, start_response):
        raise RuntimeError('boom')
    app.app.app = broken
    status, _headers, body = call(app, sign('GET', '/bucket/k'))
    assert (status, error_code(body)) == (500, 'InternalError')


def test_unsupported_subresource(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket?lifecycle'))
    assert (status, error_code(body)) == (501, 'NotImplemented')


def test_delete_objects(s3):
    app, swift, _clock = s3
    swift.put_object('/v1/AUTH_test/bucket/a', b'1')
    xml = (b'<Delete><Object><Key>a</Key></Object><Object><Key>gone</Key></Object>'
           b'</Delete>')
    status, _headers, body = call(app, sign('POST', '/bucket?delete', body=xml))
    assert status == 200
    root = ElementTree.fromstring(body)
    assert [e.find(NS + 'Key').text for e in root.findall(NS + 'Deleted')] == [
        'a', 'gone']
    assert swift.objects == {}
    quiet = b'<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>'
    status, _headers, body = call(app, sign('POST', '/bucket?delete', body=quiet))
    assert status == 200 and ElementTree.fromstring(body).findall(NS + 'Deleted') == []
    many = b'<Delete>%s</Delete>' % b''.join(
        b'<Object><Key>k%d</Key></Object>' % n for n in range(1001))
    status, _headers, body = call(app, sign('POST', '/bucket?delete', body=many))
    assert (status, error_code(body)) == (400, 'MalformedXML')


def test_list_objects_xml(s3):
    app, swift, _clock = s3
    swift.listings['/v1/AUTH_test/bucket'] = [
        {'name': 'a b', 'bytes': 3, 'hash': 'd41d8cd98f00b204e9800998ecf8427e',
         'last_modified': '2026-11-30T01:02:03.456789'},
        {'subdir': 'dir/'},
        {'name': 'mp', 'bytes': 10, 'hash': 'abc; s3_etag=0123-2; slo_etag=zz',
         'last_modified': '2026-11-30T01:02:03.000000'}]
    status, _headers, body = call(app, sign(
        'GET', '/bucket?delimiter=%2F&max-keys=2&encoding-type=url'))
    assert status == 200, body
    root = ElementTree.fromstring(body)
    assert root.tag == NS + 'ListBucketResult'
    assert root.find(NS + 'IsTruncated').text == 'true'
    assert root.find(NS + 'NextMarker').text == 'dir/'
    contents = root.findall(NS + 'Contents')
    assert [c.find(NS + 'Key').text for c in contents] == ['a%20b']
    assert contents[0].find(NS + 'LastModified').text == '2026-11-30T01:02:04.000Z'
    assert contents[0].find(NS + 'ETag').text == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert [p.find(NS + 'Prefix').text for p in root.findall(NS + 'CommonPrefixes')] \
        == ['dir/']
    query = [c for c in swift.calls if c.path == '/v1/AUTH_test/bucket'][-1].query
    assert 'limit=3' in query and 'delimiter=%2F' in query
    status, _headers, body = call(app, sign('GET', '/bucket?list-type=2'))
    root = ElementTree.fromstring(body)
    assert root.find(NS + 'KeyCount').text == '3'
    etags = [c.find(NS + 'ETag').text for c in root.findall(NS + 'Contents')]
    assert etags[-1] == '"0123-2"'
    assert root.find(NS + 'Contents').find(NS + 'Owner') is None


def test_bad_max_keys(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket?max-keys=-1'))
    assert (status, error_code(body)) == (400, 'InvalidArgument')


def test_bucket_location_acl_versioning(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('GET', '/bucket?location'))
    assert status == 200
    root = ElementTree.fromstring(body)
    assert root.tag == NS + 'LocationConstraint' and not root.text
    status, _headers, body = call(app, sign('GET', '/bucket?acl'))
    root = ElementTree.fromstring(body)
    grant = root.find(NS + 'AccessControlList').find(NS + 'Grant')
    assert grant.find(NS + 'Permission').text == 'FULL_CONTROL'
    status, _headers, body = call(app, sign('GET', '/bucket?versioning'))
    assert ElementTree.fromstring(body).tag == NS + 'VersioningConfiguration'


def test_head_bucket(s3):
    app, _swift, _clock = s3
    status, headers, body = call(app, sign('HEAD', '/bucket'))
    assert (status, body, headers['x-amz-bucket-region']) == (200, b'', 'us-east-1')


def test_head_error_has_no_body(s3):
    app, _swift, _clock = s3
    status, headers, body = call(app, sign('HEAD', '/nobucket'))
    assert (status, body) == (404, b'')


def test_host_header_is_kept_for_the_signature():
    env = sign('GET', '/bucket/k')
    assert env['HTTP_HOST'] == HOST


def test_virtual_hosted_style():
    app, swift, _clock = pipeline({'storage_domain': 'S3.Example.com'})
    swift.containers.add('/v1/AUTH_test/vbucket')
    env = sign('PUT', '/dir/key', body=b'v', host='vbucket.s3.example.com:8080')
    status, _headers, body = call(app, env)
    assert status == 200, body
    assert '/v1/AUTH_test/vbucket/dir/key' in swift.objects
    status, _headers, body = call(app, sign('GET', '/dir/key',
                                            host='vbucket.s3.example.com'))
    assert (status, body) == (200, b'v')


def test_conditional_put(s3):
    app, swift, _clock = s3
    swift.register('PUT', '/v1/AUTH_test/bucket/exists', 412)
    status, _headers, body = call(app, sign('PUT', '/bucket/exists', body=b'x',
                                            headers={'If-None-Match': '*'}))
    assert (status, error_code(body)) == (412, 'PreconditionFailed')
    put = swift.calls_of('PUT')[-1]
    assert put.headers['If-None-Match'] == '*'


def test_copy_with_range_is_refused(s3):
    app, swift, _clock = s3
    swift.put_object('/v1/AUTH_test/bucket/src', b'source')
    status, _headers, body = call(app, sign('PUT', '/bucket/dst', headers={
        'x-amz-copy-source': '/bucket/src', 'Range': 'bytes=0-1'}))
    assert (status, error_code(body)) == (400, 'InvalidArgument')
    assert '/v1/AUTH_test/bucket/dst' not in swift.objects


@pytest.mark.parametrize('authorization', [
    'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 Credential=', 'AWS4-HMAC-SHA256 a,b,c',
    'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x',
    'AWS ', 'AWS nocolon', 'AWS :sig', 'AWS key:', 'AWS4-HMAC-SHA256 \xff\xfe=,=,='])
def test_malformed_authorization_is_an_s3_error(s3, authorization):
    app, _swift, _clock = s3
    env = sign('GET', '/bucket/k')
    env['HTTP_AUTHORIZATION'] = authorization
    status, headers, body = call(app, env)
    assert 400 <= status < 500
    assert error_code(body) in ('AuthorizationHeaderMalformed', 'AccessDenied',
                                'SignatureDoesNotMatch', 'InvalidAccessKeyId')


@pytest.mark.parametrize('query', [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Credential=a/b',
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20261130%2Fus-east-1%2Fs3'
    '%2Faws4_request&X-Amz-Date=bad&X-Amz-Expires=10&X-Amz-SignedHeaders=host'
    '&X-Amz-Signature=x',
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20261130%2Fus-east-1%2Fs3'
    '%2Faws4_request&X-Amz-Date=20261130T000000Z&X-Amz-Expires=ten'
    '&X-Amz-SignedHeaders=host&X-Amz-Signature=x',
    'AWSAccessKeyId=a', 'AWSAccessKeyId=a&Signature=s&Expires=soon'])
def test_malformed_query_auth_is_an_s3_error(s3, query):
    app, _swift, _clock = s3
    env = sign('GET', '/bucket/k')
    del env['HTTP_AUTHORIZATION']
    env['QUERY_STRING'] = query
    status, _headers, body = call(app, env)
    assert 400 <= status < 500
    assert error_code(body) in ('AuthorizationQueryParametersError', 'AccessDenied')


def test_fuzzed_requests_get_s3_errors_not_tracebacks():
    import random
    rng = random.Random(20261130)
    alphabet = 'AWS4-HMAC-SHA256 Credential=/,;:=?&%+~ abcXYZ019\xe9\xff'
    for _ in range(300):
        app, swift, _clock = pipeline()
        swift.containers.add('/v1/AUTH_test/bucket')
        env = sign(rng.choice(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']),
                   '/bucket/k', body=b'x')

        def noise(size):
            return ''.join(rng.choice(alphabet) for _ in range(rng.randrange(size)))
        target = rng.randrange(4)
        if target == 0:
            env['HTTP_AUTHORIZATION'] = rng.choice(['AWS ', 'AWS4-HMAC-SHA256 ']) + \
                noise(80)
        elif target == 1:
            env['QUERY_STRING'] = noise(60)
        elif target == 2:
            env['PATH_INFO'] = '/' + noise(40)
        else:
            env['HTTP_X_AMZ_DATE'] = noise(20)
            env['HTTP_X_AMZ_CONTENT_SHA256'] = noise(70)
        status, headers, body = call(app, env)
        assert status != 500, (env, body)
        if 'x-amz-request-id' in headers and status >= 400 and body:
            assert ElementTree.fromstring(body).tag == 'Error'


@pytest.mark.parametrize('path', [
    '/bucket/k?response-content-type=text/html%0D%0ASet-Cookie:%20evil=1',
    '/bucket/k?response-content-disposition=a%0Ab',
    '/bucket/k?response-expires=%7F'])
def test_response_override_with_control_characters_is_refused(s3, path):
    # a presigned link must not be able to split the response (header injection)
    app, swift, _clock = s3
    call(app, sign('PUT', '/bucket/k', body=b'x'))
    status, headers, body = call(app, sign('GET', path))
    assert (status, error_code(body)) == (400, 'InvalidArgument')
    assert 'Set-Cookie' not in headers


@pytest.mark.parametrize('method, path, code', [
    ('PUT', '/bucket/a%00b', 'InvalidURI'),
    ('GET', '/bucket/%FF', 'InvalidURI'),
    ('DELETE', '/bucket/a%00b', 'InvalidURI'),
    ('GET', '/bucket?prefix=%00', 'InvalidArgument'),
    ('GET', '/bucket?marker=%FF', 'InvalidArgument'),
    ('GET', '/bucket?list-type=2&start-after=%00', 'InvalidArgument'),
    ('GET', '/bucket?uploads&prefix=%00', 'InvalidArgument'),
    ('DELETE', '/bucket/k?uploadId=%FF', 'InvalidArgument'),
])
def test_nul_or_invalid_utf8_in_names_is_a_400_not_a_500(s3, method, path, code):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign(method, path, body=b''))
    assert (status, error_code(body)) == (400, code)


def test_copy_source_with_nul_is_invalid_argument(s3):
    app, _swift, _clock = s3
    status, _headers, body = call(app, sign('PUT', '/bucket/dst', body=b'', headers={
        'x-amz-copy-source': '/bucket/a%00b'}))
    assert (status, error_code(body)) == (400, 'InvalidArgument')


def test_v2_bucket_request_signed_with_a_trailing_slash(s3):
    # botocore's V2 signer signs /bucket/ for a request sent to /bucket
    app, _swift, _clock = s3
    env = sign('GET', '/bucket/?prefix=a', version='v2')
    env['RAW_PATH_INFO'] = env['PATH_INFO'] = '/bucket'
    status, _headers, body = call(app, env)
    assert status == 200, body
    env = sign('GET', '/bucket/?prefix=a', version='v2', secret='wrong')
    env['RAW_PATH_INFO'] = env['PATH_INFO'] = '/bucket'
    status, _headers, body = call(app, env)
    assert (status, error_code(body)) == (403, 'SignatureDoesNotMatch')


def test_a_version_id_other_than_null_is_invalid_argument(s3):
    app, _swift, _clock = s3
    call(app, sign('PUT', '/bucket/k', body=b'x'))
    status, _headers, body = call(app, sign('GET', '/bucket/k?versionId=123'))
    assert (status, error_code(body)) == (400, 'InvalidArgument')
    status, _headers, body = call(app, sign('GET', '/bucket/k?versionId=null'))
    assert (status, body) == (200, b'x')


def _unsigned_trailer_env(chunks, trailer='x-amz-checksum-crc32', value=None):
    """A PUT as boto3 sends it over TLS: STREAMING-UNSIGNED-PAYLOAD-TRAILER, unsigned
    aws-chunked body, the checksum as a trailer."""
    import zlib
    data = b''.join(chunks)
    env = _streaming_env('/bucket/trailed', signing.STREAMING_UNSIGNED_TRAILER,
                         len(data), {'HTTP_X_AMZ_TRAILER': trailer})[0]
    if value is None:
        value = base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()
    body = b''.join(b'%x\r\n%s\r\n' % (len(c), c) for c in chunks)
    body += b'0\r\n%s:%s\r\n\r\n' % (trailer.encode(), value.encode())
    return _set_body(env, body)


def test_unsigned_payload_with_checksum_trailer(s3):
    app, swift, _clock = s3
    status, _headers, body = call(app, _unsigned_trailer_env([b'a' * 100, b'b' * 7]))
    assert status == 200, body
    assert swift.objects['/v1/AUTH_test/bucket/trailed'][1] == b'a' * 100 + b'b' * 7


def test_unsigned_payload_with_a_wrong_checksum_stores_nothing(s3):
    app, swift, _clock = s3
    status, _headers, body = call(app, _unsigned_trailer_env([b'abc'], value='AAAAAA=='))
    assert (status, error_code(body)) == (400, 'BadDigest')
    assert '/v1/AUTH_test/bucket/trailed' not in swift.objects


def test_unsigned_payload_with_an_unknown_checksum_is_refused(s3):
    app, swift, _clock = s3
    status, _headers, body = call(app, _unsigned_trailer_env(
        [b'abc'], trailer='x-amz-checksum-crc64nvme', value='x'))
    assert (status, error_code(body)) == (400, 'InvalidRequest')
    assert '/v1/AUTH_test/bucket/trailed' not in swift.objects


def test_a_body_too_slow_for_the_proxy_is_request_timeout(s3):
    app, swift, _clock = s3
    swift.register('PUT', '/v1/AUTH_test/bucket/slow', 408)
    status, _headers, body = call(app, sign('PUT', '/bucket/slow', body=b'x'))
    assert (status, error_code(body)) == (400, 'RequestTimeout')


def test_failed_if_unmodified_since_names_its_condition(s3):
    app, _swift, _clock = s3
    call(app, sign('PUT', '/bucket/k', body=b'x'))
    status, _headers, body = call(app, sign('GET', '/bucket/k', headers={
        'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:01 GMT'}))
    assert (status, error_code(body)) == (412, 'PreconditionFailed')
    assert b'<Condition>If-Unmodified-Since</Condition>' in body
