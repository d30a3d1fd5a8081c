# Multipart uploads as Swift's s3api does them, on top of SLO:
#   * parts live in the container ``<bucket>+segments`` as ``<key>/<upload id>/<n>``;
#     the upload itself is a zero-byte marker ``<key>/<upload id>`` there holding the
#     final object's Content-Type (sysmeta) and X-Object-Meta-*; an upload id is never
#     all digits, so a marker is told from a part by its last path segment;
#   * Complete checks the listed parts (ascending: InvalidPartOrder; present with that
#     ETag: InvalidPart; every part but the last at least min_segment_size bytes:
#     EntityTooSmall), PUTs an SLO manifest at ``<bucket>/<key>`` whose S3 ETag
#     ``<md5 of the parts' binary md5s>-<part count>`` is kept in sysmeta and in the
#     listing's override etag (``; s3_etag=...``), then removes the marker and unused
#     parts; Abort removes the parts and the marker.
"""CreateMultipartUpload, UploadPart(Copy), ListParts, ListMultipartUploads,
CompleteMultipartUpload, AbortMultipartUpload."""

import base64
import binascii
import hashlib
import json
import time
import uuid

from swift.common.middleware.s3api import errors
from swift.common.middleware.s3api.bucket import (add_owner, check_bucket, listing,
                                                  segments_container)
from swift.common.middleware.s3api.obj import (check_put_status, head_copy_source,
                                               parse_copy_source, put_headers)
from swift.common.middleware.s3api.responses import (S3_ETAG_SYSMETA,
                                                     UPLOAD_ID_SYSMETA, quoted,
                                                     xml_response, xml_time_from_http,
                                                     xml_time_from_iso)
from swift.common.middleware.s3api.xmlutil import (XMLSyntaxError, child_text,
                                                   children, new_element, parse_xml,
                                                   sub_element)
from swift.common.swob import Range, Response, str_to_wsgi, wsgi_quote, wsgi_to_str

CONTENT_TYPE_SYSMETA = 'X-Object-Sysmeta-S3Api-Content-Type'
OVERRIDE_ETAG = 'X-Object-Sysmeta-Container-Update-Override-Etag'
COMPLETE_XML_BYTES_MAX = 2 * 1024 * 1024
LISTING_PAGE = 10000


def new_upload_id():
    """A fresh upload id (url-safe base64 of a uuid4, never all digits)."""
    while True:
        upload_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode('ascii')
        upload_id = upload_id.rstrip('=')
        if not upload_id.isdigit():
            return upload_id


def s3_multipart_etag(part_etags):
    """S3's ETag of a multipart object: md5 of the parts' binary md5s + ``-<count>``.

    :param part_etags: hex md5s in part order.
    """
    digest = hashlib.md5(b''.join(binascii.unhexlify(e) for e in part_etags))
    return '%s-%d' % (digest.hexdigest(), len(part_etags))


def route(s3req, app, method, params):
    """Dispatch a request carrying ``uploads`` or ``uploadId``."""
    if 'uploads' in params and 'uploadId' not in params:
        if method == 'POST':
            return create_upload(s3req, app)
        raise errors.MethodNotAllowed(Method=method, ResourceType='OBJECT')
    if method == 'PUT':
        return upload_part(s3req, app)
    if method == 'GET':
        return list_parts(s3req, app)
    if method == 'POST':
        return complete_upload(s3req, app)
    if method == 'DELETE':
        return abort_upload(s3req, app)
    raise errors.MethodNotAllowed(Method=method, ResourceType='OBJECT')


def _marker_name(s3req, upload_id=None):
    return '%s/%s' % (s3req.object_name, upload_id or s3req.params['uploadId'])


def head_upload(s3req, app):
    """HEAD the upload marker (its headers), or raise NoSuchUpload."""
    upload_id = s3req.params.get('uploadId', '')
    if not upload_id or '/' in upload_id:
        raise errors.NoSuchUpload(UploadId=wsgi_to_str(upload_id))
    resp = s3req.get_response(app, 'HEAD', segments_container(s3req.bucket),
                              _marker_name(s3req))
    resp.body
    if resp.status_int == 404:
        raise errors.NoSuchUpload(UploadId=wsgi_to_str(upload_id))
    if not resp.is_success:
        raise errors.InternalError('unexpected HEAD status %s' % resp.status)
    return resp


