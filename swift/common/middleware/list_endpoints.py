# Where does a name live? (Swift's list_endpoints). For rebalance-aware clients
# (e.g. Hadoop-style schedulers) that want to read from the storage nodes directly.
#   GET /endpoints/{account}                     account ring primaries
#   GET /endpoints/{account}/{container}         container ring primaries
#   GET /endpoints/{account}/{container}/{obj}   object ring of the container's policy
#   GET /endpoints/v1/...   -> JSON list of URLs
#       ["http://<ip>:<port>/<device>/<partition>/<account>[/<container>[/<obj>]]", ...]
#   GET /endpoints/v2/...   -> {"endpoints": [...same...], "headers": {...}} where
#       headers holds X-Backend-Storage-Policy-Index (str) for objects.
# Rules (Swift 2.38):
#   * no version means v1; a first segment like ``v3`` (starts with 'v', no '_') is an
#     unsupported version: 400 ``Unsupported version 'v3'``; an account such as
#     ``v_x`` is taken as an account; no account: 400 ``No account specified``;
#   * only GET: other verbs get 405 with ``Allow: GET``;
#   * names are unquoted from the request path and quoted again in the URLs;
#   * the object's policy comes from the container's info (policy 0 when the container
#     does not exist); IPv6 node addresses are bracketed;
#   * ``list_endpoints_path`` (``/endpoints/``) moves the whole API. No /info section.
"""list_endpoints middleware."""

import json
from typing import Dict, Optional, Sequence, Tuple

from swift.common.ring import Ring
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.swob import (HTTPBadRequest, HTTPMethodNotAllowed, Request, Response,
                               split_path, wsgi_quote)
from swift.proxy.info_cache import get_container_info_for

RESPONSE_VERSIONS = (1.0, 2.0)
DEFAULT_RESPONSE_VERSION = 1.0


class EndpointPathError(ValueError):
    """A /endpoints path this API does not understand; the message is the 400 body."""


def parse_version(raw_version: str) -> float:
    """``'v2'`` -> 2.0.

    :raises EndpointPathError: not a number, or not one of RESPONSE_VERSIONS.
    """
    message = 'Unsupported version %r' % raw_version
    try:
        version = float(raw_version.lstrip('v'))
    except ValueError:
        raise EndpointPathError(message)
    if version not in RESPONSE_VERSIONS:
        raise EndpointPathError(message)
    return version


def parse_endpoints_path(
        path: str) -> Tuple[float, str, Optional[str], Optional[str]]:
    """Split the part after the endpoints prefix (``/[v2/]a[/c[/o]]``, WSGI str).

    :returns: (version float, account, container or None, obj or None), names still
        as they were in the path.
    :raises EndpointPathError: see the module doc.
    """
    try:
        raw_version, rest = split_path(path, 1, 2, True)
    except ValueError:
        raise EndpointPathError('No account specified')
    try:
        version = parse_version(raw_version)
    except EndpointPathError:
        if raw_version.startswith('v') and '_' not in raw_version:
            raise   # looks more like a bad version than an account
        version, rest = DEFAULT_RESPONSE_VERSION, path
    else:
        rest = '/' + rest if rest else '/'
    try:
        account, container, obj = split_path(rest, 1, 3, True)
    except ValueError:
        raise EndpointPathError('No account specified')
    return version, account, container, obj


def node_url(node: Dict, partition: int, names: Sequence[str]) -> str:
    """``http://ip:port/device/partition/<quoted names...>`` (IPv6 ip bracketed)."""
    ip = node['ip']
    if ':' in ip and not ip.startswith('['):
        ip = '[%s]' % ip
    return 'http://%s:%s/%s/%s/%s' % (ip, node['port'], node['device'], partition,
                                      '/'.join(wsgi_quote(n) for n in names))


class ListEndpointsMiddleware:
    """See the module doc.

    :param app: next WSGI app (asked for container info).
    :param conf: paste conf: ``swift_dir`` (/etc/swift), ``list_endpoints_path``
        (/endpoints/).
    :param account_ring, container_ring: rings (default loaded from swift_dir).
    :param object_rings: ``{policy index: ring}``; missing ones load from swift_dir.
    :param policies: :class:`StoragePolicyCollection` (default from swift_dir).
    """

    def __init__(self, app, conf=None, *, account_ring=None, container_ring=None,
                 object_rings=None, policies=None):
        conf = conf or {}
        self.app = app
        self.swift_dir = conf.get('swift_dir', '/etc/swift')
        self.account_ring = account_ring or Ring(self.swift_dir, ring_name='account')
        self.container_ring = container_ring or Ring(self.swift_dir,
                                                     ring_name='container')
        self.object_rings = dict(object_rings or {})
        self.policies = policies or StoragePolicyCollection.from_swift_dir(self.swift_dir)
        self.endpoints_path = conf.get('list_endpoints_path', '/endpoints/')
        if not self.endpoints_path.endswith('/'):
            self.endpoints_path += '/'

    def get_object_ring(self, policy_index):
        """The object ring of a policy index (int), loaded on first use."""
        if policy_index not in self.object_rings:
            policy = self.policies.get_by_index(policy_index)
            ring_name = policy.ring_name if policy else 'object-%d' % policy_index
            self.object_rings[policy_index] = Ring(self.swift_dir, ring_name=ring_name)
        return self.object_rings[policy_index]

    def __call__(self, env, start_response):
        req = Request(env)
        if not req.path_info.startswith(self.endpoints_path):
            return self.app(env, start_response)
        if req.method != 'GET':
            return HTTPMethodNotAllowed(request=req, headers={'Allow': 'GET'})(
                env, start_response)
        try:
            version, account, container, obj = parse_endpoints_path(
                req.path_info[len(self.endpoints_path) - 1:])
        except EndpointPathError as err:
            return HTTPBadRequest(request=req, body=str(err).encode('utf-8'))(
                env, start_response)
        resp = self.endpoints_response(req, version, account, container, obj)
        return resp(env, start_response)

    def endpoints_response(self, req, version, account, container, obj):
        """The v1 or v2 JSON :class:`Response` for the names (WSGI strs)."""
        policy_index = None
        if obj is not None:
            info = get_container_info_for(req.environ, self.app, 'v1', account,
                                          container, swift_source='LE')
            policy_index = int(info.get('storage_policy') or 0)
            ring = self.get_object_ring(policy_index)
            names = (account, container, obj)
        elif container is not None:
            ring, names = self.container_ring, (account, container)
        else:
            ring, names = self.account_ring, (account,)
        # the ring hashes the raw UTF-8 bytes a WSGI str carries
        partition, nodes = ring.get_nodes(*[n.encode('latin-1') for n in names])
        endpoints = [node_url(node, partition, names) for node in nodes]
        if version == 1.0:
            body = endpoints
        else:
            headers = {}
            if policy_index is not None:
                headers['X-Backend-Storage-Policy-Index'] = str(policy_index)
            body = {'endpoints': endpoints, 'headers': headers}
        return Response(request=req, body=json.dumps(body).encode('utf-8'),
                        content_type='application/json')


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#list_endpoints``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: ListEndpointsMiddleware(app, conf)
