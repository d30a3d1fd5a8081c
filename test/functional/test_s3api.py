"""The S3 API (s3api + tempauth) over HTTP with boto3 and rclone: authentication
(V4 header, presigned, V2), buckets, objects, copies, multi-delete, multipart uploads,
and the same data seen through the Swift API."""

import hashlib
import os
import shutil
import subprocess
import time
import uuid

import pytest

boto3 = pytest.importorskip('boto3')
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

pytestmark = pytest.mark.functional

MIB = 1024 * 1024
ACCESS_KEY, SECRET_KEY = 'test:tester', 'testing'


def _endpoint(cluster):
    port = getattr(cluster, 'proxy_port', None)
    if port is None:
        pytest.skip('needs the all-in-one proxy port')
    return 'http://127.0.0.1:%d' % port


def _client(cluster, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
            signature_version='s3v4'):
    config = botocore.config.Config(s3={'addressing_style': 'path'},
                                    signature_version=signature_version,
                                    retries={'max_attempts': 1})
    return boto3.client('s3', endpoint_url=_endpoint(cluster),
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        region_name='us-east-1', config=config)


@pytest.fixture(scope='module')
def s3(cluster):
    return _client(cluster)


@pytest.fixture
def bucket(s3):
    name = 's3t-%s' % uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name)
    return name


def _http(cluster, method, path, body=None, headers=None):
    """One raw request to the proxy: (status, headers dict, body)."""
    import http.client
    conn = http.client.HTTPConnection('127.0.0.1', cluster.proxy_port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


# ---------------------------------------------------------------- auth

def test_wrong_secret_is_signature_does_not_match(cluster):
    bad = _client(cluster, secret_key='wrong')
    with pytest.raises(ClientError) as excinfo:
        bad.list_buckets()
    assert _code(excinfo) == 'SignatureDoesNotMatch'
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 403


def test_unknown_access_key(cluster):
    bad = _client(cluster, access_key='test:nobody')
    with pytest.raises(ClientError) as excinfo:
        bad.list_buckets()
    assert _code(excinfo) == 'InvalidAccessKeyId'


def test_tampered_signature_header_is_refused(cluster, s3, bucket):
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'x'},
                                    ExpiresIn=60)
    tampered = url[:-3] + ('000' if not url.endswith('000') else '111')
    path = tampered.split(str(cluster.proxy_port), 1)[1]
    status, headers, body = _http(cluster, 'GET', path)
    assert status == 403
    assert b'<Code>SignatureDoesNotMatch</Code>' in body
    assert headers.get('x-amz-request-id', '').startswith('tx')


def test_presigned_get_and_expiry(cluster, s3, bucket):
    s3.put_object(Bucket=bucket, Key='pre', Body=b'presigned body')
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket,
                                                          'Key': 'pre'}, ExpiresIn=60)
    path = url.split(str(cluster.proxy_port), 1)[1]
    status, _headers, body = _http(cluster, 'GET', path)
    assert (status, body) == (200, b'presigned body')
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket,
                                                          'Key': 'pre'}, ExpiresIn=1)
    time.sleep(2.5)
    path = url.split(str(cluster.proxy_port), 1)[1]
    status, _headers, body = _http(cluster, 'GET', path)
    assert status == 403
    assert b'<Code>AccessDenied</Code>' in body and b'expired' in body


def test_signature_v2(cluster, bucket):
    v2 = _client(cluster, signature_version='s3')
    v2.put_object(Bucket=bucket, Key='v2 key', Body=b'two')
    assert v2.get_object(Bucket=bucket, Key='v2 key')['Body'].read() == b'two'
    url = v2.generate_presigned_url('get_object', Params={'Bucket': bucket,
                                                          'Key': 'v2 key'})
    status, _headers, body = _http(cluster, 'GET',
                                   url.split(str(cluster.proxy_port), 1)[1])
    assert (status, body) == (200, b'two')
    bad = _client(cluster, secret_key='nope', signature_version='s3')
    with pytest.raises(ClientError) as excinfo:
        bad.get_object(Bucket=bucket, Key='v2 key')
    assert _code(excinfo) == 'SignatureDoesNotMatch'


