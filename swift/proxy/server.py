# The proxy server WSGI app (DESIGN.md 3): every client request that passed the
# middleware pipeline enters Application.__call__, which
#   1. gives the request a transaction id (unless catch_errors already did),
#   2. refuses bad paths: 412 "Invalid UTF8 or contains NULL", 404 for paths that are
#      not /v1/<account>[/<container>[/<object>]] (or /info), 400 for another API
#      version or for "." / ".." as account or container,
#   3. picks a controller and its verb handler (405 with Allow otherwise),
#   4. runs the auth hook env['swift.authorize'] once; a denial is returned at once
#      unless the handler delays it to re-check with the container's ACL,
#   5. turns any unexpected exception into a 500 (logged with the txn id).
"""Proxy Application, ``app_factory`` and ``main``."""

import random

from swift import __version__ as swift_version
from swift.common import bufferedhttp
from swift.common.clock import REAL_CLOCK
from swift.common.config import config_true_value, list_from_csv
from swift.common.connection_pool import ConnectionPool
from swift.common.constraints import Constraints, valid_utf8
from swift.common.hashing import HashPathConfig
from swift.common.logs import get_logger
from swift.common.ring import Ring
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.swob import (HTTPBadRequest, HTTPMethodNotAllowed, HTTPNotFound,
                               HTTPPreconditionFailed, HTTPServerError, Request,
                               split_path)
from swift.common.timestamp import Timestamp
from swift.proxy.config import ProxyConfig
from swift.proxy.controllers.account import AccountController
from swift.proxy.cors import add_cors_headers
from swift.proxy.controllers.base import ErrorLimiter
from swift.proxy.controllers.container import ContainerController
from swift.proxy.controllers.info import InfoController, InfoRegistry
from swift.proxy.controllers.obj import ObjectController
from swift.proxy.node_sorting import (NodeTimings, parse_read_affinity,
                                      parse_write_affinity)
from swift.proxy.trans_id import generate_trans_id, trans_id_suffix

# Headers only an account owner may see or set (Swift's swift_owner_headers).
SWIFT_OWNER_HEADERS = (
    'x-container-read', 'x-container-write', 'x-container-sync-key',
    'x-container-sync-to', 'x-account-meta-temp-url-key',
    'x-account-meta-temp-url-key-2', 'x-container-meta-temp-url-key',
    'x-container-meta-temp-url-key-2', 'x-account-access-control')

# Verb handlers that may run although the first auth check denied: they re-check
# with the container's ACL once they know it.
DELAY_DENIAL = {
    InfoController: {'GET', 'HEAD', 'OPTIONS'},
    ContainerController: {'GET', 'HEAD', 'OPTIONS'},
    ObjectController: {'GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'},
}


