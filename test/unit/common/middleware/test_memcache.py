from swift.common.memcached import MemcacheRing
from swift.common.middleware import memcache
from swift.common.swob import Request


def test_puts_ring_in_env_and_reads_memcache_conf(tmp_path):
    (tmp_path / 'memcache.conf').write_text(
        '[memcache]\nmemcache_servers = 10.1.1.1:11211,10.1.1.2:11211\n')
    seen = {}

    def app(env, start_response):
        seen['cache'] = env['swift.cache']
        start_response('204 No Content', [])
        return [b'']
    wrapped = memcache.filter_factory({'swift_dir': str(tmp_path)})(app)
    Request.blank('/v1/a').get_response(wrapped)
    assert isinstance(seen['cache'], MemcacheRing)
    assert seen['cache'].servers == ['10.1.1.1:11211', '10.1.1.2:11211']
    override = memcache.filter_factory({'swift_dir': str(tmp_path)},
                                       memcache_servers='1.2.3.4:5')(app)
    assert override.memcache.servers == ['1.2.3.4:5']