def test_sha256_mismatch_stores_nothing(cluster, s3, bucket):
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = '%s/%s/bad-sha' % (_endpoint(cluster), bucket)
    request = AWSRequest(method='PUT', url=url, data=b'signed body')
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), 's3', 'us-east-1').add_auth(request)
    headers = dict(request.headers.items())
    status, _headers, body = _http(cluster, 'PUT', '/%s/bad-sha' % bucket,
                                   body=b'OTHER body!', headers=headers)
    assert status == 400, body
    assert b'XAmzContentSHA256Mismatch' in body
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key='bad-sha')
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


# ---------------------------------------------------------------- buckets

def test_bucket_lifecycle(cluster, s3):
    name = 's3t-%s' % uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name)
    assert name in [b['Name'] for b in s3.list_buckets()['Buckets']]
    s3.head_bucket(Bucket=name)
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket=name)
    assert _code(excinfo) == 'BucketAlreadyOwnedByYou'
    location = s3.get_bucket_location(Bucket=name)
    assert location['LocationConstraint'] is None
    s3.put_object(Bucket=name, Key='k', Body=b'v')
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=name)
    assert _code(excinfo) == 'BucketNotEmpty'
    s3.delete_object(Bucket=name, Key='k')
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 404
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects(Bucket=name)
    assert _code(excinfo) == 'NoSuchBucket'


def test_invalid_bucket_name(s3):
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects(Bucket='ab')
    assert _code(excinfo) == 'InvalidBucketName'


def test_list_objects_v1_and_v2(s3, bucket):
    keys = ['a/1', 'a/2', 'b/1', 'c', 'd e', 'f+g']
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = s3.list_objects(Bucket=bucket)
    assert [o['Key'] for o in listed['Contents']] == sorted(keys)
    assert listed['Contents'][0]['ETag'] == '"%s"' % hashlib.md5(b'a/1').hexdigest()
    assert listed['Contents'][0]['Size'] == 3
    delimited = s3.list_objects(Bucket=bucket, Delimiter='/')
    assert [p['Prefix'] for p in delimited['CommonPrefixes']] == ['a/', 'b/']
    assert [o['Key'] for o in delimited['Contents']] == ['c', 'd e', 'f+g']
    page = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert page['IsTruncated'] and len(page['Contents']) == 2
    rest = s3.list_objects(Bucket=bucket, Marker='a/2')
    assert [o['Key'] for o in rest['Contents']] == ['b/1', 'c', 'd e', 'f+g']
    prefixed = s3.list_objects_v2(Bucket=bucket, Prefix='a/')
    assert prefixed['KeyCount'] == 2
    pages = []
    token = None
    while True:
        kwargs = {'ContinuationToken': token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=4, **kwargs)
        pages.append([o['Key'] for o in page['Contents']])
        if not page['IsTruncated']:
            break
        token = page['NextContinuationToken']
    assert pages == [sorted(keys)[:4], sorted(keys)[4:]]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter='c')
    assert [o['Key'] for o in after['Contents']] == ['d e', 'f+g']
    encoded = s3.list_objects_v2(Bucket=bucket, Prefix='d', EncodingType='url')
    # asked for explicitly, boto3 leaves the keys encoded
    assert [o['Key'] for o in encoded['Contents']] == ['d%20e']


