"""staticweb: index pages, HTML listings, redirects, error pages and the auth rule
that an anonymous caller cannot tell a private container exists (field case BL-19)."""

import json
import os

import pytest

from swift.common.middleware import staticweb
from swift.common.middleware.staticweb import (StaticWeb, StaticWebConfig, css_href,
                                               human_readable)
from swift.common.middleware.tempauth import TempAuth
from swift.common.swob import Request, str_to_wsgi, wsgi_to_str
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_swift import FakeMemcache, FakeSwift

WIRE = '/work/shared/fixtures/swift-2.38/wire'
ACCOUNT = '/v1/AUTH_a'
OWNER = 'a,a:u,AUTH_a'
PUBLIC = '.r:*,.rlistings'


class FakeProxy(FakeSwift):
    """FakeSwift that, like the proxy, gives the auth hook the container's read ACL,
    answers container HEADs with the container's headers and lists containers
    (prefix/delimiter/limit) from its objects."""

    def __init__(self):
        super().__init__()
        self.container_headers = {}

    def add_container(self, name, **headers):
        self.container_headers[ACCOUNT + '/' + name] = headers

    def __call__(self, env, start_response):
        authorize = env.get('swift.authorize')
        if authorize is not None and not getattr(authorize, 'acl_aware', False):
            parts = env['PATH_INFO'].split('/', 4)
            container = '/'.join(parts[:4])
            acl = self.container_headers.get(container, {}).get('X-Container-Read')

            def with_acl(req, _authorize=authorize):
                req.acl = acl
                return _authorize(req)
            with_acl.acl_aware = True
            env['swift.authorize'] = with_acl
        return super().__call__(env, start_response)

    def _answer(self, req, body):
        path = req.path_info
        if path in self.container_headers and (req.method, path) not in self.responses:
            headers = self.container_headers[path]
            if req.method == 'HEAD':
                return self._response(req, 204, headers)
            if req.method == 'GET':
                return self._listing(req, path, headers)
        return super()._answer(req, body)

    @staticmethod
    def _response(req, status, headers, body=b''):
        from swift.common.swob import Response
        return Response(request=req, status=status, headers=headers, body=body)

    def _listing(self, req, path, headers):
        prefix = req.params.get('prefix', '')
        delimiter = req.params.get('delimiter')
        limit = int(req.params.get('limit', 10000))
        items, seen = [], set()
        for full in sorted(self.objects):
            if not full.startswith(path + '/'):
                continue
            name = full[len(path) + 1:]
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                subdir = prefix + rest.split(delimiter)[0] + delimiter
                if subdir not in seen:
                    seen.add(subdir)
                    items.append({'subdir': wsgi_to_str(subdir)})
                continue
            stored, data = self.objects[full]
            items.append({'name': wsgi_to_str(name), 'bytes': len(data),
                          'hash': stored['Etag'],
                          'content_type': stored['Content-Type'],
                          'last_modified': '2026-11-29T22:00:00.123450'})
        items = items[:limit]
        return self._response(req, 200, dict(headers, **{
            'Content-Type': 'application/json; charset=utf-8'}),
            json.dumps(items).encode('ascii'))


def make(conf=None):
    proxy = FakeProxy()
    proxy.info_registry = InfoRegistry()
    auth = TempAuth(proxy, {'reseller_prefix': 'AUTH'})
    logger = DebugLogger()
    mw = StaticWeb(proxy, conf or {}, logger=logger)
    return mw, proxy, auth, logger


def send(mw, auth, path, method='GET', user=None, headers=None, authorize=True):
    env = {'swift.cache': FakeMemcache()}
    if user:
        env['REMOTE_USER'] = user
    if authorize:
        env['swift.authorize'] = auth.authorize
    return Request.blank(path, environ=env, method=method,
                         headers=headers or {}).get_response(mw)


def site(listings='true', index=None, read_acl=PUBLIC, **meta):
    """A web container 'web' with a few objects."""
    mw, proxy, auth, logger = make()
    headers = {'X-Container-Read': read_acl, 'X-Container-Meta-Web-Listings': listings}
    if index:
        headers['X-Container-Meta-Web-Index'] = index
    for key, value in meta.items():
        headers['X-Container-Meta-Web-' + key.replace('_', '-')] = value
    proxy.add_container('web', **headers)
    for name, body, ctype in (
            ('a.txt', b'x' * 2048, 'text/plain'),
            ('dir/b.html', b'<b>b</b>', 'text/html'),
            ('dir/sub/c', b'c', 'application/octet-stream')):
        proxy.put_object(ACCOUNT + '/web/' + name, body, {'Content-Type': ctype})
    return mw, proxy, auth, logger


