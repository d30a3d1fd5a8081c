from swift.common.middleware import gatekeeper
from swift.common.swob import Request


def test_strips_internal_headers_both_ways():
    seen = {}

    def app(env, start_response):
        seen.update(Request(env).headers.items())
        start_response('200 OK', [('X-Backend-Storage-Policy-Index', '1'),
                                  ('X-Object-Sysmeta-Foo', 'x'),
                                  ('X-Container-Sysmeta-Bar', 'y'),
                                  ('X-Object-Meta-Ok', 'kept'),
                                  ('X-Timestamp', '1.00000')])
        return [b'']
    wrapped = gatekeeper.filter_factory({})(app)
    resp = Request.blank('/v1/a/c/o', headers={
        'X-Backend-Storage-Policy-Index': '1', 'X-Object-Sysmeta-Foo': 'x',
        'X-Account-Sysmeta-Q': 'z', 'X-Object-Transient-Sysmeta-T': 't',
        'X-Timestamp': '123.45', 'X-Object-Meta-Color': 'blue'}).get_response(wrapped)
    assert 'X-Object-Sysmeta-Foo' not in seen
    assert 'X-Account-Sysmeta-Q' not in seen
    assert 'X-Object-Transient-Sysmeta-T' not in seen
    assert 'X-Timestamp' not in seen
    assert seen['X-Backend-Inbound-X-Timestamp'] == '123.45'
    assert seen['X-Object-Meta-Color'] == 'blue'
    assert 'X-Backend-Storage-Policy-Index' not in resp.headers
    assert 'X-Object-Sysmeta-Foo' not in resp.headers
    assert 'X-Container-Sysmeta-Bar' not in resp.headers
    assert resp.headers['X-Object-Meta-Ok'] == 'kept'
    assert resp.headers['X-Timestamp'] == '1.00000'
