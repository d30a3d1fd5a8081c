# DeleteObjects (POST /<bucket>?delete), Swift's s3api MultiObjectDeleteController:
# the body is ``<Delete><Quiet>true|false</Quiet><Object><Key>k</Key>
# [<VersionId>v</VersionId>]</Object>...</Delete>`` of at most
# max_multi_delete_objects keys (more -> MalformedXML); a Content-MD5, when given,
# must match (BadDigest). Each key is deleted like DeleteObject (a missing key counts
# as deleted), multi_delete_concurrency at a time; the answer lists <Deleted> (omitted
# in Quiet mode) and <Error> entries in the request's order.
"""DeleteObjects."""

import base64
import hashlib

from swift.common import concurrency
from swift.common.middleware.s3api import errors
from swift.common.middleware.s3api.bucket import check_bucket
from swift.common.middleware.s3api.obj import delete_key
from swift.common.middleware.s3api.responses import xml_response
from swift.common.middleware.s3api.xmlutil import (XMLSyntaxError, child_text,
                                                   children, new_element, parse_xml,
                                                   sub_element)
from swift.common.swob import str_to_wsgi

DELETE_XML_BYTES_MAX = 2 * 1024 * 1024   # 1000 keys of 1024 bytes plus markup


def parse_delete_body(body, max_objects):
    """(quiet bool, [(key native str, version id or None)]).

    :raises MalformedXML: not a Delete document, a key missing, too many keys.
    """
    try:
        root = parse_xml(body)
    except XMLSyntaxError:
        raise errors.MalformedXML()
    if root.tag.rsplit('}', 1)[-1] != 'Delete':
        raise errors.MalformedXML()
    quiet = (child_text(root, 'Quiet', 'false') or '').strip().lower() == 'true'
    keys = []
    for item in children(root, 'Object'):
        key = child_text(item, 'Key')
        if not key:
            raise errors.MalformedXML()
        keys.append((key, child_text(item, 'VersionId')))
    if not keys or len(keys) > max_objects:
        raise errors.MalformedXML()
    return quiet, keys


def delete_objects(s3req, app):
    """POST /<bucket>?delete."""
    body = s3req.read_body(DELETE_XML_BYTES_MAX)
    md5 = s3req.environ.get('HTTP_CONTENT_MD5')
    if md5 is not None and base64.b64encode(
            hashlib.md5(body).digest()).decode('ascii') != md5.strip():
        raise errors.BadDigest()
    quiet, keys = parse_delete_body(body, s3req.config.max_multi_delete_objects)
    check_bucket(s3req, app)
    root = new_element('DeleteResult')

    def delete_one(item):
        key, version = item
        try:
            if version not in (None, 'null'):
                raise errors.NotImplementedError_('Versions are not supported')
            delete_key(s3req, app, str_to_wsgi(key))
        except errors.S3Error as err:
            if isinstance(err, (errors.SignatureDoesNotMatch,
                                errors.InvalidAccessKeyId)):
                raise
            return key, err
        return key, None

    pool = concurrency.GreenPool(s3req.config.multi_delete_concurrency)
    for key, err in pool.imap(delete_one, keys):
        if err is not None:
            error = sub_element(root, 'Error')
            sub_element(error, 'Key', key)
            sub_element(error, 'Code', err.error_code)
            sub_element(error, 'Message', err.message)
        elif not quiet:
            deleted = sub_element(root, 'Deleted')
            sub_element(deleted, 'Key', key)
    return xml_response(root)