# ------------------------------------------------------------------ pure helpers

@pytest.mark.parametrize('value,text', [
    (0, '0'), (1023, '1023'), (1024, '1Ki'), (1536, '2Ki'), (1048576, '1Mi'),
    (5 * 1024 ** 3, '5Gi'), (1024 ** 8, '1Yi'), (1024 ** 9, '1024Yi')])
def test_human_readable_is_swifts(value, text):
    assert human_readable(value) == text


@pytest.mark.parametrize('css,prefix,href', [
    ('listing.css', '', 'listing.css'),
    ('listing.css', 'dir/', '../listing.css'),
    ('my style.css', 'dir/sub/', '../../my%20style.css'),
    ('/absolute/s.css', 'dir/', '/absolute/s.css'),
    ('https://cdn.example.com/s.css', 'dir/', 'https://cdn.example.com/s.css')])
def test_css_href_is_relative_to_the_container(css, prefix, href):
    assert css_href(css, prefix) == href


def test_filter_factory_registers_info_and_reads_url_base():
    proxy = FakeProxy()
    proxy.info_registry = InfoRegistry()
    mw = staticweb.filter_factory({}, url_base='https://www.example.com/ignored')(proxy)
    assert proxy.info_registry.sections['staticweb'] == {}
    assert mw.config == StaticWebConfig('https', 'www.example.com')
    assert StaticWebConfig.from_conf({'url_base': ' '}) == StaticWebConfig(None, None)


# ------------------------------------------------------------------ pass-through

def test_without_an_auth_hook_it_does_nothing_and_says_why():
    mw, proxy, auth, logger = site(index='index.html')
    resp = send(mw, auth, ACCOUNT + '/web', authorize=False)
    assert resp.status_int == 200     # the plain listing of the app below
    assert 'a.txt' in resp.body.decode()
    assert 'Skipping staticweb' in logger.lines['warning'][0]


def test_authenticated_requests_without_web_mode_pass_through():
    mw, proxy, auth, _ = site(index='index.html')
    resp = send(mw, auth, ACCOUNT + '/web', user=OWNER)
    assert resp.status_int == 200
    assert resp.headers['Content-Type'].startswith('application/json')
    assert [c.path for c in proxy.calls] == [ACCOUNT + '/web']


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE'])
def test_writes_pass_through(method):
    mw, proxy, auth, _ = site(index='index.html')
    send(mw, auth, ACCOUNT + '/web/x', method=method)
    assert [(c.method, c.path) for c in proxy.calls] == [(method, ACCOUNT + '/web/x')]


def test_account_requests_pass_through():
    mw, proxy, auth, _ = site()
    send(mw, auth, ACCOUNT)
    assert [c.path for c in proxy.calls] == [ACCOUNT]


# ------------------------------------------------------------------ BL-19

def wire(name):
    with open(os.path.join(WIRE, name), 'rb') as fp:
        head, body = fp.read().split(b'\r\n\r\n', 1)
    return body


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
@pytest.mark.parametrize('path', ['/priv', '/priv/', '/missing', '/missing/'])
def test_bl19_private_and_missing_containers_answer_401_alike(method, path):
    mw, proxy, auth, _ = make()
    proxy.add_container('priv', **{'X-Container-Meta-Web-Listings': 'false',
                                   'X-Container-Meta-Web-Error': 'error.html'})
    proxy.put_object(ACCOUNT + '/priv/401error.html', b'private page')
    resp = send(mw, auth, ACCOUNT + path, method=method)
    assert resp.status_int == 401
    assert resp.headers['Www-Authenticate'] == 'Swift realm="AUTH_a"'
    if method == 'GET':
        assert resp.body == wire('401-no-token.txt')   # Swift 2.38's exact page
    # the listing itself was never asked for
    assert not [c for c in proxy.calls if c.method == 'GET' and c.path.endswith(
        ('/priv', '/missing'))]


