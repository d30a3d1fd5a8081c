# Owns the account/container listing formats and listing request parameters (Swift's
# rules, swift-catalog.md 6):
# - the format comes from ?format=json|xml|plain (anything else means plain) or else the
#   Accept header, best match among text/plain, application/json, application/xml,
#   text/xml; a malformed Accept is 400 "Invalid Accept header" (field case BL-06), a
#   well-formed one matching nothing is 406;
# - JSON is json.dumps with ASCII escapes; XML is ElementTree with Swift's declaration;
#   plain is one name per line; an empty plain body becomes 204 at the server;
# - parameters must be valid UTF-8 without NUL (400); limit over the maximum is 412.
"""Listing formats (json/xml/plain) and listing parameter parsing."""

import json
import re
from xml.etree.ElementTree import Element, SubElement, tostring

from swift.common.constraints import valid_utf8
from swift.common.swob import (HTTPBadRequest, HTTPNotAcceptable,
                               HTTPPreconditionFailed, wsgi_to_str)
from swift.common.timestamp import Timestamp

FORMAT2CONTENT_TYPE = {'plain': 'text/plain', 'json': 'application/json',
                       'xml': 'application/xml'}
LISTING_CONTENT_TYPES = ('text/plain', 'application/json', 'application/xml', 'text/xml')
_TOKEN = r'[^()<>@,;:\"/\[\]?={}\x00-\x20\x7f]+'
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PARAM_RE = re.compile(r'(?:\s*;\s*(' + _TOKEN + r')\s*(?:=\s*(' + _TOKEN + r'|'
                       + _QUOTED + r'))?)')
_XML_DECL_SWIFT = b'<?xml version="1.0" encoding="UTF-8"?>'


def parse_content_type(content_type):
    """``'text/plain; charset=utf-8'`` -> ``('text/plain', [('charset', 'utf-8')])``."""
    params = []
    if ';' in content_type:
        content_type, rest = content_type.split(';', 1)
        for key, value in _PARAM_RE.findall(';' + rest):
            params.append((key.strip(), value.strip()))
    return content_type, params


def extract_swift_bytes(content_type):
    """Split off a ``swift_bytes=N`` param; other params are re-joined without spaces.

    :returns: (content_type, swift_bytes str or None)
    """
    base, params = parse_content_type(content_type)
    swift_bytes = None
    for key, value in params:
        if key == 'swift_bytes':
            swift_bytes = value
        else:
            base += ';%s=%s' % (key, value)
    return base, swift_bytes


def get_param(req, name, default=None):
    """Query parameter ``name`` as a native str (default if absent).

    :raises HTTPBadRequest: ``"<name>" parameter not valid UTF-8`` (also for NUL).
    """
    value = req.params.get(name, default)
    if value and value is not default:
        if not valid_utf8(value):
            raise HTTPBadRequest(request=req, content_type='text/plain',
                                 body=('"%s" parameter not valid UTF-8' % name).encode())
        return wsgi_to_str(value)
    return value


def get_listing_content_type(req):
    """The listing content type the request asks for.

    :returns: one of LISTING_CONTENT_TYPES.
    :raises HTTPBadRequest: malformed Accept header (body ``Invalid Accept header``).
    :raises HTTPNotAcceptable: nothing acceptable.
    """
    query_format = get_param(req, 'format')
    if query_format:
        req.headers['Accept'] = FORMAT2CONTENT_TYPE.get(query_format.lower(),
                                                        FORMAT2CONTENT_TYPE['plain'])
    header = req.headers.get('Accept')
    if not header or not header.strip():
        return LISTING_CONTENT_TYPES[0]
    try:
        out_content_type = req.accept.best_match(list(LISTING_CONTENT_TYPES))
    except ValueError:
        raise HTTPBadRequest(request=req, content_type='text/plain',
                             body=b'Invalid Accept header')
    if not out_content_type:
        raise HTTPNotAcceptable(request=req)
    return out_content_type


