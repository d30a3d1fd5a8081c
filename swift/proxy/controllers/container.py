# Container requests (swift-catalog.md 5, 6). A container PUT/DELETE carries
# X-Account-Host/-Partition/-Device so each container server updates its account
# replica; X-Storage-Policy picks the policy at creation (sent as
# X-Backend-Storage-Policy-Index, or X-Backend-Storage-Policy-Default when absent).
# Reads check container ACLs after fetching the container (delay_denial).
"""ContainerController."""

from swift.common.constraints import ConstraintError, check_metadata
from swift.common.http_status import HTTP_ACCEPTED, is_success
from swift.common.swob import (HTTPBadRequest, HTTPForbidden, HTTPNotFound,
                               HTTPServiceUnavailable)
from swift.proxy.controllers.base import (ListingController, clone_headers,
                                          container_path, ring_key,
                                          csv_append)
from swift.proxy.info_cache import (cache_ttl, clear_info_cache, container_cache_key,
                                    get_account_info_for, get_container_info_for,
                                    headers_to_container_info, set_info_cache)


class ContainerController(ListingController):
    """Handles ``/v1/<account>/<container>`` (names are WSGI strs)."""

    server_type = 'Container'
    pass_through_headers = frozenset((
        'x-container-read', 'x-container-write', 'x-container-sync-key',
        'x-container-sync-to', 'x-versions-location', 'x-history-location'))
    remove_headers = frozenset((
        'x-remove-container-read', 'x-remove-container-write',
        'x-remove-container-sync-key', 'x-remove-container-sync-to',
        'x-remove-versions-location', 'x-remove-history-location'))

    def __init__(self, app, account_name, container_name, **_kwargs):
        super().__init__(app)
        self.account_name = account_name
        self.container_name = container_name

    allowed_methods = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS')

    def _path(self):
        return container_path(self.account_name, self.container_name)

    def _ring_names(self):
        return ring_key(self.account_name, self.container_name)

    def GETorHEAD(self, req):
        """Listing / stats; ACL-checked once the container's read ACL is known."""
        auto_account = self.account_name.startswith(
            self.app.constraints.auto_create_account_prefix)
        if not auto_account and self.account_info(req, self.account_name)[1] is None:
            denial = self.authorize(req)
            return denial or HTTPNotFound(request=req)
        ring = self.app.container_ring
        partition = ring.get_part(*self._ring_names())
        resp = self.get_or_head_listing(req, ring, partition, self._path())
        info = headers_to_container_info(resp.headers, resp.status_int)
        set_info_cache(req.environ, container_cache_key(self.account_name,
                                                        self.container_name), info,
                       cache_ttl(resp.status_int,
                                 self.app.config.recheck_container_existence))
        req.acl = resp.headers.get('X-Container-Read')
        denial = self.authorize(req)
        if denial:
            return denial
        policy_index = resp.headers.get('X-Backend-Storage-Policy-Index')
        policy = self.app.policies.get_by_index(policy_index) if policy_index else None
        if policy is not None and resp.status_int < 300:
            resp.headers['X-Storage-Policy'] = policy.name
        if not req.environ.get('swift_owner'):
            for header in self.app.swift_owner_headers:
                resp.headers[header] = None
        return resp

    GET = GETorHEAD
    HEAD = GETorHEAD

    def authorize(self, req):
        """Run the auth hook (if any); a denial Response or None."""
        authorize = req.environ.get('swift.authorize')
        return authorize(req) if authorize else None

    def PUT(self, req):
        """Create a container (201) or update an existing one (202)."""
        error = self._check_write(req)
        if error:
            return error
        try:
            policy_index = self._policy_index(req)
        except ValueError as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=str(err).encode('utf-8'))
        limit = self.app.constraints.max_container_name_length
        if len(self.container_name) > limit:
            return HTTPBadRequest(request=req, content_type='text/plain', body=(
                'Container name length of %d longer than %d'
                % (len(self.container_name), limit)).encode('utf-8'))
        account_partition, accounts = self.account_info(req, self.account_name)
        if accounts is None and self.app.config.account_autocreate:
            if not self.autocreate_account(req, self.account_name):
                return HTTPServiceUnavailable(request=req)
            account_partition, accounts = self.account_info(req, self.account_name)
        if accounts is None:
            return HTTPNotFound(request=req)
        limit_error = self._container_limit_error(req)
        if limit_error:
            return limit_error
        ring = self.app.container_ring
        partition, containers = ring.get_nodes(*self._ring_names())
        extra = {}
        if policy_index is None:
            extra['X-Backend-Storage-Policy-Default'] = str(self.app.policies.default.idx)
        else:
            extra['X-Backend-Storage-Policy-Index'] = str(policy_index)
        headers = self._backend_headers(req, len(containers), account_partition,
                                        accounts, extra)
        clear_info_cache(req.environ, self.account_name, self.container_name)
        resp = self.make_requests(req, ring, partition, 'PUT', self._path(), headers)
        clear_info_cache(req.environ, self.account_name, self.container_name)
        clear_info_cache(req.environ, self.account_name)
        return resp

    def _container_limit_error(self, req):
        """403 when a new container would pass max_containers_per_account."""
        config = self.app.config
        if not config.max_containers_per_account or \
                self.account_name in config.max_containers_whitelist:
            return None
        version = req.path_info.split('/')[1] or 'v1'
        account = get_account_info_for(req.environ, self.app, version, self.account_name)
        try:
            count = int(account.get('container_count') or 0)
        except ValueError:
            count = 0
        if count < config.max_containers_per_account:
            return None
        existing = get_container_info_for(req.environ, self.app, version,
                                          self.account_name, self.container_name)
        if is_success(existing.get('status') or 0):
            return None   # updating an existing container is fine
        return HTTPForbidden(request=req, content_type='text/plain', body=(
            'Reached container limit of %s' % config.max_containers_per_account
        ).encode('utf-8'))

    def POST(self, req):
        """Update container metadata / ACLs (204)."""
        error = self._check_write(req)
        if error:
            return error
        if self.account_info(req, self.account_name)[1] is None:
            return HTTPNotFound(request=req)
        ring = self.app.container_ring
        partition, containers = ring.get_nodes(*self._ring_names())
        headers = self.generate_request_headers(req, transfer=True)
        clear_info_cache(req.environ, self.account_name, self.container_name)
        return self.make_requests(req, ring, partition, 'POST', self._path(),
                                  [headers] * len(containers))

    def DELETE(self, req):
        """Delete an empty container (204; 409 when not empty; 404 when missing)."""
        account_partition, accounts = self.account_info(req, self.account_name)
        if accounts is None:
            return HTTPNotFound(request=req)
        ring = self.app.container_ring
        partition, containers = ring.get_nodes(*self._ring_names())
        headers = self._backend_headers(req, len(containers), account_partition,
                                        accounts, {})
        clear_info_cache(req.environ, self.account_name, self.container_name)
        resp = self.make_requests(req, ring, partition, 'DELETE', self._path(), headers)
        clear_info_cache(req.environ, self.account_name)
        if resp.status_int == HTTP_ACCEPTED:
            # No container server had the container.
            return HTTPNotFound(request=req)
        return resp

    def _check_write(self, req):
        """ACL cleaning, owner-only headers and metadata limits (400 on error)."""
        clean_acl = req.environ.get('swift.clean_acl')
        for header in ('X-Container-Read', 'X-Container-Write'):
            if clean_acl and header in req.headers:
                try:
                    req.headers[header] = clean_acl(header.lower(), req.headers[header])
                except ValueError as err:
                    return HTTPBadRequest(request=req, content_type='text/plain',
                                          body=str(err).encode('utf-8'))
        if not req.environ.get('swift_owner'):
            for header in self.app.swift_owner_headers:
                req.headers.pop(header, None)
        try:
            check_metadata(req.headers, 'container', self.app.constraints)
        except ConstraintError as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=err.body.encode('utf-8'))
        return None

    def _policy_index(self, req):
        """Index of the X-Storage-Policy named in ``req`` (None when absent).

        :raises ValueError: with Swift's message for an unknown/deprecated policy.
        """
        name = req.headers.get('X-Storage-Policy')
        if not name:
            return None
        policy = self.app.policies.get_by_name(name)
        if policy is None:
            raise ValueError("Invalid X-Storage-Policy '%s'" % name)
        if policy.is_deprecated:
            raise ValueError('Storage Policy %r is deprecated' % policy.name)
        return policy.idx

    def _backend_headers(self, req, count, account_partition, accounts, extra):
        """One header dict per container replica, spreading the account replicas
        over them (X-Account-Host/-Device as csv, X-Account-Partition)."""
        extra = dict(extra)
        extra.setdefault('X-Timestamp', self.app.now().internal)  # one for all replicas
        base = self.generate_request_headers(req, additional=extra, transfer=True)
        headers = [clone_headers(base) for _ in range(count)]
        for index, account in enumerate(accounts):
            slot = headers[index % count]
            slot['X-Account-Partition'] = str(account_partition)
            slot['X-Account-Host'] = csv_append(slot.get('X-Account-Host'),
                                                '%(ip)s:%(port)s' % account)
            slot['X-Account-Device'] = csv_append(slot.get('X-Account-Device'),
                                                  account['device'])
        return headers