def test_bl19_with_a_token_the_private_container_goes_through():
    mw, proxy, auth, _ = make()
    proxy.add_container('priv', **{'X-Container-Meta-Web-Listings': 'false'})
    resp = send(mw, auth, ACCOUNT + '/priv', user=OWNER)
    assert resp.status_int == 200


def test_referrer_only_acl_cannot_list_and_gets_the_401_error_page():
    mw, proxy, auth, _ = site(read_acl='.r:*', error='error.html')
    proxy.put_object(ACCOUNT + '/web/401error.html', b'<p>go away</p>',
                     {'Content-Type': 'text/html'})
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert resp.status_int == 401
    assert resp.body == b'<p>go away</p>'


# ------------------------------------------------------------------ containers

def test_container_without_slash_redirects_301():
    mw, proxy, auth, _ = site(index='index.html')
    resp = send(mw, auth, ACCOUNT + '/web')
    assert resp.status_int == 301
    assert resp.headers['Location'] == 'http://localhost/v1/AUTH_a/web/'


def test_redirect_uses_url_base():
    mw, proxy, auth, _ = site(index='index.html')
    mw.config = StaticWebConfig('https', 'www.example.com')
    resp = send(mw, auth, ACCOUNT + '/web')
    assert resp.headers['Location'] == 'https://www.example.com/v1/AUTH_a/web/'


def test_index_object_is_served_for_the_container():
    mw, proxy, auth, _ = site(index='index.html')
    proxy.put_object(ACCOUNT + '/web/index.html', b'<h1>home</h1>',
                     {'Content-Type': 'text/html'})
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert resp.status_int == 200
    assert resp.body == b'<h1>home</h1>'
    assert resp.headers['Content-Type'] == 'text/html'
    head = send(mw, auth, ACCOUNT + '/web/', method='HEAD')
    assert (head.status_int, head.body) == (200, b'')
    assert head.headers['Content-Length'] == '13'


def test_missing_index_and_no_listings_is_a_404_page_saying_so():
    mw, proxy, auth, _ = site(listings='false', index='index.html')
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert resp.status_int == 404
    text = resp.body.decode()
    assert '<h1>Web Listing Disabled</h1>' in text
    assert '<b>X-Container-Meta-Web-Index: index.html</b>' in text
    assert text.startswith('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional'
                           '//EN" "http://www.w3.org/TR/html4/loose.dtd">\n<html>\n'
                           '<head>\n<title>Listing of /v1/AUTH_a/web/</title>\n')


def test_404_error_page_replaces_the_body_and_keeps_the_status():
    mw, proxy, auth, _ = site(listings='false', index='index.html', error='err.html')
    proxy.put_object(ACCOUNT + '/web/404err.html', b'lost?',
                     {'Content-Type': 'text/html'})
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert (resp.status_int, resp.body) == (404, b'lost?')


def test_no_web_metadata_passes_through_or_404_in_web_mode():
    mw, proxy, auth, _ = site(listings='')
    resp = send(mw, auth, ACCOUNT + '/web')
    assert resp.status_int == 200
    assert resp.headers['Content-Type'].startswith('application/json')
    resp = send(mw, auth, ACCOUNT + '/web', user=OWNER, headers={'X-Web-Mode': 'true'})
    assert resp.status_int == 404


def test_web_mode_with_a_token_serves_the_site():
    mw, proxy, auth, _ = site(index='index.html', read_acl='')
    proxy.put_object(ACCOUNT + '/web/index.html', b'home')
    resp = send(mw, auth, ACCOUNT + '/web/', user=OWNER, headers={'X-Web-Mode': 'yes'})
    assert (resp.status_int, resp.body) == (200, b'home')
    # anonymous on the same private container: 401
    assert send(mw, auth, ACCOUNT + '/web/').status_int == 401