def test_bucket_acl_and_versioning(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl['Grants'][0]['Permission'] == 'FULL_CONTROL'
    assert acl['Owner']['ID'] == ACCESS_KEY
    assert 'Status' not in s3.get_bucket_versioning(Bucket=bucket)


# ---------------------------------------------------------------- objects

def test_put_get_head_object(cluster, s3, bucket):
    body = b'hello s3 ' * 100
    put = s3.put_object(Bucket=bucket, Key='dir/obj.txt', Body=body,
                        ContentType='text/plain', Metadata={'color': 'blue'})
    assert put['ETag'] == '"%s"' % hashlib.md5(body).hexdigest()
    got = s3.get_object(Bucket=bucket, Key='dir/obj.txt')
    assert got['Body'].read() == body
    assert got['ContentType'] == 'text/plain'
    assert got['Metadata'] == {'color': 'blue'}
    assert got['ETag'] == put['ETag']
    assert got['ResponseMetadata']['HTTPHeaders']['x-amz-request-id'].startswith('tx')
    head = s3.head_object(Bucket=bucket, Key='dir/obj.txt')
    assert head['ContentLength'] == len(body)
    part = s3.get_object(Bucket=bucket, Key='dir/obj.txt', Range='bytes=6-7')
    assert part['Body'].read() == b's3'
    assert part['ContentRange'] == 'bytes 6-7/%d' % len(body)
    swift = cluster.raw('GET', '/%s/dir/obj.txt' % bucket)
    assert swift.status == 200 and swift.body == body
    assert swift.headers['x-object-meta-color'] == 'blue'


def test_get_errors_and_conditionals(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key='missing')
    assert _code(excinfo) == 'NoSuchKey'
    etag = s3.put_object(Bucket=bucket, Key='c', Body=b'cond')['ETag']
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key='c', IfMatch='"nope"')
    assert _code(excinfo) == 'PreconditionFailed'
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key='c', IfNoneMatch=etag)
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 304
    assert s3.get_object(Bucket=bucket, Key='c', IfMatch=etag)['Body'].read() == b'cond'
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key='c', Range='bytes=100-200')
    assert _code(excinfo) == 'InvalidRange'
    got = s3.get_object(Bucket=bucket, Key='c', ResponseContentType='x/y',
                        ResponseContentDisposition='attachment')
    assert got['ContentType'] == 'x/y' and got['ContentDisposition'] == 'attachment'


def test_content_md5(s3, bucket):
    import base64
    good = base64.b64encode(hashlib.md5(b'data').digest()).decode()
    s3.put_object(Bucket=bucket, Key='m', Body=b'data', ContentMD5=good)
    wrong = base64.b64encode(hashlib.md5(b'other').digest()).decode()
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key='m2', Body=b'data', ContentMD5=wrong)
    assert _code(excinfo) == 'BadDigest'
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key='m3', Body=b'data', ContentMD5='xx')
    assert _code(excinfo) == 'InvalidDigest'


def test_delete_object_and_delete_objects(s3, bucket):
    for key in ('x1', 'x2', 'x3'):
        s3.put_object(Bucket=bucket, Key=key, Body=b'.')
    s3.delete_object(Bucket=bucket, Key='x1')
    s3.delete_object(Bucket=bucket, Key='never-there')
    result = s3.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': 'x2'}, {'Key': 'x3'}, {'Key': 'nope'}]})
    assert sorted(d['Key'] for d in result['Deleted']) == ['nope', 'x2', 'x3']
    s3.put_object(Bucket=bucket, Key='q', Body=b'.')
    quiet = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'q'}],
                                                     'Quiet': True})
    assert 'Deleted' not in quiet
    assert s3.list_objects(Bucket=bucket).get('Contents') is None
    with pytest.raises(ClientError) as excinfo:
        s3.delete_objects(Bucket=bucket, Delete={
            'Objects': [{'Key': 'k%d' % n} for n in range(1001)]})
    assert _code(excinfo) == 'MalformedXML'


def test_copy_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key='src', Body=b'copy me', ContentType='a/b',
                  Metadata={'m': '1'})
    result = s3.copy_object(Bucket=bucket, Key='dst',
                            CopySource={'Bucket': bucket, 'Key': 'src'})
    assert result['CopyObjectResult']['ETag'] == '"%s"' % hashlib.md5(
        b'copy me').hexdigest()
    got = s3.get_object(Bucket=bucket, Key='dst')
    assert (got['Body'].read(), got['ContentType'], got['Metadata']) == (
        b'copy me', 'a/b', {'m': '1'})
    s3.copy_object(Bucket=bucket, Key='dst2', CopySource='%s/src' % bucket,
                   MetadataDirective='REPLACE', Metadata={'n': '2'},
                   ContentType='c/d')
    got = s3.get_object(Bucket=bucket, Key='dst2')
    assert (got['ContentType'], got['Metadata']) == ('c/d', {'n': '2'})
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key='dst3', CopySource='%s/src' % bucket,
                       CopySourceIfMatch='"0000"')
    assert _code(excinfo) == 'PreconditionFailed'
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key='src', CopySource='%s/src' % bucket)
    assert _code(excinfo) == 'InvalidRequest'
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key='x', CopySource='%s/missing' % bucket)
    assert _code(excinfo) == 'NoSuchKey'


# ---------------------------------------------------------------- multipart

