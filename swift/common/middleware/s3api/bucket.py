# Service and bucket operations, mapped onto Swift accounts and containers as Swift's
# s3api does: a bucket is a container of the user's account; ``<bucket>+segments``
# holds multipart parts and is never listed as a bucket. ListObjects (v1 and v2) reads
# the container listing (JSON) with limit = max-keys + 1 to learn IsTruncated; a v2
# continuation token is the base64 of the last name returned.
"""ListBuckets, Create/Head/Delete bucket, ListObjects v1/v2, location, ACL,
versioning."""

import json
import urllib.parse

from swift.common.middleware.s3api import errors
from swift.common.middleware.s3api.responses import (decode_token, encode_token,
                                                     listing_etag, xml_response,
                                                     xml_time_from_iso)
from swift.common.middleware.s3api.s3request import valid_bucket_name
from swift.common.middleware.s3api.xmlutil import (XMLSyntaxError, child_text,
                                                   new_element, parse_xml,
                                                   sub_element)
from swift.common.swob import Response, str_to_wsgi, wsgi_to_str

ACCOUNT_LISTING_LIMIT = 10000      # Swift's container_listing_limit
REQUEST_XML_BYTES_MAX = 64 * 1024  # CreateBucketConfiguration is tiny


def segments_container(bucket):
    """The container holding a bucket's multipart parts (Swift's name)."""
    return bucket + '+segments'


def swift_query(**params):
    """A query string from WSGI-str values (None skipped), quoted by raw bytes."""
    return '&'.join('%s=%s' % (name, urllib.parse.quote(str(value).encode('latin-1'),
                                                        safe=''))
                    for name, value in params.items() if value is not None)


def listing(s3req, app, container, error, **params):
    """One JSON listing page (list of dicts) of ``container`` (or the account).

    :param error: S3Error class raised on 404 (None: an empty list).
    """
    resp = s3req.get_response(app, 'GET', container,
                              query=swift_query(format='json', **params))
    if resp.status_int == 404:
        if error is None:
            return []
        raise error(BucketName=container and wsgi_to_str(container))
    if resp.status_int == 204:
        return []
    if resp.status_int != 200:
        raise errors.InternalError('unexpected listing status %s' % resp.status)
    try:
        return json.loads(resp.body)
    except ValueError:
        raise errors.InternalError('unreadable listing')


def add_owner(parent, s3req, tag='Owner'):
    """``<Owner><ID>user</ID><DisplayName>user</DisplayName></Owner>``."""
    owner = sub_element(parent, tag)
    user = wsgi_to_str(s3req.auth.access_key)
    sub_element(owner, 'ID', user)
    sub_element(owner, 'DisplayName', user)
    return owner


def list_buckets(s3req, app):
    """GET /: every container that is a valid bucket name."""
    root = new_element('ListAllMyBucketsResult')
    add_owner(root, s3req)
    buckets = sub_element(root, 'Buckets')
    marker = None
    while True:
        page = listing(s3req, app, None, None,
                       limit=ACCOUNT_LISTING_LIMIT,
                       marker=marker and str_to_wsgi(marker))
        for item in page:
            name = item.get('name', '')
            if not valid_bucket_name(str_to_wsgi(name),
                                     s3req.config.dns_compliant_bucket_names):
                continue
            bucket = sub_element(buckets, 'Bucket')
            sub_element(bucket, 'Name', name)
            sub_element(bucket, 'CreationDate', xml_time_from_iso(
                item.get('last_modified') or ''))
        if len(page) < ACCOUNT_LISTING_LIMIT:
            break
        marker = page[-1]['name']
    return xml_response(root)


def check_bucket(s3req, app, bucket=None):
    """HEAD the bucket's container.

    :raises NoSuchBucket: when it does not exist.
    """
    bucket = bucket or s3req.bucket
    resp = s3req.get_response(app, 'HEAD', bucket)
    resp.body
    if resp.status_int == 404:
        raise errors.NoSuchBucket(BucketName=wsgi_to_str(bucket))
    if not resp.is_success:
        raise errors.InternalError('unexpected HEAD status %s' % resp.status)
    return resp