LISTING = '''\
<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"
 "http://www.w3.org/TR/html4/loose.dtd">
<html>
 <head>
  <title>Listing of /v1/AUTH_a/web/</title>
  <style type="text/css">
   h1 {font-size: 1em; font-weight: bold;}
   th {text-align: left; padding: 0px 1em 0px 1em;}
   td {padding: 0px 1em 0px 1em;}
   a {text-decoration: none;}
  </style>
 </head>
 <body>
  <h1 id="title">Listing of /v1/AUTH_a/web/</h1>
  <table id="listing">
   <tr id="heading">
    <th class="colname">Name</th>
    <th class="colsize">Size</th>
    <th class="coldate">Date</th>
   </tr>
   <tr class="item subdir">
    <td class="colname"><a href="dir/">dir/</a></td>
    <td class="colsize">&nbsp;</td>
    <td class="coldate">&nbsp;</td>
   </tr>
   <tr class="item type-text type-plain">
    <td class="colname"><a href="a.txt">a.txt</a></td>
    <td class="colsize">2Ki</td>
    <td class="coldate">2026-11-29 22:00:00</td>
   </tr>
  </table>
 </body>
</html>
'''


def test_html_listing_of_the_container_is_swifts_layout():
    mw, proxy, auth, _ = site()
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert resp.status_int == 200
    assert resp.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert resp.body.decode() == LISTING
    listing_call = [c for c in proxy.calls if c.method == 'GET'][0]
    assert 'delimiter=%2F' in listing_call.query or 'delimiter=/' in listing_call.query
    assert listing_call.env['swift.source'] == 'SW'
    assert listing_call.headers['User-Agent'].endswith('StaticWeb')


def test_listing_escapes_names_and_quotes_links():
    mw, proxy, auth, _ = site()
    proxy.put_object(ACCOUNT + '/web/' + str_to_wsgi('<script>&"é ü'), b'1',
                     {'Content-Type': 'text/x"y'})
    text = send(mw, auth, ACCOUNT + '/web/').body.decode()
    assert '<script>' not in text
    assert '>&lt;script&gt;&amp;&quot;é ü</a>' in text
    assert 'href="%3Cscript%3E%26%22%C3%A9%20%C3%BC"' in text
    assert 'type-text type-x&quot;y' in text


def test_listing_of_a_pseudo_directory_has_a_parent_row_and_relative_css():
    mw, proxy, auth, _ = site(listings_css='style.css')
    text = send(mw, auth, ACCOUNT + '/web/dir/').body.decode()
    assert '<title>Listing of /v1/AUTH_a/web/dir/</title>' in text
    assert '<link rel="stylesheet" type="text/css" href="../style.css" />' in text
    assert '<style' not in text
    assert '<a href="../">../</a>' in text
    assert '<a href="sub/">sub/</a>' in text
    assert '<a href="b.html">b.html</a>' in text
    assert 'dir/b.html' not in text


def test_listing_label_replaces_the_path():
    mw, proxy, auth, _ = site(listings_label='My Site')
    text = send(mw, auth, ACCOUNT + '/web/dir/').body.decode()
    assert '<h1 id="title">Listing of My Site/dir/</h1>' in text


def test_listing_of_an_empty_pseudo_directory_is_404():
    mw, proxy, auth, _ = site()
    resp = send(mw, auth, ACCOUNT + '/web/nothing/')
    assert resp.status_int == 404


def test_head_of_a_listing_has_no_body():
    mw, proxy, auth, _ = site()
    resp = send(mw, auth, ACCOUNT + '/web/', method='HEAD')
    assert (resp.status_int, resp.body) == (200, b'')
    assert int(resp.headers['Content-Length']) == len(LISTING)


# ------------------------------------------------------------------ objects

def test_existing_object_is_served_as_is():
    mw, proxy, auth, _ = site(index='index.html')
    resp = send(mw, auth, ACCOUNT + '/web/a.txt')
    assert (resp.status_int, resp.body) == (200, b'x' * 2048)


def test_pseudo_directory_without_slash_redirects_when_it_has_objects():
    mw, proxy, auth, _ = site()
    resp = send(mw, auth, ACCOUNT + '/web/dir')
    assert resp.status_int == 301
    assert resp.headers['Location'] == 'http://localhost/v1/AUTH_a/web/dir/'
    assert send(mw, auth, ACCOUNT + '/web/none').status_int == 404


def test_pseudo_directory_index_is_served_and_redirected_to():
    mw, proxy, auth, _ = site(index='index.html')
    proxy.put_object(ACCOUNT + '/web/dir/index.html', b'dir home')
    resp = send(mw, auth, ACCOUNT + '/web/dir/')
    assert (resp.status_int, resp.body) == (200, b'dir home')
    resp = send(mw, auth, ACCOUNT + '/web/dir')
    assert resp.status_int == 301
    assert resp.headers['Location'].endswith('/v1/AUTH_a/web/dir/')


