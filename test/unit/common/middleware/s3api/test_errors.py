"""S3 error documents and the response helpers (ETags, times, tokens)."""

from xml.etree import ElementTree

import pytest

from swift.common.middleware.s3api import errors, responses


def test_error_document():
    err = errors.NoSuchKey(Key='a/b')
    resp = err.response('tx1')
    assert resp.status_int == 404
    assert resp.headers['Content-Type'] == 'application/xml'
    assert resp.body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = ElementTree.fromstring(resp.body)
    assert [(c.tag, c.text) for c in root] == [
        ('Code', 'NoSuchKey'), ('Message', 'The specified key does not exist.'),
        ('Key', 'a/b'), ('RequestId', 'tx1')]


def test_head_error_has_no_body():
    resp = errors.NoSuchBucket(BucketName='b').response('tx1', method='HEAD')
    assert (resp.status_int, resp.body, resp.headers['Content-Length']) == (
        404, b'', '0')


@pytest.mark.parametrize('cls, status, code', [
    (errors.SignatureDoesNotMatch, 403, 'SignatureDoesNotMatch'),
    (errors.InvalidAccessKeyId, 403, 'InvalidAccessKeyId'),
    (errors.RequestTimeTooSkewed, 403, 'RequestTimeTooSkewed'),
    (errors.XAmzContentSHA256Mismatch, 400, 'XAmzContentSHA256Mismatch'),
    (errors.BucketNotEmpty, 409, 'BucketNotEmpty'),
    (errors.EntityTooSmall, 400, 'EntityTooSmall'),
    (errors.NotImplementedError_, 501, 'NotImplemented'),
    (errors.InvalidRange, 416, 'InvalidRange')])
def test_codes_and_statuses(cls, status, code):
    err = cls()
    assert (err.status, err.error_code) == (status, code)
    assert ElementTree.fromstring(err.xml_body()).find('Code').text == code


def test_custom_message_and_none_extras():
    err = errors.InvalidArgument('bad', ArgumentName='x', ArgumentValue=None)
    root = ElementTree.fromstring(err.xml_body('t'))
    assert root.find('Message').text == 'bad'
    assert root.find('ArgumentValue') is None


def test_times():
    assert responses.xml_time_from_iso('2026-11-30T01:02:03.000001') == \
        '2026-11-30T01:02:04.000Z'
    assert responses.xml_time_from_iso('2026-11-30T01:02:03.000000') == \
        '2026-11-30T01:02:03.000Z'
    assert responses.xml_time_from_http('Mon, 30 Nov 2026 01:02:03 GMT', 0) == \
        '2026-11-30T01:02:03.000Z'


def test_etags():
    assert responses.quoted('abc') == '"abc"' and responses.quoted('"abc"') == '"abc"'
    assert responses.listing_etag({'hash': 'abc'}) == '"abc"'
    assert responses.listing_etag({'hash': 'abc; s3_etag=def-2; slo_etag=x'}) == \
        '"def-2"'
    slo = {'Etag': '"slo"', 'X-Static-Large-Object': 'True',
           'X-Object-Sysmeta-S3Api-Etag': 'mp-3'}
    assert responses.object_etag(slo) == '"mp-3"'
    copied = {'Etag': 'plain', 'X-Object-Sysmeta-S3Api-Etag': 'mp-3'}
    assert responses.object_etag(copied) == '"plain"'


def test_object_headers():
    out = responses.object_headers({'Content-Type': 't', 'X-Object-Meta-Color': 'b',
                                    'Etag': 'e', 'X-Timestamp': '1',
                                    'X-Object-Sysmeta-Secret': 's'})
    assert out == {'Content-Type': 't', 'x-amz-meta-color': 'b', 'ETag': '"e"'}


def test_continuation_tokens():
    assert responses.decode_token(responses.encode_token('k\u00e9y')) == 'k\u00e9y'
    with pytest.raises(ValueError):
        responses.decode_token('***')
