# Object operations on Swift objects (Swift's s3api ObjectController):
#   * GET/HEAD pass Range and If-* to Swift; 304/412/416 become S3's answers; the
#     response-* query parameters override headers; a 404 says NoSuchBucket when the
#     container is missing, else NoSuchKey;
#   * PUT checks Content-MD5 (base64 of 16 bytes, else InvalidDigest) by sending it
#     as the Swift Etag (a 422 is BadDigest); the body goes through the sha256 /
#     aws-chunked verifier (s3request.body_input);
#   * PUT with x-amz-copy-source is a Swift copy (X-Copy-From, the copy middleware),
#     after a HEAD of the source that evaluates x-amz-copy-source-if-*; a Range header
#     is refused (InvalidArgument, as Swift 2.38);
#     x-amz-metadata-directive REPLACE sends X-Fresh-Metadata;
#   * DELETE of a multipart (SLO) object deletes its segments too
#     (multipart-manifest=delete); deleting a missing key is a success.
"""GetObject, HeadObject, PutObject, CopyObject, DeleteObject."""

import base64
import binascii
import time

from swift.common.middleware.s3api import errors
from swift.common.middleware.s3api.bucket import check_bucket
from swift.common.middleware.s3api.s3request import usable_name
from swift.common.middleware.s3api.responses import (RESPONSE_OVERRIDES,
                                                     object_etag,
                                                     object_headers, xml_response,
                                                     xml_time_from_http)
from swift.common.middleware.s3api.xmlutil import new_element, sub_element
from swift.common.swob import (Match, Response, parse_http_date, wsgi_quote,
                               wsgi_to_str, wsgi_unquote)

CONDITIONAL_HEADERS = ('Range', 'If-Match', 'If-None-Match', 'If-Modified-Since',
                       'If-Unmodified-Since')


def _missing(s3req, app, method):
    """NoSuchBucket or NoSuchKey for an object 404."""
    if method != 'HEAD':
        check_bucket(s3req, app)
    return errors.NoSuchKey(Key=wsgi_to_str(s3req.object_name))


def check_etag_conditions(s3req, app, headers):
    """If-Match / If-None-Match against the *S3* ETag (a multipart object's differs
    from the one Swift compares), taken out of ``headers`` and evaluated on a HEAD.

    :returns: None, or a 304 Response for a matching If-None-Match.
    :raises PreconditionFailed: If-Match fails.
    """
    if_match = headers.pop('If-Match', None)
    if_none_match = headers.pop('If-None-Match', None)
    if not if_match and not if_none_match:
        return None
    head = s3req.get_response(app, 'HEAD', s3req.bucket, s3req.object_name)
    head.body
    if head.status_int == 404:
        raise _missing(s3req, app, s3req.method)
    if not head.is_success:
        raise errors.InternalError('unexpected HEAD status %s' % head.status)
    etag = object_etag(head.headers).strip('"')
    if if_match and not Match(if_match).is_star and etag not in Match(if_match):
        raise errors.PreconditionFailed(Condition='If-Match')
    if if_none_match and (Match(if_none_match).is_star or etag in Match(if_none_match)):
        out = object_headers(head.headers)
        out.pop('Content-Length', None)
        return Response(status=304, headers=out)
    if if_none_match:
        # RFC 7232 section 6: If-None-Match overrides If-Modified-Since
        headers.pop('If-Modified-Since', None)
    return None


def get_object(s3req, app):
    """GET/HEAD /<bucket>/<key>."""
    method = s3req.method
    headers = {name: s3req.environ.get('HTTP_' + name.upper().replace('-', '_'))
               for name in CONDITIONAL_HEADERS}
    not_modified = check_etag_conditions(s3req, app, headers)
    if not_modified is not None:
        return not_modified
    resp = s3req.get_response(app, method, s3req.bucket, s3req.object_name,
                              headers=headers)
    status = resp.status_int
    if status == 404:
        resp.body
        raise _missing(s3req, app, method)
    if status == 412:
        resp.body
        raise errors.PreconditionFailed(Condition=failed_condition(s3req.environ))
    if status == 416:
        resp.body
        raise errors.InvalidRange(RangeRequested=headers['Range'])
    if status not in (200, 206, 304):
        resp.body
        raise errors.InternalError('unexpected GET status %s' % resp.status)
    out = object_headers(resp.headers)
    if status == 200 and method == 'GET':
        for param, header in RESPONSE_OVERRIDES.items():
            if param in s3req.params:
                out[header] = s3req.params[param]
    if status == 304:
        resp.body
        out.pop('Content-Length', None)
        return Response(status=304, headers=out)
    return Response(status=status, headers=out, app_iter=resp.app_iter)