def test_missing_object_gets_the_404_error_page():
    mw, proxy, auth, _ = site(index='index.html', error='.html')
    proxy.put_object(ACCOUNT + '/web/404.html', b'not here')
    resp = send(mw, auth, ACCOUNT + '/web/nope.txt')
    assert (resp.status_int, resp.body) == (404, b'not here')


def test_other_object_errors_get_no_error_page():
    mw, proxy, auth, _ = site(index='index.html', error='.html', read_acl='')
    proxy.put_object(ACCOUNT + '/web/401.html', b'page')
    resp = send(mw, auth, ACCOUNT + '/web/a.txt')
    assert resp.status_int == 401
    assert resp.body != b'page'


def test_object_404_without_web_metadata_is_the_plain_404():
    mw, proxy, auth, _ = site(listings='')
    resp = send(mw, auth, ACCOUNT + '/web/nope')
    assert resp.status_int == 404


@pytest.mark.parametrize('ctype,meta', [
    ('application/directory', {}),
    ('text/directory', {'directory_type': 'text/directory'})])
def test_directory_marker_objects_count_as_pseudo_directories(ctype, meta):
    mw, proxy, auth, _ = site(**meta)
    proxy.put_object(ACCOUNT + '/web/dir', b'', {'Content-Type': ctype})
    resp = send(mw, auth, ACCOUNT + '/web/dir')
    assert resp.status_int == 301
    proxy.put_object(ACCOUNT + '/web/dir', b'real', {'Content-Type': ctype})
    resp = send(mw, auth, ACCOUNT + '/web/dir')
    assert (resp.status_int, resp.body) == (200, b'real')


def test_owner_supplied_label_and_css_are_escaped():
    mw, proxy, auth, _ = site(listings_label='<b>"x"</b>',
                              listings_css='/s.css" onload="alert(1)')
    text = send(mw, auth, ACCOUNT + '/web/').body.decode()
    assert '<b>' not in text
    assert 'Listing of &lt;b&gt;&quot;x&quot;&lt;/b&gt;/' in text
    assert 'href="/s.css%22%20onload%3D%22alert%281%29"' in text


def test_non_ascii_index_name():
    mw, proxy, auth, _ = site(index=str_to_wsgi('índex.html'))
    proxy.put_object(ACCOUNT + '/web/' + str_to_wsgi('índex.html'), b'accented')
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert (resp.status_int, resp.body) == (200, b'accented')


def test_a_listing_the_backend_garbles_is_an_empty_page_not_a_traceback():
    mw, proxy, auth, _ = site()
    proxy.register('GET', ACCOUNT + '/web', 200, {'Content-Type': 'application/json'},
                   b'{not json')
    resp = send(mw, auth, ACCOUNT + '/web/')
    assert resp.status_int == 200
    assert '<tr class="item' not in resp.body.decode()


def test_listing_backend_error_is_passed_on():
    mw, proxy, auth, _ = site()
    proxy.register('GET', ACCOUNT + '/web', 503, {}, b'busy')
    assert send(mw, auth, ACCOUNT + '/web/').status_int == 503


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_a_json_index_is_not_converted_by_listing_formats(method):
    from swift.common.middleware.listing_formats import ListingFilter
    mw, proxy, auth, _ = site(index='index.json')
    proxy.put_object(ACCOUNT + '/web/index.json', b'[{"name": "x"}]',
                     {'Content-Type': 'application/json'})
    resp = send(ListingFilter(mw), auth, ACCOUNT + '/web/', method=method)
    assert resp.status_int == 200
    assert resp.headers['Content-Type'] == 'application/json'
    if method == 'GET':
        assert resp.body == b'[{"name": "x"}]'
    # without web metadata the listing is formatted as usual
    mw, proxy, auth, _ = site(listings='')
    resp = send(ListingFilter(mw), auth, ACCOUNT + '/web', method=method)
    assert resp.headers['Content-Type'] == 'text/plain; charset=utf-8'


def test_info_section_matches_swift_2_38s_golden_info():
    with open(os.path.join(WIRE, 'info.pretty.json')) as fp:
        golden = json.load(fp)['staticweb']
    mw, proxy, auth, _ = make()
    assert proxy.info_registry.sections['staticweb'] == golden
