import pytest

from swift.common.config import ConfigError
from swift.common.middleware import cname_lookup
from swift.common.middleware.cname_lookup import (CNAMELookupMiddleware, DnsResolver,
                                                  is_ip, parse_nameservers)
from swift.common.middleware.domain_remap import DomainRemapMiddleware
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_swift import FakeMemcache, FakeSwift


class FakeResolver:
    """CNAME records from a dict; records every lookup (no network)."""

    def __init__(self, records, ttl=60):
        self.records = records
        self.ttl = ttl
        self.lookups = []

    def lookup(self, name):
        self.lookups.append(name)
        if name in self.records:
            return self.ttl, self.records[name]
        return 0, None


def make(records, **conf):
    app = FakeSwift()
    resolver = FakeResolver(records)
    logger = DebugLogger()
    mw = CNAMELookupMiddleware(app, conf, resolver=resolver, logger=logger)
    return mw, app, resolver, logger


def request(mw, host, path='/o', memcache=None):
    env = {'HTTP_HOST': host}
    if memcache is not None:
        env['swift.cache'] = memcache
    return Request.blank(path, environ=env).get_response(mw)


def test_cname_into_storage_domain_rewrites_host():
    mw, app, resolver, logger = make({'www.example.org': 'c.AUTH_a.example.com'})
    request(mw, 'www.example.org')
    assert app.calls[-1].env['HTTP_HOST'] == 'c.AUTH_a.example.com'
    assert resolver.lookups == ['www.example.org']
    assert logger.lines['info'] == ['Mapped www.example.org to c.AUTH_a.example.com']


def test_port_is_kept():
    mw, app, _resolver, _logger = make({'www.example.org': 'c.AUTH_a.example.com'})
    request(mw, 'www.example.org:8080')
    assert app.calls[-1].env['HTTP_HOST'] == 'c.AUTH_a.example.com:8080'


@pytest.mark.parametrize('host', ['c.AUTH_a.example.com', 'example.com', '127.0.0.1',
                                  '127.0.0.1:8080', '[::1]:8080'])
def test_storage_domain_and_ip_hosts_are_not_looked_up(host):
    mw, app, resolver, _logger = make({})
    assert request(mw, host).status_int == 404   # reached the app
    assert app.calls[-1].env['HTTP_HOST'] == host
    assert resolver.lookups == []


def test_no_cname_is_400():
    mw, app, _resolver, _logger = make({})
    resp = request(mw, 'www.example.org')
    assert (resp.status_int, resp.body) == (
        400, b'CNAME lookup failed to resolve to a valid domain')
    assert resp.headers['Content-Type'].startswith('text/plain')
    assert app.calls == []


def test_cname_to_itself_is_400():
    mw, _app, _resolver, _logger = make({'loop.example.org': 'loop.example.org'})
    resp = request(mw, 'loop.example.org')
    assert resp.body == b'CNAME lookup failed to resolve to a valid domain'


def test_chain_longer_than_lookup_depth_is_400():
    records = {'a.example.org': 'b.example.org', 'b.example.org': 'c.AUTH_a.example.com'}
    mw, app, resolver, _logger = make(records)
    resp = request(mw, 'a.example.org')
    assert (resp.status_int, resp.body) == (400, b'CNAME lookup failed after 1 tries')
    assert resolver.lookups == ['a.example.org']
    assert app.calls == []


def test_chain_followed_up_to_lookup_depth():
    records = {'a.example.org': 'b.example.org', 'b.example.org': 'c.AUTH_a.example.com'}
    mw, app, resolver, logger = make(records, lookup_depth='2')
    request(mw, 'a.example.org')
    assert app.calls[-1].env['HTTP_HOST'] == 'c.AUTH_a.example.com'
    assert resolver.lookups == ['a.example.org', 'b.example.org']
    assert logger.lines['debug'] == ['Following CNAME chain for a.example.org to '
                                     'b.example.org']


def test_answers_cached_in_memcache_for_their_ttl():
    memcache = FakeMemcache()
    calls = []
    orig_set = memcache.set

    def recording_set(key, value, **kwargs):
        calls.append((key, value, kwargs.get('time')))
        return orig_set(key, value, **kwargs)
    memcache.set = recording_set
    mw, app, resolver, _logger = make({'www.example.org': 'c.AUTH_a.example.com'})
    request(mw, 'www.example.org', memcache=memcache)
    request(mw, 'www.example.org', memcache=memcache)
    assert resolver.lookups == ['www.example.org']
    assert calls == [('cname-www.example.org', 'c.AUTH_a.example.com', 60)]
    assert app.calls[-1].env['HTTP_HOST'] == 'c.AUTH_a.example.com'


