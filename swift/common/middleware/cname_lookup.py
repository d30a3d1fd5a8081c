# CNAME-based virtual hosts (Swift's cname_lookup). A customer points
# www.example.org (CNAME) at <container>.<account>.<storage_domain>; this filter, placed
# before domain_remap, follows the Host's CNAME chain and rewrites HTTP_HOST to the
# storage-domain name it finds, so domain_remap then routes the request. Rules
# (Swift 2.38):
#   * no storage_domain, an IP address as host, or a host already inside a storage
#     domain: pass through untouched;
#   * up to ``lookup_depth`` (1) CNAME lookups; each answer (cached in memcache as
#     ``cname-<name>`` for the record's TTL) that lies in a storage domain ends the
#     walk and becomes the new Host (the client's :port kept);
#   * no CNAME (or a CNAME to itself): 400 ``CNAME lookup failed to resolve to a valid
#     domain``; still outside the storage domains after lookup_depth hops: 400 ``CNAME
#     lookup failed after <lookup_depth> tries``;
#   * ``nameservers``: comma list of ``ip`` or ``ip:port`` (``[v6]:port``) to ask
#     instead of the system resolver; anything else fails at startup;
#   * /info section ``cname_lookup: {"lookup_depth": N}``.
# DNS goes through a small resolver object (``lookup(name) -> (ttl_s, target|None)``)
# so tests inject a fake one and never send a query.
"""cname_lookup middleware."""

import ipaddress
from typing import List, Optional, Tuple

from swift.common.config import ConfigError, list_from_csv
from swift.common.logs import get_logger
from swift.common.middleware.domain_remap import matching_domain, split_host, \
    storage_domains
from swift.common.swob import HTTPBadRequest, Request
from swift.proxy.controllers.info import register_swift_info


class DnsResolver:
    """CNAME lookups with dnspython.

    :param nameservers: list of (ip str, port int or None); empty: the system's.
    """

    def __init__(self, nameservers=()):
        import dns.resolver   # imported here: only a real lookup needs it
        # with nameservers given, /etc/resolv.conf is not read at all
        self._resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            self._resolver.nameservers = [ip for ip, _port in nameservers]
            self._resolver.nameserver_ports = {
                ip: port for ip, port in nameservers if port is not None}

    def lookup(self, name: str) -> Tuple[int, Optional[str]]:
        """(ttl seconds, CNAME target without the trailing dot) or (0, None) when
        there is no CNAME or DNS fails."""
        import dns.exception
        try:
            answer = self._resolver.resolve(name, 'CNAME').rrset
        except dns.exception.DNSException:
            return 0, None
        items = list(answer.items) if answer is not None else []
        if not items:
            return 0, None
        return answer.ttl, items[0].to_text().rstrip('.')


def parse_nameservers(value: Optional[str]) -> List[Tuple[str, Optional[int]]]:
    """``'1.2.3.4, 5.6.7.8:5353, [::1]:53'`` -> [(ip, port or None), ...].

    :raises ConfigError: for an entry that is not an IP address (with optional port).
    """
    servers = []
    for entry in list_from_csv(value):
        host, port = split_host(entry)
        if host.startswith('[') and host.endswith(']'):
            host = host[1:-1]
        elif entry.count(':') > 1:
            host, port = entry, ''   # a bare IPv6 address
        try:
            ipaddress.ip_address(host)
            servers.append((host, int(port) if port else None))
        except ValueError:
            raise ConfigError('Invalid cname_lookup/nameservers configuration found.',
                              option='nameservers')
    return servers


def is_ip(host: str) -> bool:
    """True for an IPv4/IPv6 literal (brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip('[]'))
    except ValueError:
        return False
    return True


class CNAMELookupMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf: storage_domain (example.com), lookup_depth (1),
        nameservers (none).
    :param resolver: object with ``lookup(name) -> (ttl_s, target or None)``
        (default :class:`DnsResolver`).
    :param logger: logger (default: ``get_logger(conf, log_route='cname-lookup')``).
    :raises ConfigError: bad nameservers or lookup_depth.
    """

    def __init__(self, app, conf=None, *, resolver=None, logger=None):
        conf = conf or {}
        self.app = app
        self.storage_domain = storage_domains(conf.get('storage_domain', 'example.com'))
        try:
            self.lookup_depth = int(conf.get('lookup_depth', '1'))
        except ValueError:
            raise ConfigError('Invalid lookup_depth %r' % conf.get('lookup_depth'),
                              option='lookup_depth')
        nameservers = parse_nameservers(conf.get('nameservers'))
        self.resolver = resolver or DnsResolver(nameservers)
        self.logger = logger or get_logger(conf, log_route='cname-lookup')

    def in_storage_domain(self, name: str) -> bool:
        """True when ``name`` is a storage domain or lies inside one."""
        return matching_domain('.' + name, self.storage_domain) is not None

    def resolve(self, env, name):
        """Follow ``name``'s CNAME chain.

        :returns: (storage-domain host or None, error message or None).
        """
        memcache = env.get('swift.cache')
        current = name
        for _hop in range(self.lookup_depth):
            key = 'cname-' + current
            found = memcache.get(key) if memcache is not None else None
            if found is None:
                ttl, found = self.resolver.lookup(current)
                if memcache is not None and found and ttl > 0:
                    memcache.set(key, found, time=ttl)
            if not found or found == current:
                return None, 'CNAME lookup failed to resolve to a valid domain'
            if self.in_storage_domain(found):
                self.logger.info('Mapped %s to %s', name, found)
                return found, None
            self.logger.debug('Following CNAME chain for %s to %s', name, found)
            current = found
        return None, 'CNAME lookup failed after %d tries' % self.lookup_depth

    def __call__(self, env, start_response):
        if not self.storage_domain:
            return self.app(env, start_response)
        requested_host = env.get('HTTP_HOST') or env.get('SERVER_NAME', '')
        name, port = split_host(requested_host)
        if is_ip(name) or self.in_storage_domain(name):
            return self.app(env, start_response)
        found, error = self.resolve(env, name)
        if error:
            resp = HTTPBadRequest(request=Request(env), body=error.encode('utf-8'),
                                  content_type='text/plain')
            return resp(env, start_response)
        env['HTTP_HOST'] = '%s:%s' % (found, port) if port else found
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#cname_lookup``)."""
    conf = dict(global_conf)
    conf.update(local_conf)

    def cname_filter(app):
        register_swift_info(app, 'cname_lookup',
                            lookup_depth=int(conf.get('lookup_depth', '1')))
        return CNAMELookupMiddleware(app, conf)
    return cname_filter
