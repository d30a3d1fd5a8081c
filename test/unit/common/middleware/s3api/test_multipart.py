"""Multipart uploads over the fake proxy: where parts and markers live, Complete's
checks (order, ETags, minimum size) and the manifest it writes, Abort, listings."""

import hashlib
import json
from xml.etree import ElementTree

import pytest

from swift.common.middleware.s3api import errors
from swift.common.middleware.s3api.multipart import (new_upload_id,
                                                     parse_complete_body,
                                                     s3_multipart_etag)
from test.unit.common.middleware.s3api.helpers import call, pipeline, sign

NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'
SEGMENTS = '/v1/AUTH_test/bucket+segments'


def error_code(body):
    return ElementTree.fromstring(body).find('Code').text


@pytest.fixture
def s3():
    app, swift, clock = pipeline({'min_segment_size': '10'})
    swift.containers.add('/v1/AUTH_test/bucket')
    return app, swift


def start(app, key='obj', headers=None):
    status, _headers, body = call(app, sign('POST', '/bucket/%s?uploads' % key,
                                            headers=headers))
    assert status == 200, body
    root = ElementTree.fromstring(body)
    assert root.find(NS + 'Key').text == key
    return root.find(NS + 'UploadId').text


def upload(app, upload_id, number, data, key='obj'):
    status, headers, body = call(app, sign(
        'PUT', '/bucket/%s?partNumber=%d&uploadId=%s' % (key, number, upload_id),
        body=data))
    assert status == 200, body
    return headers['Etag']


def complete_xml(parts):
    return ('<CompleteMultipartUpload>%s</CompleteMultipartUpload>' % ''.join(
        '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' % part
        for part in parts)).encode()


def test_s3_multipart_etag():
    etags = [hashlib.md5(b'a').hexdigest(), hashlib.md5(b'b').hexdigest()]
    expected = hashlib.md5(hashlib.md5(b'a').digest() + hashlib.md5(b'b').digest())
    assert s3_multipart_etag(etags) == expected.hexdigest() + '-2'


def test_upload_ids_are_never_all_digits():
    ids = {new_upload_id() for _ in range(50)}
    assert len(ids) == 50 and not any(i.isdigit() for i in ids)
    assert not any('/' in i or '=' in i for i in ids)


@pytest.mark.parametrize('xml, error', [
    (b'<nope', errors.MalformedXML),
    (b'<Other/>', errors.MalformedXML),
    (b'<CompleteMultipartUpload/>', errors.MalformedXML),
    (b'<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag>'
     b'</Part></CompleteMultipartUpload>', errors.MalformedXML),
    (complete_xml([(2, 'a'), (1, 'b')]), errors.InvalidPartOrder),
    (complete_xml([(1, 'a'), (1, 'b')]), errors.InvalidPartOrder)])
def test_parse_complete_body_errors(xml, error):
    with pytest.raises(error):
        parse_complete_body(xml)


def test_parse_complete_body_strips_quotes():
    assert parse_complete_body(complete_xml([(1, '"abc"'), (3, 'def')])) == [
        (1, 'abc'), (3, 'def')]


def test_whole_upload(s3):
    app, swift = s3
    upload_id = start(app, headers={'Content-Type': 'text/x', 'x-amz-meta-a': 'b'})
    marker = '%s/obj/%s' % (SEGMENTS, upload_id)
    assert marker in swift.objects
    etag1 = upload(app, upload_id, 1, b'x' * 10)
    etag2 = upload(app, upload_id, 2, b'tail')
    upload(app, upload_id, 3, b'unused part')
    assert '%s/obj/%s/2' % (SEGMENTS, upload_id) in swift.objects
    status, _headers, body = call(app, sign('GET', '/bucket/obj?uploadId=' + upload_id))
    parts = ElementTree.fromstring(body).findall(NS + 'Part')
    assert [(p.find(NS + 'PartNumber').text, p.find(NS + 'Size').text) for p in parts] \
        == [('1', '10'), ('2', '4'), ('3', '11')]
    status, _headers, body = call(app, sign('GET', '/bucket?uploads'))
    uploads = ElementTree.fromstring(body).findall(NS + 'Upload')
    assert [u.find(NS + 'UploadId').text for u in uploads] == [upload_id]
    status, _headers, body = call(app, sign(
        'POST', '/bucket/obj?uploadId=' + upload_id,
        body=complete_xml([(1, etag1), (2, etag2)])))
    assert status == 200, body
    expected = s3_multipart_etag([etag1.strip('"'), etag2.strip('"')])
    assert ElementTree.fromstring(body).find(NS + 'ETag').text == '"%s"' % expected
    put = [c for c in swift.calls if c.method == 'PUT'
           and c.path == '/v1/AUTH_test/bucket/obj'][-1]
    assert put.query == 'multipart-manifest=put'
    assert [(s['path'], s['size_bytes']) for s in json.loads(put.body)] == [
        ('/bucket+segments/obj/%s/1' % upload_id, 10),
        ('/bucket+segments/obj/%s/2' % upload_id, 4)]
    assert put.headers['Content-Type'] == 'text/x'
    assert put.headers['X-Object-Meta-A'] == 'b'
    assert put.headers['X-Object-Sysmeta-S3Api-Etag'] == expected
    assert put.headers['X-Object-Sysmeta-Container-Update-Override-Etag'] == \
        '; s3_etag=%s' % expected
    # the marker and the unused part are gone, the used parts stay
    assert sorted(n for n in swift.objects if n.startswith(SEGMENTS)) == [
        '%s/obj/%s/1' % (SEGMENTS, upload_id), '%s/obj/%s/2' % (SEGMENTS, upload_id)]
    status, _headers, body = call(app, sign('GET', '/bucket/obj?uploadId=' + upload_id))
    assert (status, error_code(body)) == (404, 'NoSuchUpload')