def create_upload(s3req, app):
    """POST /<bucket>/<key>?uploads."""
    check_bucket(s3req, app)
    container = segments_container(s3req.bucket)
    resp = s3req.get_response(app, 'PUT', container)
    resp.body
    if resp.status_int not in (201, 202, 204):
        raise errors.InternalError('cannot create %s: %s' % (container, resp.status))
    upload_id = new_upload_id()
    headers = {name: value for name, value in s3req.client_headers().items()
               if name.lower().startswith('x-object-meta-')
               or name.lower() in ('content-encoding', 'content-disposition',
                                   'cache-control', 'expires', 'content-language')}
    # (no empty values: an empty header is not worth storing)
    headers[CONTENT_TYPE_SYSMETA] = s3req.environ.get('CONTENT_TYPE') or None
    headers['Content-Type'] = 'application/directory'
    resp = s3req.get_response(app, 'PUT', container, _marker_name(s3req, upload_id),
                              headers=headers, body=b'')
    resp.body
    check_put_status(s3req, resp)
    root = new_element('InitiateMultipartUploadResult')
    sub_element(root, 'Bucket', wsgi_to_str(s3req.bucket))
    sub_element(root, 'Key', wsgi_to_str(s3req.object_name))
    sub_element(root, 'UploadId', upload_id)
    return xml_response(root)


def _part_number(s3req):
    raw = s3req.params.get('partNumber', '')
    limit = s3req.config.max_upload_part_num
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= limit:
        raise errors.InvalidArgument('Part number must be an integer between 1 and '
                                     '%d, inclusive' % limit,
                                     ArgumentName='partNumber', ArgumentValue=raw)
    return number


def upload_part(s3req, app):
    """PUT /<bucket>/<key>?partNumber=N&uploadId=U (a copy with x-amz-copy-source)."""
    number = _part_number(s3req)
    head_upload(s3req, app)
    part = '%s/%d' % (_marker_name(s3req), number)
    container = segments_container(s3req.bucket)
    if 'HTTP_X_AMZ_COPY_SOURCE' in s3req.environ:
        return upload_part_copy(s3req, app, container, part)
    headers = {'Etag': put_headers(s3req)['Etag']}
    reader, length = s3req.body_input()
    if length is None and 'HTTP_TRANSFER_ENCODING' not in s3req.environ:
        raise errors.MissingContentLength()
    resp = s3req.get_response(app, 'PUT', container, part, headers=headers,
                              body_file=reader, length=length)
    resp.body
    if resp.status_int == 404:
        raise errors.NoSuchUpload(UploadId=wsgi_to_str(s3req.params['uploadId']))
    check_put_status(s3req, resp)
    return _ok_etag(resp.etag)


def _ok_etag(etag):
    return Response(status=200, headers={'ETag': quoted(etag)})


def upload_part_copy(s3req, app, container, part):
    """UploadPartCopy: Swift copy of the source (or x-amz-copy-source-range)."""
    source_bucket, source_key = parse_copy_source(s3req)
    source = head_copy_source(s3req, app, source_bucket, source_key)
    headers = {'X-Copy-From': wsgi_quote('/%s/%s' % (source_bucket, source_key))}
    byte_range = s3req.environ.get('HTTP_X_AMZ_COPY_SOURCE_RANGE')
    if byte_range:
        size = int(source.headers.get('Content-Length') or 0)
        try:
            ranges = Range(byte_range).ranges_for_length(size)
        except ValueError:
            ranges = None
        if not ranges or len(ranges) != 1 or byte_range.count('-') != 1 \
                or byte_range.strip().startswith('bytes=-') \
                or byte_range.strip().endswith('-'):
            raise errors.InvalidArgument('The x-amz-copy-source-range value must be of '
                                         'the form bytes=first-last where first and '
                                         'last are the zero-based offsets of the first '
                                         'and last bytes to copy',
                                         ArgumentName='x-amz-copy-source-range',
                                         ArgumentValue=byte_range)
        start, stop = ranges[0]
        if stop - start != int(byte_range.split('-')[1]) - start + 1:
            raise errors.InvalidRange()
        headers['Range'] = byte_range
    resp = s3req.get_response(app, 'PUT', container, part, headers=headers)
    resp.body
    check_put_status(s3req, resp)
    root = new_element('CopyPartResult')
    sub_element(root, 'LastModified', xml_time_from_http(
        resp.headers.get('Last-Modified'), time.time()))
    sub_element(root, 'ETag', quoted(resp.etag))
    return xml_response(root)