def failed_condition(env):
    """The conditional header a 412 answers (S3 names it in ``<Condition>``)."""
    if env.get('HTTP_IF_MATCH'):
        return 'If-Match'
    if env.get('HTTP_IF_UNMODIFIED_SINCE'):
        return 'If-Unmodified-Since'
    return 'If-Match'


def _content_md5_etag(s3req):
    value = s3req.environ.get('HTTP_CONTENT_MD5')
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.encode('latin-1'), validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidDigest(**{'Content-MD5': value})
    if len(digest) != 16:
        raise errors.InvalidDigest(**{'Content-MD5': value})
    return binascii.hexlify(digest).decode('ascii')


def put_headers(s3req):
    """Swift headers of an object PUT: the client's, metadata translated, the
    Content-MD5 as Etag, aws-chunked dropped from Content-Encoding."""
    headers = s3req.client_headers()
    for name in ('Content-Length', 'Transfer-Encoding', 'Etag', 'X-Copy-From',
                 'X-Copy-From-Account', 'X-Fresh-Metadata', 'Range'):
        headers.pop(name, None)
    encoding = headers.pop('Content-Encoding', None)
    if encoding:
        codings = [c.strip() for c in encoding.split(',')
                   if c.strip() and c.strip() != 'aws-chunked']
        if codings:
            headers['Content-Encoding'] = ', '.join(codings)
    headers['Etag'] = _content_md5_etag(s3req)
    return headers


def check_put_status(s3req, resp):
    """Raise the S3 error of a failed object/part PUT."""
    status = resp.status_int
    reader = s3req.body_reader
    failed = getattr(reader, 'failed', None)
    if failed is not None:
        raise getattr(errors, failed.s3_code, errors.InvalidRequest)()
    if status == 404:
        raise errors.NoSuchBucket(BucketName=wsgi_to_str(s3req.bucket))
    if status == 422:
        raise errors.BadDigest()
    if status == 412:
        raise errors.PreconditionFailed(Condition='If-None-Match')
    if status == 413:
        raise errors.EntityTooLarge()
    if status == 411:
        raise errors.MissingContentLength()
    if status == 408:
        raise errors.RequestTimeout()   # the client was too slow with its body
    if status == 499:
        raise errors.IncompleteBody()
    if status == 400:
        raise errors.InvalidArgument(resp.body.decode('utf-8', 'replace')[:200]
                                     or None)
    if status == 503:
        raise errors.ServiceUnavailable()
    if not resp.is_success:
        raise errors.InternalError('unexpected PUT status %s' % resp.status)


def put_object(s3req, app):
    """PUT /<bucket>/<key> (a copy with x-amz-copy-source)."""
    if 'HTTP_X_AMZ_COPY_SOURCE' in s3req.environ:
        return copy_object(s3req, app)
    headers = put_headers(s3req)
    reader, length = s3req.body_input()
    if length is None and 'HTTP_TRANSFER_ENCODING' not in s3req.environ:
        raise errors.MissingContentLength()
    resp = s3req.get_response(app, 'PUT', s3req.bucket, s3req.object_name,
                              headers=headers, body_file=reader, length=length)
    resp.body
    check_put_status(s3req, resp)
    return Response(status=200, headers={'ETag': '"%s"' % resp.etag})


def delete_object(s3req, app):
    """DELETE /<bucket>/<key> (204 even when the key is missing)."""
    status = delete_key(s3req, app, s3req.object_name)
    if status == 404:
        check_bucket(s3req, app)
    return Response(status=204)


def delete_key(s3req, app, key):
    """Delete one key (its segments too when it is a multipart object).

    :returns: the Swift status (int).
    """
    head = s3req.get_response(app, 'HEAD', s3req.bucket, key)
    head.body
    query = ''
    if head.headers.get('X-Static-Large-Object', '').lower() in ('true', '1'):
        query = 'multipart-manifest=delete'
    resp = s3req.get_response(app, 'DELETE', s3req.bucket, key, query=query)
    resp.body
    if resp.status_int not in (200, 204, 404):
        raise errors.InternalError('unexpected DELETE status %s' % resp.status)
    return resp.status_int


# ---------------------------------------------------------------- copy

def parse_copy_source(s3req):
    """(bucket, key) WSGI strs of x-amz-copy-source (``[/]bucket/key[?versionId=]``).

    :raises InvalidArgument: malformed.
    """
    value = s3req.environ['HTTP_X_AMZ_COPY_SOURCE']
    path, _sep, query = value.partition('?')
    if query and query not in ('versionId=null',):
        raise errors.NotImplementedError_('Copying a version is not implemented.')
    bucket, _sep, key = wsgi_unquote(path).lstrip('/').partition('/')
    if not bucket or not key or not usable_name(bucket) or not usable_name(key):
        raise errors.InvalidArgument('Copy Source must mention the source bucket and '
                                     'key: sourcebucket/sourcekey',
                                     ArgumentName='x-amz-copy-source',
                                     ArgumentValue=wsgi_to_str(value))
    return bucket, key