def get_limit(req, maximum):
    """``?limit=`` as int; absent or not a plain number means ``maximum``.

    :raises HTTPPreconditionFailed: ``Maximum limit is N`` when above ``maximum``.
    """
    given = get_param(req, 'limit')
    if given and given.isdigit():
        limit = int(given)
        if limit > maximum:
            raise HTTPPreconditionFailed(request=req, content_type='text/plain',
                                         body=('Maximum limit is %d' % maximum).encode())
        return limit
    return maximum


def container_record(row):
    """A ContainerBroker listing row -> the JSON dict Swift returns.

    :param row: ``(name, last_modified_internal, size, content_type, etag)`` or a
        subdir row whose content_type is None.
    :returns: ``{'subdir': name}`` or ``{'bytes', 'hash', 'name', 'content_type',
        'last_modified'}`` (swift_bytes in the content type overrides ``bytes``).
    """
    name, created, size, content_type, etag = row[:5]
    if content_type is None:
        return {'subdir': name}
    record = {'bytes': size, 'hash': etag, 'name': name, 'content_type': content_type}
    record['content_type'], swift_bytes = extract_swift_bytes(content_type)
    if swift_bytes is not None:
        try:
            record['bytes'] = int(swift_bytes)
        except ValueError:
            pass
    record['last_modified'] = Timestamp(created).isoformat
    return record


def account_record(row, policies=None):
    """An AccountBroker listing row -> Swift's JSON dict.

    :param row: ``(name, object_count, bytes_used, put_timestamp, policy_index,
        is_subdir)``.
    :param policies: StoragePolicyCollection used to add ``storage_policy`` (name).
    """
    name, count, bytes_used, put_timestamp, policy_index, is_subdir = row[:6]
    if is_subdir:
        return {'subdir': name}
    record = {'name': name, 'count': count, 'bytes': bytes_used,
              'last_modified': Timestamp(put_timestamp).isoformat}
    policy = policies.get_by_index(policy_index) if policies is not None else None
    if policy is not None:
        record['storage_policy'] = policy.name
    return record


def listing_to_json(listing):
    """JSON bytes (ASCII escapes, Swift's separators)."""
    return json.dumps(listing).encode('ascii')


def listing_to_text(listing):
    """One UTF-8 name (or subdir) per line, each ending in ``\\n``."""
    return b''.join((r.get('name', r.get('subdir')) + '\n').encode('utf-8', 'surrogateescape')
                    for r in listing)


def _to_xml(doc):
    return _XML_DECL_SWIFT + b'\n' + tostring(doc, encoding='UTF-8',
                                              xml_declaration=False)


def _xml_listing(listing, root_tag, root_name, item_tag, fields):
    doc = Element(root_tag, name=root_name)
    for record in listing:
        record = dict(record)
        if 'subdir' in record:
            name = record.pop('subdir')
            sub = SubElement(doc, 'subdir', name=name)
            SubElement(sub, 'name').text = name
            continue
        sub = SubElement(doc, item_tag)
        for field in fields:
            SubElement(sub, field).text = str(record.pop(field))
        for field in sorted(record):
            SubElement(sub, field).text = str(record[field])
    return _to_xml(doc)


def container_to_xml(listing, container_name):
    """Swift's container XML listing (bytes)."""
    return _xml_listing(listing, 'container', container_name, 'object',
                        ('name', 'hash', 'bytes', 'content_type', 'last_modified'))


def account_to_xml(listing, account_name):
    """Swift's account XML listing (bytes)."""
    return _xml_listing(listing, 'account', account_name, 'container',
                        ('name', 'count', 'bytes', 'last_modified'))


def format_listing(listing, content_type, to_xml, root_name):
    """Body bytes for ``listing`` (dicts) in ``content_type``."""
    if content_type.endswith('/xml'):
        return to_xml(listing, root_name)
    if content_type.endswith('/json'):
        return listing_to_json(listing)
    return listing_to_text(listing)