def test_failed_lookup_not_cached():
    memcache = FakeMemcache()
    mw, _app, resolver, _logger = make({})
    request(mw, 'www.example.org', memcache=memcache)
    request(mw, 'www.example.org', memcache=memcache)
    assert resolver.lookups == ['www.example.org'] * 2
    assert memcache.store == {}


def test_several_storage_domains():
    mw, app, _resolver, _logger = make({'www.example.org': 'AUTH_a.storage.net'},
                                       storage_domain='example.com, storage.net')
    request(mw, 'www.example.org')
    assert app.calls[-1].env['HTTP_HOST'] == 'AUTH_a.storage.net'


def test_no_storage_domain_disables():
    mw, app, resolver, _logger = make({}, storage_domain='')
    assert request(mw, 'www.example.org').status_int == 404
    assert resolver.lookups == []


def test_with_domain_remap_after_it():
    app = FakeSwift()
    remap = DomainRemapMiddleware(app, {'storage_domain': 'example.com'})
    mw = CNAMELookupMiddleware(remap, {'storage_domain': 'example.com'},
                               resolver=FakeResolver({'www.example.org':
                                                      'web.auth-a.example.com'}),
                               logger=DebugLogger())
    request(mw, 'www.example.org', '/index.html')
    assert app.calls[-1].path == '/v1/AUTH_a/web/index.html'


def test_parse_nameservers():
    assert parse_nameservers('') == []
    assert parse_nameservers('1.2.3.4, 5.6.7.8:5353, [::1]:53, ::2') == [
        ('1.2.3.4', None), ('5.6.7.8', 5353), ('::1', 53), ('::2', None)]
    for bad in ('dns.example.org', '1.2.3.4:x', '1.2.3:53'):
        with pytest.raises(ConfigError) as caught:
            parse_nameservers(bad)
        assert str(caught.value) == \
            'Invalid cname_lookup/nameservers configuration found.'


def test_bad_nameservers_or_depth_fail_at_startup():
    with pytest.raises(ConfigError):
        CNAMELookupMiddleware(FakeSwift(), {'nameservers': 'nope'},
                              resolver=FakeResolver({}))
    with pytest.raises(ConfigError):
        CNAMELookupMiddleware(FakeSwift(), {'lookup_depth': 'two'},
                              resolver=FakeResolver({}))


def test_dns_resolver_is_configured_without_querying():
    resolver = DnsResolver([('127.0.0.9', 5353), ('127.0.0.10', None)])
    assert resolver._resolver.nameservers == ['127.0.0.9', '127.0.0.10']
    assert resolver._resolver.nameserver_ports == {'127.0.0.9': 5353}


def test_dns_resolver_maps_dns_errors_to_no_answer():
    import dns.resolver

    class Failing:
        def resolve(self, name, rdtype):
            assert (name, rdtype) == ('www.example.org', 'CNAME')
            raise dns.resolver.NXDOMAIN()
    resolver = DnsResolver([('127.0.0.1', None)])
    resolver._resolver = Failing()
    assert resolver.lookup('www.example.org') == (0, None)


def test_dns_resolver_returns_first_target_without_dot():
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rrset

    rrset = dns.rrset.from_rdata('www.example.org.', 300, dns.rdata.from_text(
        dns.rdataclass.IN, dns.rdatatype.CNAME, 'c.AUTH_a.example.com.'))

    class Answer:
        pass

    class Answering:
        def resolve(self, name, rdtype):
            answer = Answer()
            answer.rrset = rrset
            return answer
    resolver = DnsResolver([('127.0.0.1', None)])
    resolver._resolver = Answering()
    assert resolver.lookup('www.example.org') == (300, 'c.AUTH_a.example.com')


def test_is_ip():
    assert is_ip('10.0.0.1') and is_ip('[::1]') and is_ip('::1')
    assert not is_ip('example.com')


def test_info_section():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    factory = cname_lookup.filter_factory({}, lookup_depth='3', nameservers='127.0.0.1')
    factory(app)
    assert app.info_registry.sections['cname_lookup'] == {'lookup_depth': 3}