def test_multipart_upload_file_12mib(cluster, s3, bucket, tmp_path):
    from boto3.s3.transfer import TransferConfig
    data = os.urandom(12 * MIB)
    source = tmp_path / 'big'
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(source), bucket, 'big/file', Config=config)
    target = tmp_path / 'back'
    s3.download_file(bucket, 'big/file', str(target))
    assert hashlib.md5(target.read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()
    parts = [data[:5 * MIB], data[5 * MIB:10 * MIB], data[10 * MIB:]]
    expected = '"%s-3"' % hashlib.md5(b''.join(
        hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert s3.head_object(Bucket=bucket, Key='big/file')['ETag'] == expected
    listed = s3.list_objects_v2(Bucket=bucket)['Contents']
    assert [(o['Key'], o['ETag'], o['Size']) for o in listed] == [
        ('big/file', expected, len(data))]
    swift = cluster.raw('GET', '/%s/big/file' % bucket)
    assert swift.status == 200 and hashlib.md5(swift.body).hexdigest() == \
        hashlib.md5(data).hexdigest()
    assert swift.headers.get('x-static-large-object') == 'True'
    segments = cluster.raw('GET', '/%s+segments?format=json' % bucket).json()
    assert len(segments) == 3
    s3.delete_object(Bucket=bucket, Key='big/file')
    assert cluster.raw('GET', '/%s+segments?format=json' % bucket).json() == []


def test_multipart_api(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key='mp', ContentType='t/x',
                                        Metadata={'k': 'v'})
    upload_id = upload['UploadId']
    uploads = s3.list_multipart_uploads(Bucket=bucket)['Uploads']
    assert [(u['Key'], u['UploadId']) for u in uploads] == [('mp', upload_id)]
    part1 = b'a' * (5 * MIB)
    etag1 = s3.upload_part(Bucket=bucket, Key='mp', UploadId=upload_id, PartNumber=1,
                           Body=part1)['ETag']
    etag2 = s3.upload_part(Bucket=bucket, Key='mp', UploadId=upload_id, PartNumber=2,
                           Body=b'tail')['ETag']
    parts = s3.list_parts(Bucket=bucket, Key='mp', UploadId=upload_id)['Parts']
    assert [(p['PartNumber'], p['ETag'], p['Size']) for p in parts] == [
        (1, etag1, 5 * MIB), (2, etag2, 4)]
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=bucket, Key='mp', UploadId=upload_id,
                                     MultipartUpload={'Parts': [
                                         {'PartNumber': 2, 'ETag': etag2},
                                         {'PartNumber': 1, 'ETag': etag1}]})
    assert _code(excinfo) == 'InvalidPartOrder'
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=bucket, Key='mp', UploadId=upload_id,
                                     MultipartUpload={'Parts': [
                                         {'PartNumber': 1, 'ETag': '"%s"' % ('0' * 32)}]})
    assert _code(excinfo) == 'InvalidPart'
    done = s3.complete_multipart_upload(Bucket=bucket, Key='mp', UploadId=upload_id,
                                        MultipartUpload={'Parts': [
                                            {'PartNumber': 1, 'ETag': etag1},
                                            {'PartNumber': 2, 'ETag': etag2}]})
    assert done['ETag'].endswith('-2"')
    got = s3.get_object(Bucket=bucket, Key='mp')
    assert got['Body'].read() == part1 + b'tail'
    assert (got['ContentType'], got['Metadata'], got['ETag']) == ('t/x', {'k': 'v'},
                                                                  done['ETag'])
    assert s3.list_multipart_uploads(Bucket=bucket).get('Uploads') is None
    with pytest.raises(ClientError) as excinfo:
        s3.list_parts(Bucket=bucket, Key='mp', UploadId=upload_id)
    assert _code(excinfo) == 'NoSuchUpload'


def test_multipart_too_small_and_abort(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key='small')['UploadId']
    etags = [s3.upload_part(Bucket=bucket, Key='small', UploadId=upload_id,
                            PartNumber=n, Body=b'x' * 10)['ETag'] for n in (1, 2)]
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=bucket, Key='small', UploadId=upload_id,
                                     MultipartUpload={'Parts': [
                                         {'PartNumber': n, 'ETag': e}
                                         for n, e in zip((1, 2), etags)]})
    assert _code(excinfo) == 'EntityTooSmall'
    s3.abort_multipart_upload(Bucket=bucket, Key='small', UploadId=upload_id)
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part(Bucket=bucket, Key='small', UploadId=upload_id, PartNumber=3,
                       Body=b'z')
    assert _code(excinfo) == 'NoSuchUpload'