def test_complete_again_after_success(s3):
    app, swift = s3
    upload_id = start(app)
    etag = upload(app, upload_id, 1, b'only part')
    xml = complete_xml([(1, etag)])
    path = '/bucket/obj?uploadId=' + upload_id
    status, _headers, first = call(app, sign('POST', path, body=xml))
    assert status == 200
    # FakeSwift is no SLO: give the manifest the header the slo filter answers with
    swift.objects['/v1/AUTH_test/bucket/obj'][0]['X-Static-Large-Object'] = 'True'
    status, _headers, again = call(app, sign('POST', path, body=xml))
    assert (status, again) == (200, first)
    status, _headers, body = call(app, sign('POST', '/bucket/obj?uploadId=other',
                                            body=xml))
    assert (status, error_code(body)) == (404, 'NoSuchUpload')


def test_complete_checks_parts(s3):
    app, _swift = s3
    upload_id = start(app)
    etag1 = upload(app, upload_id, 1, b'short')
    etag2 = upload(app, upload_id, 2, b'tail')
    status, _headers, body = call(app, sign(
        'POST', '/bucket/obj?uploadId=' + upload_id,
        body=complete_xml([(1, etag1), (2, etag2)])))
    assert (status, error_code(body)) == (400, 'EntityTooSmall')
    status, _headers, body = call(app, sign(
        'POST', '/bucket/obj?uploadId=' + upload_id,
        body=complete_xml([(1, '"%s"' % ('0' * 32))])))
    assert (status, error_code(body)) == (400, 'InvalidPart')
    status, _headers, body = call(app, sign(
        'POST', '/bucket/obj?uploadId=' + upload_id,
        body=complete_xml([(7, etag1)])))
    assert (status, error_code(body)) == (400, 'InvalidPart')
    # one small part alone is fine: the last part has no minimum
    status, _headers, body = call(app, sign(
        'POST', '/bucket/obj?uploadId=' + upload_id, body=complete_xml([(1, etag1)])))
    assert status == 200, body


def test_abort(s3):
    app, swift = s3
    upload_id = start(app)
    upload(app, upload_id, 1, b'data')
    abort_path = '/bucket/obj?uploadId=' + upload_id
    status, _headers, _body = call(app, sign('DELETE', abort_path))
    assert status == 204
    assert not [n for n in swift.objects if n.startswith(SEGMENTS)]
    status, _headers, body = call(app, sign('DELETE', abort_path))
    assert (status, error_code(body)) == (404, 'NoSuchUpload')


@pytest.mark.parametrize('number', ['0', '1001', 'x'])
def test_bad_part_numbers(s3, number):
    app, _swift = s3
    upload_id = start(app)
    status, _headers, body = call(app, sign(
        'PUT', '/bucket/obj?partNumber=%s&uploadId=%s' % (number, upload_id), body=b'x'))
    assert (status, error_code(body)) == (400, 'InvalidArgument')


def test_part_of_unknown_upload(s3):
    app, _swift = s3
    status, _headers, body = call(app, sign(
        'PUT', '/bucket/obj?partNumber=1&uploadId=nope', body=b'x'))
    assert (status, error_code(body)) == (404, 'NoSuchUpload')


def test_start_in_missing_bucket(s3):
    app, _swift = s3
    status, _headers, body = call(app, sign('POST', '/nobucket/obj?uploads'))
    assert (status, error_code(body)) == (404, 'NoSuchBucket')


def test_list_uploads_prefix_delimiter_markers(s3):
    app, _swift = s3
    ids = {key: start(app, key) for key in ('a/1', 'a/2', 'b', 'c')}
    status, _headers, body = call(app, sign('GET', '/bucket?uploads&delimiter=%2F'))
    root = ElementTree.fromstring(body)
    assert [u.find(NS + 'Key').text for u in root.findall(NS + 'Upload')] == ['b', 'c']
    assert [p.find(NS + 'Prefix').text for p in root.findall(NS + 'CommonPrefixes')] \
        == ['a/']
    status, _headers, body = call(app, sign('GET', '/bucket?uploads&prefix=a%2F'))
    root = ElementTree.fromstring(body)
    assert [u.find(NS + 'UploadId').text for u in root.findall(NS + 'Upload')] == [
        ids['a/1'], ids['a/2']]
    status, _headers, body = call(app, sign('GET', '/bucket?uploads&key-marker=b'
                                            '&max-uploads=1'))
    root = ElementTree.fromstring(body)
    assert [u.find(NS + 'Key').text for u in root.findall(NS + 'Upload')] == ['c']
    assert root.find(NS + 'IsTruncated').text == 'false'