def create_bucket(s3req, app):
    """PUT /<bucket>: create the container (optional CreateBucketConfiguration)."""
    body = s3req.read_body(REQUEST_XML_BYTES_MAX)
    if body.strip():
        try:
            location = child_text(parse_xml(body), 'LocationConstraint')
        except XMLSyntaxError:
            raise errors.MalformedXML()
        if location and location != s3req.config.location:
            raise errors.InvalidLocationConstraint()
    resp = s3req.get_response(app, 'PUT', s3req.bucket)
    resp.body
    if resp.status_int == 202:
        raise errors.BucketAlreadyOwnedByYou(BucketName=wsgi_to_str(s3req.bucket))
    if resp.status_int not in (201, 204):
        raise errors.InternalError('unexpected PUT status %s' % resp.status)
    return Response(status=200, headers={'Location': '/' + s3req.bucket})


def head_bucket(s3req, app):
    """HEAD /<bucket> (with x-amz-bucket-region, as AWS answers)."""
    check_bucket(s3req, app)
    return Response(status=200, headers={'x-amz-bucket-region': s3req.config.location})


def delete_bucket(s3req, app):
    """DELETE /<bucket>: 409 from Swift -> BucketNotEmpty; then the segments container
    (leftovers of aborted uploads) goes too."""
    resp = s3req.get_response(app, 'DELETE', s3req.bucket)
    resp.body
    if resp.status_int == 404:
        raise errors.NoSuchBucket(BucketName=wsgi_to_str(s3req.bucket))
    if resp.status_int == 409:
        raise errors.BucketNotEmpty(BucketName=wsgi_to_str(s3req.bucket))
    if not resp.is_success:
        raise errors.InternalError('unexpected DELETE status %s' % resp.status)
    delete_segments_container(s3req, app, s3req.bucket)
    return Response(status=204)


def delete_segments_container(s3req, app, bucket):
    """Best effort: empty and delete ``<bucket>+segments``."""
    container = segments_container(bucket)
    try:
        page = listing(s3req, app, container, errors.NoSuchBucket)
    except errors.S3Error:
        return
    while page:
        for item in page:
            s3req.get_response(app, 'DELETE', container,
                               str_to_wsgi(item['name'])).body
        page = listing(s3req, app, container, errors.NoSuchBucket)
    s3req.get_response(app, 'DELETE', container).body


def get_location(s3req, app):
    """GET /<bucket>?location (empty for us-east-1, as AWS answers)."""
    check_bucket(s3req, app)
    root = new_element('LocationConstraint')
    if s3req.config.location != 'us-east-1':
        root.text = s3req.config.location
    return xml_response(root)


def canned_acl(s3req):
    """The owner-FULL_CONTROL AccessControlPolicy (s3_acl off, Swift's answer)."""
    root = new_element('AccessControlPolicy')
    add_owner(root, s3req)
    acl = sub_element(root, 'AccessControlList')
    grant = sub_element(acl, 'Grant')
    grantee = sub_element(grant, 'Grantee')
    grantee.set('xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance')
    grantee.set('xsi:type', 'CanonicalUser')
    user = wsgi_to_str(s3req.auth.access_key)
    sub_element(grantee, 'ID', user)
    sub_element(grantee, 'DisplayName', user)
    sub_element(grant, 'Permission', 'FULL_CONTROL')
    return xml_response(root)


def get_versioning(s3req, app):
    """GET /<bucket>?versioning: versioning is never enabled (empty configuration)."""
    check_bucket(s3req, app)
    return xml_response(new_element('VersioningConfiguration'))


# ---------------------------------------------------------------- ListObjects