def uploaded_parts(s3req, app, upload_id=None):
    """{part number: listing entry} of an upload."""
    prefix = _marker_name(s3req, upload_id) + '/'
    parts = {}
    marker = None
    while True:
        page = listing(s3req, app, segments_container(s3req.bucket), None,
                       prefix=prefix, marker=marker, limit=LISTING_PAGE)
        native_prefix = wsgi_to_str(prefix)
        for item in page:
            if not item.get('name', '').startswith(native_prefix):
                continue
            rest = item['name'][len(native_prefix):]
            if rest.isdigit():
                parts[int(rest)] = item
        if len(page) < LISTING_PAGE:
            return parts
        marker = str_to_wsgi(page[-1]['name'])


def _int_param(s3req, name, default, cap=None):
    raw = s3req.params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise errors.InvalidArgument('Provided %s not an integer or within integer '
                                     'range' % name, ArgumentName=name,
                                     ArgumentValue=raw)
    return min(value, cap) if cap is not None else value


def list_parts(s3req, app):
    """GET /<bucket>/<key>?uploadId=U."""
    head_upload(s3req, app)
    max_parts = _int_param(s3req, 'max-parts', s3req.config.max_parts_listing,
                           s3req.config.max_parts_listing)
    after = _int_param(s3req, 'part-number-marker', 0)
    parts = sorted((n, item) for n, item in uploaded_parts(s3req, app).items()
                   if n > after)
    truncated = len(parts) > max_parts
    parts = parts[:max_parts]
    root = new_element('ListPartsResult')
    sub_element(root, 'Bucket', wsgi_to_str(s3req.bucket))
    sub_element(root, 'Key', wsgi_to_str(s3req.object_name))
    sub_element(root, 'UploadId', wsgi_to_str(s3req.params['uploadId']))
    add_owner(root, s3req, 'Initiator')
    add_owner(root, s3req)
    sub_element(root, 'StorageClass', 'STANDARD')
    sub_element(root, 'PartNumberMarker', after)
    sub_element(root, 'NextPartNumberMarker', parts[-1][0] if parts else after)
    sub_element(root, 'MaxParts', max_parts)
    sub_element(root, 'IsTruncated', truncated)
    for number, item in parts:
        part = sub_element(root, 'Part')
        sub_element(part, 'PartNumber', number)
        sub_element(part, 'LastModified', xml_time_from_iso(item.get('last_modified',
                                                                     '')))
        sub_element(part, 'ETag', quoted(item.get('hash', '')))
        sub_element(part, 'Size', item.get('bytes', 0))
    return xml_response(root)


def _gather_uploads(s3req, app, prefix, delimiter, key_marker, id_marker):
    """([(key, upload id, listing entry)], {common prefixes}) of a bucket, after
    the markers (native strs but ``prefix``, a WSGI str)."""
    uploads, prefixes = [], set()
    native_prefix, native_delimiter = wsgi_to_str(prefix), wsgi_to_str(delimiter)
    marker = None
    while True:
        page = listing(s3req, app, segments_container(s3req.bucket), None,
                       prefix=prefix or None, marker=marker, limit=LISTING_PAGE)
        for item in page:
            key, _sep, upload_id = item['name'].rpartition('/')
            if not key or not upload_id or upload_id.isdigit():
                continue   # a part, not an upload marker
            if key_marker and (key, upload_id) <= (key_marker, id_marker or '\uffff'):
                continue
            rest = key[len(native_prefix):]
            if native_delimiter and native_delimiter in rest:
                cut = rest.index(native_delimiter) + len(native_delimiter)
                prefixes.add(native_prefix + rest[:cut])
                continue
            uploads.append((key, upload_id, item))
        if len(page) < LISTING_PAGE:
            return uploads, prefixes
        marker = str_to_wsgi(page[-1]['name'])