def test_upload_part_copy(s3, bucket):
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key='copy-src', Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key='pc')['UploadId']
    first = s3.upload_part_copy(Bucket=bucket, Key='pc', UploadId=upload_id,
                                PartNumber=1, CopySource='%s/copy-src' % bucket,
                                CopySourceRange='bytes=0-%d' % (5 * MIB - 1))
    second = s3.upload_part_copy(Bucket=bucket, Key='pc', UploadId=upload_id,
                                 PartNumber=2, CopySource='%s/copy-src' % bucket,
                                 CopySourceRange='bytes=%d-%d' % (5 * MIB, 6 * MIB - 1))
    s3.complete_multipart_upload(Bucket=bucket, Key='pc', UploadId=upload_id,
                                 MultipartUpload={'Parts': [
                                     {'PartNumber': 1,
                                      'ETag': first['CopyPartResult']['ETag']},
                                     {'PartNumber': 2,
                                      'ETag': second['CopyPartResult']['ETag']}]})
    assert s3.get_object(Bucket=bucket, Key='pc')['Body'].read() == source


# ---------------------------------------------------------------- rclone

def _rclone(cluster, *args):
    # rclone refuses a custom CA bundle on its plain-HTTP transport
    env = {k: v for k, v in os.environ.items() if k != 'AWS_CA_BUNDLE'}
    env.update({'RCLONE_CONFIG_S3T_TYPE': 's3', 'RCLONE_CONFIG_S3T_PROVIDER': 'Other',
                'RCLONE_CONFIG_S3T_ENDPOINT': _endpoint(cluster),
                'RCLONE_CONFIG_S3T_ACCESS_KEY_ID': ACCESS_KEY,
                'RCLONE_CONFIG_S3T_SECRET_ACCESS_KEY': SECRET_KEY,
                'RCLONE_CONFIG_S3T_REGION': 'us-east-1',
                'RCLONE_CONFIG_S3T_FORCE_PATH_STYLE': 'true',
                'RCLONE_CONFIG': '/dev/null'})
    proc = subprocess.run(['rclone', '--low-level-retries', '1', '--retries', '1']
                          + list(args), capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout.decode('utf-8')


@pytest.mark.skipif(shutil.which('rclone') is None, reason='rclone not installed')
def test_rclone(cluster, tmp_path):
    name = 'rclone-%s' % uuid.uuid4().hex[:8]
    _rclone(cluster, 'mkdir', 's3t:' + name)
    local = tmp_path / 'src'
    local.mkdir()
    (local / 'one.txt').write_bytes(b'first file\n')
    (local / 'sub').mkdir()
    (local / 'sub' / 'two.bin').write_bytes(os.urandom(70000))
    _rclone(cluster, 'copy', str(local), 's3t:' + name)
    listed = _rclone(cluster, 'ls', 's3t:' + name)
    assert sorted(line.split()[-1] for line in listed.splitlines()) == [
        'one.txt', 'sub/two.bin']
    assert _rclone(cluster, 'cat', 's3t:%s/one.txt' % name) == 'first file\n'
    swift = cluster.raw('GET', '/%s/sub/two.bin' % name)
    assert swift.body == (local / 'sub' / 'two.bin').read_bytes()
    assert name in _rclone(cluster, 'lsd', 's3t:')
    # a multipart upload by rclone (5 MiB parts), checked against the local files
    (local / 'big.bin').write_bytes(os.urandom(11 * MIB))
    _rclone(cluster, 'copy', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M',
            str(local), 's3t:' + name)
    head = cluster.raw('HEAD', '/%s/big.bin' % name)
    assert head.headers.get('x-static-large-object') == 'True'
    _rclone(cluster, 'check', str(local), 's3t:' + name)
    back = tmp_path / 'back'
    _rclone(cluster, 'copy', 's3t:' + name, str(back))
    assert (back / 'big.bin').read_bytes() == (local / 'big.bin').read_bytes()
    _rclone(cluster, 'delete', 's3t:' + name)
    assert _rclone(cluster, 'ls', 's3t:' + name) == ''
    _rclone(cluster, 'rmdir', 's3t:' + name)
    assert cluster.raw('HEAD', '/' + name).status == 404
    assert cluster.raw('HEAD', '/%s+segments' % name).status == 404


def test_awkward_keys(cluster, s3, bucket):
    keys = ['sp ace', 'plus+sign', 'caf\u00e9/\u2603', 'tilde~star*', 'q?mark&amp']
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode('utf-8'))
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == \
            key.encode('utf-8')
    listed = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket)['Contents']]
    assert listed == sorted(keys)
    assert [o['Key'] for o in s3.list_objects(Bucket=bucket)['Contents']] == \
        sorted(keys)
    import urllib.parse
    swift = cluster.raw('GET', '/%s/%s' % (bucket, urllib.parse.quote(
        'caf\u00e9/\u2603'.encode('utf-8'))))
    assert swift.body == 'caf\u00e9/\u2603'.encode('utf-8')