def _max_keys(s3req):
    raw = s3req.params.get('max-keys', '1000')
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0 or value > 2 ** 31 - 1:
        raise errors.InvalidArgument('Provided max-keys not an integer or within '
                                     'integer range', ArgumentName='max-keys',
                                     ArgumentValue=raw)
    return min(value, s3req.config.max_bucket_listing)


def _listing_args(s3req):
    params = s3req.params
    encoding = params.get('encoding-type')
    if encoding is not None and encoding != 'url':
        raise errors.InvalidArgument('Invalid Encoding Method specified in Request',
                                     ArgumentName='encoding-type',
                                     ArgumentValue=encoding)
    version2 = params.get('list-type') == '2'
    if 'list-type' in params and not version2:
        raise errors.InvalidArgument('Invalid List Type specified in Request',
                                     ArgumentName='list-type',
                                     ArgumentValue=params['list-type'])
    if version2:
        marker = params.get('start-after')
        if params.get('continuation-token') is not None:
            try:
                marker = str_to_wsgi(decode_token(params['continuation-token']))
            except ValueError:
                raise errors.InvalidArgument('The continuation token provided is '
                                             'incorrect',
                                             ArgumentName='continuation-token')
    else:
        marker = params.get('marker')
    return version2, marker, encoding == 'url'


def list_objects(s3req, app):
    """GET /<bucket> (ListObjects, or ListObjectsV2 with list-type=2)."""
    version2, marker, url_encode = _listing_args(s3req)
    max_keys = _max_keys(s3req)
    params = s3req.params
    prefix, delimiter = params.get('prefix'), params.get('delimiter')
    entries = listing(s3req, app, s3req.bucket, errors.NoSuchBucket,
                      limit=max_keys + 1, prefix=prefix or None,
                      delimiter=delimiter or None, marker=marker or None)
    truncated = len(entries) > max_keys
    entries = entries[:max_keys]

    def enc(text):
        return urllib.parse.quote(text.encode('utf-8')) if url_encode else text

    root = new_element('ListBucketResult')
    sub_element(root, 'Name', wsgi_to_str(s3req.bucket))
    sub_element(root, 'Prefix', enc(wsgi_to_str(prefix or '')))
    if version2:
        if params.get('start-after') is not None:
            sub_element(root, 'StartAfter', enc(wsgi_to_str(params['start-after'])))
    else:
        sub_element(root, 'Marker', enc(wsgi_to_str(marker or '')))
        if truncated and delimiter and entries:
            last = entries[-1]
            sub_element(root, 'NextMarker', enc(last.get('name', last.get('subdir'))))
    sub_element(root, 'MaxKeys', max_keys)
    if delimiter:
        sub_element(root, 'Delimiter', enc(wsgi_to_str(delimiter)))
    if url_encode:
        sub_element(root, 'EncodingType', 'url')
    if version2:
        sub_element(root, 'KeyCount', len(entries))
    sub_element(root, 'IsTruncated', truncated)
    if version2:
        if params.get('continuation-token') is not None:
            sub_element(root, 'ContinuationToken', params['continuation-token'])
        if truncated and entries:
            last = entries[-1]
            sub_element(root, 'NextContinuationToken',
                        encode_token(last.get('name', last.get('subdir'))))
    with_owner = not version2 or params.get('fetch-owner') == 'true'
    for item in entries:
        _add_entry(root, s3req, item, enc, with_owner)
    return xml_response(root)


def _add_entry(root, s3req, item, enc, with_owner):
    if 'subdir' in item:
        common = sub_element(root, 'CommonPrefixes')
        sub_element(common, 'Prefix', enc(item['subdir']))
        return
    contents = sub_element(root, 'Contents')
    sub_element(contents, 'Key', enc(item['name']))
    sub_element(contents, 'LastModified', xml_time_from_iso(item.get('last_modified',
                                                                     '')))
    sub_element(contents, 'ETag', listing_etag(item))
    sub_element(contents, 'Size', item.get('bytes', 0))
    if with_owner:
        add_owner(contents, s3req)
    sub_element(contents, 'StorageClass', 'STANDARD')