def check_copy_conditions(s3req, source_headers):
    """Evaluate x-amz-copy-source-if-* against the source (HEAD answer headers).

    :raises PreconditionFailed: when one does not hold.
    """
    env = s3req.environ
    etag = object_etag(source_headers).strip('"')
    modified = parse_http_date(source_headers.get('Last-Modified'))
    if_match = env.get('HTTP_X_AMZ_COPY_SOURCE_IF_MATCH')
    if if_match and etag not in Match(if_match) and not Match(if_match).is_star:
        raise errors.PreconditionFailed(Condition='x-amz-copy-source-If-Match')
    if_none = env.get('HTTP_X_AMZ_COPY_SOURCE_IF_NONE_MATCH')
    if if_none and (etag in Match(if_none) or Match(if_none).is_star):
        raise errors.PreconditionFailed(Condition='x-amz-copy-source-If-None-Match')
    since = parse_http_date(env.get('HTTP_X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE'))
    if since is not None and modified is not None and modified <= since:
        raise errors.PreconditionFailed(
            Condition='x-amz-copy-source-If-Modified-Since')
    unmodified = parse_http_date(env.get('HTTP_X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE'))
    if unmodified is not None and modified is not None and modified > unmodified:
        raise errors.PreconditionFailed(
            Condition='x-amz-copy-source-If-Unmodified-Since')


def head_copy_source(s3req, app, bucket, key):
    """HEAD the copy source (NoSuchBucket / NoSuchKey), checking the conditions."""
    resp = s3req.get_response(app, 'HEAD', bucket, key)
    resp.body
    if resp.status_int == 404:
        check_bucket(s3req, app, bucket)
        raise errors.NoSuchKey(Key=wsgi_to_str(key))
    if not resp.is_success:
        raise errors.InternalError('unexpected HEAD status %s' % resp.status)
    check_copy_conditions(s3req, resp.headers)
    return resp


def copy_object(s3req, app):
    """PUT with x-amz-copy-source (CopyObject)."""
    if s3req.environ.get('CONTENT_LENGTH') not in (None, '', '0'):
        raise errors.InvalidRequest('Copy requests require a zero byte body')
    if 'HTTP_RANGE' in s3req.environ:
        # Swift 2.38's s3api: a Range would make the copy a part of its source
        raise errors.InvalidArgument('Range is not supported for CopyObject',
                                     ArgumentName='Range',
                                     ArgumentValue=s3req.environ['HTTP_RANGE'])
    source_bucket, source_key = parse_copy_source(s3req)
    directive = s3req.environ.get('HTTP_X_AMZ_METADATA_DIRECTIVE', 'COPY')
    if directive not in ('COPY', 'REPLACE'):
        raise errors.InvalidArgument('Unknown metadata directive.',
                                     ArgumentName='x-amz-metadata-directive',
                                     ArgumentValue=directive)
    if (source_bucket, source_key) == (s3req.bucket, s3req.object_name) \
            and directive == 'COPY':
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to "
            "itself without changing the object's metadata, storage class, website "
            "redirect location or encryption attributes.")
    head_copy_source(s3req, app, source_bucket, source_key)
    headers = put_headers(s3req)
    headers.pop('Etag', None)
    if directive == 'REPLACE':
        headers['X-Fresh-Metadata'] = 'true'
    else:
        for name in [n for n in headers if n.lower().startswith('x-object-meta-')
                     or n.lower() in ('content-type', 'content-encoding',
                                      'content-disposition', 'cache-control',
                                      'expires', 'content-language')]:
            del headers[name]
    headers['X-Copy-From'] = wsgi_quote('/%s/%s' % (source_bucket, source_key))
    resp = s3req.get_response(app, 'PUT', s3req.bucket, s3req.object_name,
                              headers=headers)
    resp.body
    if resp.status_int == 404:
        check_bucket(s3req, app)
        raise errors.NoSuchKey(Key=wsgi_to_str(source_key))
    check_put_status(s3req, resp)
    root = new_element('CopyObjectResult')
    sub_element(root, 'LastModified', xml_time_from_http(
        resp.headers.get('Last-Modified'), time.time()))
    sub_element(root, 'ETag', '"%s"' % resp.etag)
    return xml_response(root)