class Application:
    """The proxy-server WSGI application.

    :param conf: ``[app:proxy-server]`` options merged over ``[DEFAULT]`` (strings).
    :param logger: logger (default from conf).
    :param account_ring, container_ring: rings (default loaded from swift_dir).
    :param object_rings: ``{policy index: ring}`` (missing ones loaded lazily).
    :param policies: :class:`StoragePolicyCollection` (default from swift.conf).
    :param constraints: :class:`Constraints` (default from swift.conf).
    :param http_connect: backend connector with bufferedhttp.http_connect's signature
        (default: a :class:`ConnectionPool`'s when ``backend_keepalive`` is on, else
        bufferedhttp.http_connect).
    :param clock: time source (``time()``).
    :param hash_config: :class:`HashPathConfig` (default from swift.conf).
    :param memcache: cache used when the pipeline put none in the environ.
    :param rng: random.Random for shuffling read order (tests seed one).
    :raises ConfigError: for a bad option.
    """

    def __init__(self, conf, *, logger=None, account_ring=None, container_ring=None,
                 object_rings=None, policies=None, constraints=None, http_connect=None,
                 clock=None, hash_config=None, memcache=None, rng=None):
        conf = conf or {}
        self.config = ProxyConfig.from_conf(conf)
        swift_dir = self.config.swift_dir
        self.logger = logger or get_logger(conf, name='proxy-server',
                                           log_route='proxy-server')
        self.policies = policies or StoragePolicyCollection.from_swift_dir(swift_dir)
        self.constraints = constraints or Constraints.from_swift_dir(swift_dir)
        bufferedhttp.raise_max_header_count(self.constraints.max_header_count)
        self.clock = clock or REAL_CLOCK
        self.account_ring = account_ring or Ring(swift_dir, ring_name='account')
        self.container_ring = container_ring or Ring(swift_dir, ring_name='container')
        self._object_rings = dict(object_rings or {})
        self._hash_config = hash_config
        self.connection_pool = None
        if http_connect is None and self.config.backend_keepalive:
            self.connection_pool = ConnectionPool()
            http_connect = self.connection_pool.http_connect
        self.http_connect = http_connect or bufferedhttp.http_connect
        self.memcache = memcache
        self.error_limiter = ErrorLimiter(self.config.error_suppression_interval,
                                          self.config.error_suppression_limit,
                                          self.clock)
        self.rng = rng or random.Random()
        self.node_timings = NodeTimings(self.config.timing_expiry, self.clock)
        self.read_affinity = parse_read_affinity(self.config.read_affinity)
        self.write_affinity = parse_write_affinity(self.config.write_affinity)
        self.swift_owner_headers = SWIFT_OWNER_HEADERS
        self.cors_allow_origin = list_from_csv(conf.get('cors_allow_origin', ''))
        self.expose_info = config_true_value(conf.get('expose_info', 'true'))
        self.admin_key = conf.get('admin_key', '')
        # Set by an auth middleware supporting account ACLs (tempauth): validates an
        # X-Account-Access-Control value -> dict, raising ValueError.
        self.account_acl_translator = None
        self.info_registry = InfoRegistry()
        self.info_registry.register('swift', **self._swift_info())

    def _swift_info(self):
        info = {'version': swift_version,
                'strict_cors_mode': self.config.strict_cors_mode,
                'policies': self.policies.info(),
                'allow_account_management': self.config.allow_account_management,
                'account_autocreate': self.config.account_autocreate,
                'allow_open_expired': self.config.allow_open_expired}
        constraints = self.constraints.as_info()
        constraints.pop('valid_api_versions', None)  # not published by Swift 2.38
        info.update(constraints)
        return info

    # -- collaborators -----------------------------------------------------------

    def now(self):
        """The proxy's current time as a Timestamp."""
        return Timestamp(self.clock.time())

    def get_object_ring(self, policy_index):
        """The object ring of a policy (loaded on first use)."""
        index = int(policy_index or 0)
        if index not in self._object_rings:
            policy = self.policies.get_by_index(index)
            self._object_rings[index] = Ring(self.config.swift_dir,
                                             ring_name=policy.ring_name)
        return self._object_rings[index]

    @property
    def hash_config(self):
        if self._hash_config is None:
            self._hash_config = HashPathConfig.from_swift_dir(self.config.swift_dir)
        return self._hash_config

    # -- requests ------------------------------------------------------------------

    def __call__(self, env, start_response):
        req = Request(env)
        own_trans_id = 'swift.trans_id' not in env
        if own_trans_id:
            env['swift.trans_id'] = generate_trans_id(
                trans_id_suffix(req.headers.get('X-Trans-Id-Extra')), self.clock.time())
        if 'swift.cache' not in env and self.memcache is not None:
            env['swift.cache'] = self.memcache
        self.logger.txn_id = env['swift.trans_id']
        resp = self.handle_request(req)
        if own_trans_id:
            resp.headers['X-Trans-Id'] = env['swift.trans_id']
            resp.headers['X-Openstack-Request-Id'] = env['swift.trans_id']
        return resp(env, start_response)

    def handle_request(self, req):
        """Route ``req`` to a controller; always returns a swob Response."""
        try:
            return self._handle(req)
        except Exception:  # the request funnel: never a traceback to the client
            self.logger.exception('ERROR Unhandled exception in request')
            return HTTPServerError(request=req)

    def _handle(self, req):
        try:
            if req.content_length is not None and req.content_length < 0:
                raise ValueError
        except ValueError:
            return HTTPBadRequest(request=req, body=b'Invalid Content-Length')
        if not valid_utf8(req.path_info):
            return HTTPPreconditionFailed(request=req,
                                          body=b'Invalid UTF8 or contains NULL')
        controller, error = self.get_controller(req)
        if error is not None:
            return error
        handler = None
        if req.method in controller.allowed_methods:
            handler = getattr(controller, req.method, None)
        if handler is None:
            return HTTPMethodNotAllowed(request=req, headers={
                'Allow': ', '.join(controller.allowed_methods)})
        resp = self._authorize_and_run(req, controller, handler)
        return self._cors(req, controller, resp)

    def _cors(self, req, controller, resp):
        """Access-Control-* headers for cross-origin container/object requests."""
        if not req.headers.get('Origin') or req.method == 'OPTIONS' or \
                not isinstance(controller, (ContainerController, ObjectController)):
            return resp
        info = controller.cors_container_info(req)
        return add_cors_headers(req, resp, info.get('cors') or {},
                                self.cors_allow_origin, self.config.strict_cors_mode)

    def _authorize_and_run(self, req, controller, handler):
        authorize = req.environ.get('swift.authorize')
        if authorize is None:
            return handler(req)
        denial = authorize(req)
        if denial:
            if req.method not in DELAY_DENIAL.get(type(controller), ()):
                return denial
            return handler(req)
        req.environ.pop('swift.authorize', None)
        try:
            return handler(req)
        finally:
            req.environ['swift.authorize'] = authorize

    def get_controller(self, req):
        """(controller, None) or (None, error Response) for ``req``'s path."""
        if req.path_info == '/info':
            return InfoController(self), None
        try:
            version, account, container, obj = split_path(req.path_info, 1, 4, True)
        except ValueError:
            return None, HTTPNotFound(request=req)
        if version not in self.constraints.valid_api_versions:
            return None, HTTPBadRequest(request=req, body=b'Invalid path')
        if not account:
            return None, HTTPNotFound(request=req)
        for kind, name in (('Account', account), ('Container', container)):
            if name in ('.', '..'):
                return None, HTTPBadRequest(request=req, content_type='text/plain', body=(
                    '%s name cannot be "." or ".."' % kind).encode('utf-8'))
        if obj:
            if not container:
                return None, HTTPNotFound(request=req)
            return ObjectController(self, account, container, obj), None
        if container:
            return ContainerController(self, account, container), None
        return AccountController(self, account), None


def app_factory(global_conf, **local_conf):
    """Paste app factory (``egg:swift#proxy``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return Application(conf)


def main(argv=None):
    """``swift-proxy-server CONFIG [-v]``."""
    from swift.common.wsgi import wsgi_main
    return wsgi_main('proxy-server', argv)
