from swift.common.middleware import crossdomain
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift


def make(**conf):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    return crossdomain.filter_factory({}, **conf)(app), app


def test_default_policy():
    mw, app = make()
    resp = Request.blank('/crossdomain.xml').get_response(mw)
    assert resp.status_int == 200
    assert resp.headers['Content-Type'].startswith('application/xml')
    assert resp.body == (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE cross-domain-policy SYSTEM '
        b'"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
        b'<cross-domain-policy>\n'
        b'<allow-access-from domain="*" secure="false" />\n'
        b'</cross-domain-policy>')
    assert app.calls == []
    assert app.info_registry.sections['crossdomain'] == {}


def test_configured_policy_lines_verbatim():
    policy = ('<allow-access-from domain="*.example.com" />\n'
              '<allow-access-from domain="www.example.com" secure="false" />')
    mw, _app = make(cross_domain_policy=policy)
    body = Request.blank('/crossdomain.xml').get_response(mw).body.decode()
    assert '<cross-domain-policy>\n%s\n</cross-domain-policy>' % policy in body


def test_other_requests_pass_through():
    mw, app = make()
    assert Request.blank('/crossdomain.xml', method='HEAD').get_response(mw).status_int \
        == 404
    assert Request.blank('/v1/a/crossdomain.xml').get_response(mw).status_int == 404
    assert [c.path for c in app.calls] == ['/crossdomain.xml', '/v1/a/crossdomain.xml']