def list_uploads(s3req, app):
    """GET /<bucket>?uploads."""
    check_bucket(s3req, app)
    params = s3req.params
    max_uploads = _int_param(s3req, 'max-uploads', 1000, 1000)
    prefix, delimiter = params.get('prefix', ''), params.get('delimiter', '')
    key_marker = wsgi_to_str(params.get('key-marker', ''))
    id_marker = wsgi_to_str(params.get('upload-id-marker', ''))
    uploads, prefixes = _gather_uploads(s3req, app, prefix, delimiter, key_marker,
                                        id_marker)
    truncated = len(uploads) > max_uploads
    uploads = uploads[:max_uploads]
    root = new_element('ListMultipartUploadsResult')
    sub_element(root, 'Bucket', wsgi_to_str(s3req.bucket))
    sub_element(root, 'KeyMarker', key_marker)
    sub_element(root, 'UploadIdMarker', id_marker)
    sub_element(root, 'NextKeyMarker', uploads[-1][0] if uploads else '')
    sub_element(root, 'NextUploadIdMarker', uploads[-1][1] if uploads else '')
    if delimiter:
        sub_element(root, 'Delimiter', wsgi_to_str(delimiter))
    if prefix:
        sub_element(root, 'Prefix', wsgi_to_str(prefix))
    sub_element(root, 'MaxUploads', max_uploads)
    sub_element(root, 'IsTruncated', truncated)
    for key, upload_id, item in uploads:
        upload = sub_element(root, 'Upload')
        sub_element(upload, 'Key', key)
        sub_element(upload, 'UploadId', upload_id)
        add_owner(upload, s3req, 'Initiator')
        add_owner(upload, s3req)
        sub_element(upload, 'StorageClass', 'STANDARD')
        sub_element(upload, 'Initiated', xml_time_from_iso(item.get('last_modified',
                                                                    '')))
    for common in sorted(prefixes):
        sub_element(sub_element(root, 'CommonPrefixes'), 'Prefix', common)
    return xml_response(root)


def parse_complete_body(body):
    """[(part number, etag hex)] of a CompleteMultipartUpload document.

    :raises MalformedXML: not that document, or a part without number/ETag.
    :raises InvalidPartOrder: part numbers not strictly ascending.
    """
    try:
        root = parse_xml(body)
    except XMLSyntaxError:
        raise errors.MalformedXML()
    if root.tag.rsplit('}', 1)[-1] != 'CompleteMultipartUpload':
        raise errors.MalformedXML()
    parts = []
    for part in children(root, 'Part'):
        number, etag = child_text(part, 'PartNumber'), child_text(part, 'ETag')
        if number is None or etag is None:
            raise errors.MalformedXML()
        try:
            number = int(number)
        except ValueError:
            raise errors.MalformedXML()
        if parts and number <= parts[-1][0]:
            raise errors.InvalidPartOrder()
        parts.append((number, etag.strip().strip('"')))
    if not parts:
        raise errors.MalformedXML()
    return parts


def _check_parts(s3req, requested, uploaded):
    """The manifest entries of the requested parts (see module doc for the errors)."""
    manifest = []
    container = wsgi_to_str(segments_container(s3req.bucket))
    marker = wsgi_to_str(_marker_name(s3req))
    for index, (number, etag) in enumerate(requested):
        item = uploaded.get(number)
        if item is None or item.get('hash') != etag:
            raise errors.InvalidPart(UploadId=wsgi_to_str(s3req.params['uploadId']),
                                     PartNumber=number, ETag=etag)
        size = int(item.get('bytes', 0))
        if index < len(requested) - 1 and size < s3req.config.min_segment_size:
            raise errors.EntityTooSmall(ProposedSize=size,
                                        MinSizeAllowed=s3req.config.min_segment_size,
                                        PartNumber=number, ETag=etag)
        manifest.append({'path': '/%s/%s/%d' % (container, marker, number),
                         'etag': etag, 'size_bytes': size})
    return manifest


