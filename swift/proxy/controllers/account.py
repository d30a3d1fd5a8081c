# Account requests (swift-catalog.md 6): GET/HEAD with fail-over, POST to all replicas,
# PUT/DELETE only with allow_account_management. With account_autocreate a missing
# account reads as an empty one (Swift's "fake listing"); writes create it first.
"""AccountController."""

import json

from swift.common.constraints import ConstraintError, check_metadata
from swift.common.http_status import HTTP_NOT_FOUND
from swift.common.swob import HTTPBadRequest, HTTPMethodNotAllowed, Response
from swift.proxy.controllers.base import ListingController, account_path, ring_key
from swift.proxy.info_cache import (account_cache_key, cache_ttl, clear_info_cache,
                                    headers_to_account_info, set_info_cache)


ACL_HEADER = 'X-Account-Access-Control'
ACL_SYSMETA_HEADER = 'X-Account-Sysmeta-Core-Access-Control'


class AccountController(ListingController):
    """Handles ``/v1/<account>``.

    :param account_name: WSGI str (unquoted).
    """

    server_type = 'Account'
    pass_through_headers = frozenset()

    def __init__(self, app, account_name, **_kwargs):
        super().__init__(app)
        self.account_name = account_name

    @property
    def allowed_methods(self):
        methods = ['GET', 'HEAD', 'POST', 'OPTIONS']
        if self.app.config.allow_account_management:
            methods += ['PUT', 'DELETE']
        return methods

    def _name_error(self, req):
        limit = self.app.constraints.max_account_name_length
        if len(self.account_name) > limit:
            return HTTPBadRequest(request=req, content_type='text/plain', body=(
                'Account name length of %d longer than %d'
                % (len(self.account_name), limit)).encode('utf-8'))
        return None

    def GETorHEAD(self, req):
        """Account listing / stats; a missing account reads as empty with autocreate."""
        error = self._name_error(req)
        if error:
            return error
        ring = self.app.account_ring
        partition = ring.get_part(*ring_key(self.account_name))
        resp = self.get_or_head_listing(req, ring, partition,
                                        account_path(self.account_name))
        really_exists = True
        if resp.status_int == HTTP_NOT_FOUND:
            if resp.headers.get('X-Account-Status', '').lower() == 'deleted':
                resp = Response(status=410, request=req)
            elif self.app.config.account_autocreate:
                resp = fake_account_listing(req, self.app.now())
                really_exists = False
        info = headers_to_account_info(resp.headers, resp.status_int,
                                       self.app.policies)
        info['account_really_exists'] = really_exists
        ttl = cache_ttl(resp.status_int, self.app.config.recheck_account_existence)
        set_info_cache(req.environ, account_cache_key(self.account_name), info, ttl)
        acl = resp.headers.get(ACL_SYSMETA_HEADER)
        if acl and req.environ.get('swift_owner'):
            resp.headers[ACL_HEADER] = acl
        if not req.environ.get('swift_owner'):
            for header in self.app.swift_owner_headers:
                resp.headers[header] = None
        return resp

    GET = GETorHEAD
    HEAD = GETorHEAD

    def POST(self, req):
        """Update account metadata (204); autocreates a missing account first."""
        error = self._name_error(req) or self._metadata_error(req)
        if error:
            return error
        ring = self.app.account_ring
        partition, nodes = ring.get_nodes(*ring_key(self.account_name))
        headers = self.generate_request_headers(req, transfer=True)
        clear_info_cache(req.environ, self.account_name)
        path = account_path(self.account_name)
        resp = self.make_requests(req, ring, partition, 'POST', path,
                                  [headers] * len(nodes))
        if resp.status_int == HTTP_NOT_FOUND and self.app.config.account_autocreate:
            self.autocreate_account(req, self.account_name)
            resp = self.make_requests(req, ring, partition, 'POST', path,
                                      [headers] * len(nodes))
        return resp

    def PUT(self, req):
        """Create an account (reseller only; allow_account_management)."""
        if not self.app.config.allow_account_management:
            return HTTPMethodNotAllowed(request=req, headers={
                'Allow': ', '.join(self.allowed_methods)})
        error = self._name_error(req) or self._metadata_error(req)
        if error:
            return error
        ring = self.app.account_ring
        partition, nodes = ring.get_nodes(*ring_key(self.account_name))
        headers = self.generate_request_headers(req, transfer=True)
        clear_info_cache(req.environ, self.account_name)
        return self.make_requests(req, ring, partition, 'PUT',
                                  account_path(self.account_name), [headers] * len(nodes))

    def DELETE(self, req):
        """Delete an account (reseller only; allow_account_management)."""
        if req.query_string:
            # Swift refuses: a typo'd middleware query must not delete an account.
            return HTTPBadRequest(request=req)
        if not self.app.config.allow_account_management:
            return HTTPMethodNotAllowed(request=req, headers={
                'Allow': ', '.join(self.allowed_methods)})
        ring = self.app.account_ring
        partition, nodes = ring.get_nodes(*ring_key(self.account_name))
        headers = self.generate_request_headers(req)
        clear_info_cache(req.environ, self.account_name)
        return self.make_requests(req, ring, partition, 'DELETE',
                                  account_path(self.account_name), [headers] * len(nodes))

    def _acl_error(self, req):
        """Turn X-Account-Access-Control into its sysmeta (owners only, with an
        ACL-aware auth middleware); 400 for an invalid value."""
        value = req.headers.pop(ACL_HEADER, None)
        translator = self.app.account_acl_translator
        if value is None or translator is None or not req.environ.get('swift_owner'):
            return None
        if value.strip() == '':
            req.headers[ACL_SYSMETA_HEADER] = ''
            return None
        try:
            acl = translator(value)
        except ValueError as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=str(err).encode('utf-8'))
        req.headers[ACL_SYSMETA_HEADER] = json.dumps(
            acl, ensure_ascii=True, separators=(',', ':'), sort_keys=True)
        return None

    def _metadata_error(self, req):
        acl_error = self._acl_error(req)
        if acl_error:
            return acl_error
        try:
            check_metadata(req.headers, 'account', self.app.constraints)
        except ConstraintError as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=err.body.encode('utf-8'))
        return None


def fake_account_listing(req, now):
    """The empty listing Swift answers for a not-yet-created autocreate account
    (always JSON: listing_formats converts; plain empty becomes 204)."""
    headers = {'X-Account-Container-Count': '0', 'X-Account-Object-Count': '0',
               'X-Account-Bytes-Used': '0', 'X-Timestamp': now.normal,
               'X-Put-Timestamp': now.normal,
               'X-Backend-Fake-Account-Listing': 'yes'}
    if req.method == 'HEAD':
        return Response(status=204, request=req, headers=dict(
            headers, **{'Content-Type': 'text/plain; charset=utf-8'}))
    resp = Response(status=200, request=req, headers=headers,
                    content_type='application/json; charset=utf-8')
    resp.body = json.dumps([]).encode('ascii')
    return resp