def test_aws_chunked_upload(cluster, s3, bucket):
    from swift.common.middleware.s3api import signing
    chunks = [os.urandom(65536), os.urandom(65536), b'tail']
    amz_date = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    host = '127.0.0.1:%d' % cluster.proxy_port
    headers = {'Host': host, 'X-Amz-Date': amz_date,
               'X-Amz-Content-SHA256': signing.STREAMING_PAYLOAD,
               'X-Amz-Decoded-Content-Length': str(sum(map(len, chunks))),
               'Content-Encoding': 'aws-chunked'}
    env = {'HTTP_' + k.upper().replace('-', '_'): v for k, v in headers.items()}
    signed = ('content-encoding', 'host', 'x-amz-content-sha256', 'x-amz-date',
              'x-amz-decoded-content-length')
    path = '/%s/chunked' % bucket
    credential = signing.V4Credential(ACCESS_KEY, amz_date[:8], 'us-east-1', 's3')
    canonical = signing.canonical_request('PUT', path, '', env, signed,
                                          signing.STREAMING_PAYLOAD)
    key = signing.v4_signing_key(SECRET_KEY, credential)
    seed = signing.v4_signature(key, signing.v4_string_to_sign(
        amz_date, credential.scope, canonical))
    headers['Authorization'] = (
        'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
            ACCESS_KEY, credential.scope, ';'.join(signed), seed))
    body, previous = b'', seed
    for chunk in chunks + [b'']:
        sig = signing.v4_signature(key, signing.chunk_string_to_sign(
            amz_date, credential.scope, previous, chunk))
        body += b'%x;chunk-signature=%s\r\n%s\r\n' % (len(chunk), sig.encode(), chunk)
        previous = sig
    status, _headers, answer = _http(cluster, 'PUT', path, body=body, headers=headers)
    assert status == 200, answer
    got = s3.get_object(Bucket=bucket, Key='chunked')
    assert got['Body'].read() == b''.join(chunks)
    assert got.get('ContentEncoding') is None


def test_swift_and_s3_see_the_same_things(cluster, s3):
    name = 'both-%s' % uuid.uuid4().hex[:8]
    assert cluster.raw('PUT', '/' + name).status == 201
    assert cluster.raw('PUT', '/%s/from-swift' % name, body=b'sw',
                       headers={'X-Object-Meta-Origin': 'swift'}).status == 201
    assert name in [b['Name'] for b in s3.list_buckets()['Buckets']]
    got = s3.get_object(Bucket=name, Key='from-swift')
    assert (got['Body'].read(), got['Metadata']) == (b'sw', {'origin': 'swift'})
    s3.put_object(Bucket=name, Key='from-s3', Body=b's3')
    listing = cluster.json_get('/%s?format=json' % name)
    assert [item['name'] for item in listing] == ['from-s3', 'from-swift']
    account = cluster.json_get('?format=json')
    assert name in [item['name'] for item in account]


def test_multipart_unicode_key(s3, bucket):
    key = 'm\u00fclti/p\u00e4rt \u2603'
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)['UploadId']
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                          Body=b'single part')['ETag']
    assert s3.list_multipart_uploads(Bucket=bucket)['Uploads'][0]['Key'] == key
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={'Parts': [{'PartNumber': 1,
                                                             'ETag': etag}]})
    assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == b'single part'
    assert s3.get_object(Bucket=bucket, Key=key, Range='bytes=7-')['Body'].read() == \
        b'part'