def _completed_already(s3req, app):
    """The object an earlier Complete of this upload made (its HEAD answer), or None:
    a client retrying a Complete whose answer it lost must see success again."""
    resp = s3req.get_response(app, 'HEAD', s3req.bucket, s3req.object_name)
    resp.body
    if resp.is_success and resp.headers.get(UPLOAD_ID_SYSMETA) == \
            s3req.params.get('uploadId') and resp.headers.get(S3_ETAG_SYSMETA):
        return resp
    return None


def _complete_result(s3req, s3_etag):
    root = new_element('CompleteMultipartUploadResult')
    sub_element(root, 'Location', '%s://%s/%s/%s' % (
        s3req.environ.get('wsgi.url_scheme', 'http'),
        s3req.environ.get('HTTP_HOST', 'localhost'),
        wsgi_quote(s3req.bucket), wsgi_quote(s3req.object_name)))
    sub_element(root, 'Bucket', wsgi_to_str(s3req.bucket))
    sub_element(root, 'Key', wsgi_to_str(s3req.object_name))
    sub_element(root, 'ETag', quoted(s3_etag))
    return xml_response(root)


def complete_upload(s3req, app):
    """POST /<bucket>/<key>?uploadId=U."""
    try:
        marker = head_upload(s3req, app)
    except errors.NoSuchUpload:
        done = _completed_already(s3req, app)
        if done is None:
            raise
        return _complete_result(s3req, done.headers[S3_ETAG_SYSMETA])
    requested = parse_complete_body(s3req.read_body(COMPLETE_XML_BYTES_MAX))
    uploaded = uploaded_parts(s3req, app)
    manifest = _check_parts(s3req, requested, uploaded)
    s3_etag = s3_multipart_etag([etag for _n, etag in requested])
    headers = {name: value for name, value in marker.headers.items()
               if name.lower().startswith('x-object-meta-')
               or name.lower() in ('content-encoding', 'content-disposition',
                                   'cache-control', 'expires', 'content-language')}
    headers['Content-Type'] = marker.headers.get(CONTENT_TYPE_SYSMETA) or None
    headers[S3_ETAG_SYSMETA] = s3_etag
    headers[UPLOAD_ID_SYSMETA] = s3req.params['uploadId']
    headers[OVERRIDE_ETAG] = '; s3_etag=%s' % s3_etag
    resp = s3req.get_response(app, 'PUT', s3req.bucket, s3req.object_name,
                              query='multipart-manifest=put', headers=headers,
                              body=json.dumps(manifest).encode('utf-8'))
    body = resp.body
    if resp.status_int == 404:
        raise errors.NoSuchBucket(BucketName=wsgi_to_str(s3req.bucket))
    if resp.status_int == 400:
        raise errors.InvalidPart(body.decode('utf-8', 'replace')[:300] or None)
    check_put_status(s3req, resp)
    container = segments_container(s3req.bucket)
    used = {number for number, _etag in requested}
    for number in set(uploaded) - used:
        s3req.get_response(app, 'DELETE', container,
                           '%s/%d' % (_marker_name(s3req), number)).body
    s3req.get_response(app, 'DELETE', container, _marker_name(s3req)).body
    return _complete_result(s3req, s3_etag)


def abort_upload(s3req, app):
    """DELETE /<bucket>/<key>?uploadId=U: remove parts and marker."""
    head_upload(s3req, app)
    container = segments_container(s3req.bucket)
    for number in uploaded_parts(s3req, app):
        s3req.get_response(app, 'DELETE', container,
                           '%s/%d' % (_marker_name(s3req), number)).body
    s3req.get_response(app, 'DELETE', container, _marker_name(s3req)).body
    return Response(status=204)
