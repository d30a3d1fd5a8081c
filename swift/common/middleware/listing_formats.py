# Account and container listings in the client's format (Swift's listing_formats):
# the proxy always asks backends for JSON; this filter turns a 200/204 JSON answer into
# plain text (default), JSON or XML, chosen by ?format=json|xml|plain or else the
# Accept header (a malformed Accept is 400 "Invalid Accept header", BL-06; an Accept
# that matches nothing is 406). An empty plain-text listing becomes 204. When the format
# came from Accept the response carries "Vary: Accept".
"""listing_formats middleware."""

import json
from xml.etree.ElementTree import Element, SubElement, tostring

from swift.common.constraints import VALID_API_VERSIONS
from swift.common.http_status import RESPONSE_REASONS
from swift.common.swob import (HTTPBadRequest, HTTPNotAcceptable, Request,
                               wsgi_to_str)

FORMAT2CONTENT_TYPE = {'plain': 'text/plain', 'json': 'application/json',
                       'xml': 'application/xml'}
LISTING_TYPES = ['text/plain', 'application/json', 'application/xml', 'text/xml']
MAX_LISTING_BYTES = 16 * 1024 * 1024   # bigger bodies pass through unconverted


def get_listing_content_type(req):
    """The listing content type ``req`` asks for.

    :raises HTTPBadRequest: for a malformed Accept header.
    :raises HTTPNotAcceptable: when nothing offered matches.
    """
    query_format = req.params.get('format')
    accept = req.headers.get('Accept', '*/*')
    if query_format:
        accept = FORMAT2CONTENT_TYPE.get(query_format.lower(), 'text/plain')
    from swift.common.swob import Accept
    try:
        content_type = Accept(accept).best_match(LISTING_TYPES)
    except ValueError:
        raise HTTPBadRequest(request=req, body=b'Invalid Accept header')
    if not content_type:
        raise HTTPNotAcceptable(request=req)
    return content_type


def listing_to_text(listing):
    """One name (or subdir) per line, UTF-8."""
    return b''.join((item.get('name') or item.get('subdir') or '').encode('utf-8')
                    + b'\n' for item in listing)


def _to_xml(listing, root_tag, root_name, item_tag, fields):
    doc = Element(root_tag, name=root_name)
    for record in listing:
        record = dict(record)
        if 'subdir' in record:
            name = record.pop('subdir')
            sub = SubElement(doc, 'subdir', name=name)
            SubElement(sub, 'name').text = name
        else:
            sub = SubElement(doc, item_tag)
            for field in fields:
                SubElement(sub, field).text = str(record.pop(field))
        for field in sorted(record):
            SubElement(sub, field).text = str(record[field])
    body = tostring(doc, encoding='UTF-8', xml_declaration=True)
    return body.replace(b"<?xml version='1.0' encoding='UTF-8'?>",
                        b'<?xml version="1.0" encoding="UTF-8"?>', 1)


def container_to_xml(listing, container_name):
    """Swift's container XML listing (``container_name`` native str)."""
    return _to_xml(listing, 'container', container_name, 'object',
                   ('name', 'hash', 'bytes', 'content_type', 'last_modified'))


def account_to_xml(listing, account_name):
    """Swift's account XML listing (``account_name`` native str)."""
    return _to_xml(listing, 'account', account_name, 'container',
                   ('name', 'count', 'bytes', 'last_modified'))


class ListingFilter:
    """:param app: next WSGI app."""

    def __init__(self, app, conf=None):
        self.app = app

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(2, 3)
        if parts is None:
            return self.app(env, start_response)
        version, account, container = parts
        if version not in VALID_API_VERSIONS:   # e.g. /auth/v1.0 is not a listing
            return self.app(env, start_response)
        if req.method not in ('GET', 'HEAD'):
            return self.app(env, start_response)
        try:
            out_type = get_listing_content_type(req)
        except HTTPBadRequest as err:
            return err(env, start_response)
        except HTTPNotAcceptable as err:
            return err(env, start_response)
        params = req.params
        can_vary = 'format' not in params
        params['format'] = 'json'
        req.params = params
        env.setdefault('swift.format_listing', True)
        status, headers, body_iter = req.call_application(self.app)
        headers = list(headers)
        if not env.get('swift.format_listing') or \
                not status.startswith(('200 ', '204 ')):
            start_response(status, headers)
            return body_iter
        if can_vary:
            headers = _add_vary(headers)
        return self._convert(req, status, headers, body_iter, out_type, account,
                             container, start_response)

    def _convert(self, req, status, headers, body_iter, out_type, account, container,
                 start_response):
        lower = {k.lower(): v for k, v in headers}
        resp_type = lower.get('content-type', '').partition(';')[0].strip()
        if resp_type != 'application/json' and not status.startswith('204 '):
            start_response(status, headers)
            return body_iter
        if req.method == 'HEAD':
            start_response(status, _set_header(headers, 'Content-Type',
                                               out_type + '; charset=utf-8'))
            return body_iter
        body = b''.join(body_iter)
        close = getattr(body_iter, 'close', None)
        if close:
            close()
        try:
            listing = json.loads(body) if body else []
            if not isinstance(listing, list) or \
                    not all(isinstance(item, dict) for item in listing):
                raise ValueError('not a listing')
            if out_type.endswith('/xml'):
                if container is not None:
                    body = container_to_xml(listing, wsgi_to_str(container))
                else:
                    body = account_to_xml(listing, wsgi_to_str(account))
            elif out_type == 'text/plain':
                body = listing_to_text(listing)
            else:
                body = json.dumps(listing).encode('ascii')
        except (ValueError, KeyError):
            # Not a listing we understand (e.g. a static web page): pass it through.
            start_response(status, headers)
            return [body]
        status = '200 OK' if body else '204 %s' % RESPONSE_REASONS[204][0]
        headers = _set_header(headers, 'Content-Type', out_type + '; charset=utf-8')
        headers = _set_header(headers, 'Content-Length', str(len(body)))
        start_response(status, headers)
        return [body]


def _add_vary(headers):
    for index, (key, value) in enumerate(headers):
        if key.lower() == 'vary':
            if 'accept' not in [v.strip().lower() for v in value.split(',')]:
                headers[index] = (key, value + ', Accept')
            return headers
    headers.append(('Vary', 'Accept'))
    return headers


def _set_header(headers, name, value):
    out, done = [], False
    for key, old in headers:
        if key.lower() == name.lower():
            if not done:
                out.append((key, value))
                done = True
        else:
            out.append((key, old))
    if not done:
        out.append((name, value))
    return out


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#listing_formats``)."""
    return lambda app: ListingFilter(app)
