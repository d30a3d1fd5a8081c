"""staticweb over HTTP: a public container served as a web site to anonymous clients
(index, listings, redirects, error pages) and field case BL-19 (a private container's
existence is not revealed: anonymous requests get 401 whether it exists or not)."""

import subprocess
import uuid

import pytest

pytestmark = pytest.mark.functional


@pytest.fixture(scope='module')
def web(cluster):
    """Needs staticweb in the cluster's pipeline (its /info section)."""
    info = cluster.raw('GET', '/info', token=None, account_path='')
    if info.status != 200 or 'staticweb' not in info.json():
        pytest.skip('staticweb is not in this cluster\'s proxy pipeline')
    return cluster


def _name(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture(scope='module')
def site(web):
    """A public web container with an index, an error page and listings."""
    name = _name('site')
    resp = web.raw('PUT', '/' + name, headers={
        'X-Container-Read': '.r:*,.rlistings',
        'X-Container-Meta-Web-Index': 'index.html',
        'X-Container-Meta-Web-Error': 'error.html',
        'X-Container-Meta-Web-Listings': 'true',
        'X-Container-Meta-Web-Listings-CSS': 'style.css'})
    assert resp.status == 201, resp
    for obj, body, ctype in (('index.html', b'<h1>home</h1>', 'text/html'),
                             ('404error.html', b'<p>no such page</p>', 'text/html'),
                             ('style.css', b'h1 {}', 'text/css'),
                             ('docs/a & b.txt', b'a' * 3000, 'text/plain'),
                             ('docs/sub/c.txt', b'c', 'text/plain'),
                             ('marker', b'', 'application/directory'),
                             ('marker/inside.txt', b'i', 'text/plain')):
        resp = web.raw('PUT', '/%s/%s' % (name, obj.replace(' ', '%20').replace(
            '&', '%26')), body=body, headers={'Content-Type': ctype})
        assert resp.status == 201, resp
    return name


# ------------------------------------------------------------------ BL-19

def test_bl19_private_and_missing_containers_both_answer_401(web):
    private = _name('priv')
    assert web.raw('PUT', '/' + private, headers={
        'X-Container-Meta-Web-Listings': 'false'}).status == 201
    missing = _name('missing')
    answers = {}
    for container in (private, missing):
        for method, path in (('GET', '/%s/' % container), ('HEAD', '/' + container),
                             ('GET', '/' + container)):
            resp = web.raw(method, path, token=None)
            answers[(container == private, method, path.endswith('/'))] = (
                resp.status, resp.headers.get('www-authenticate'))
    assert set(answers.values()) == {(401, 'Swift realm="AUTH_test"')}, answers
    # with a valid token the container request goes through as normal
    assert web.raw('HEAD', '/' + private).status == 204
    assert web.raw('GET', '/' + private).status == 204
    assert web.raw('HEAD', '/' + missing).status == 404


def test_bl19_with_curl_too(web):
    private = _name('priv')
    assert web.raw('PUT', '/' + private).status == 201
    for container in (private, _name('missing')):
        proc = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
                               web.storage_url + '/' + container + '/'],
                              capture_output=True, timeout=60)
        assert proc.stdout == b'401'


# ------------------------------------------------------------------ the site

def test_container_redirects_to_a_trailing_slash(site, web):
    resp = web.raw('GET', '/' + site, token=None)
    assert resp.status == 301
    assert resp.headers['location'] == web.storage_url + '/' + site + '/'


def test_index_page_is_served_anonymously(site, web):
    resp = web.raw('GET', '/%s/' % site, token=None)
    assert (resp.status, resp.body) == (200, b'<h1>home</h1>')
    assert resp.headers['content-type'] == 'text/html'
    proc = subprocess.run(['curl', '-s', '-L', web.storage_url + '/' + site],
                          capture_output=True, timeout=60)
    assert proc.stdout == b'<h1>home</h1>'


def test_pseudo_directory_listing_is_html(site, web):
    resp = web.raw('GET', '/%s/docs/' % site, token=None)
    assert resp.status == 200, resp
    assert resp.headers['content-type'] == 'text/html; charset=UTF-8'
    text = resp.body.decode('utf-8')
    assert '<title>Listing of /v1/AUTH_test/%s/docs/</title>' % site in text
    assert '<link rel="stylesheet" type="text/css" href="../style.css" />' in text
    assert '<a href="../">../</a>' in text
    assert '<a href="sub/">sub/</a>' in text
    assert '<a href="a%20%26%20b.txt">a &amp; b.txt</a>' in text
    assert '<td class="colsize">3Ki</td>' in text
    assert 'type-text type-plain' in text


def test_pseudo_directory_without_slash_redirects(site, web):
    resp = web.raw('GET', '/%s/docs' % site, token=None)
    assert resp.status == 301
    assert resp.headers['location'].endswith('/%s/docs/' % site)


def test_directory_marker_is_a_directory(site, web):
    resp = web.raw('GET', '/%s/marker' % site, token=None)
    assert resp.status == 301
    resp = web.raw('GET', '/%s/marker/' % site, token=None)
    assert resp.status == 200
    assert b'inside.txt' in resp.body


def test_missing_page_gets_the_error_page_with_404(site, web):
    resp = web.raw('GET', '/%s/nothing/here.html' % site, token=None)
    assert (resp.status, resp.body) == (404, b'<p>no such page</p>')


def test_objects_are_served_as_they_are(site, web):
    resp = web.raw('GET', '/%s/style.css' % site, token=None)
    assert (resp.status, resp.body) == (200, b'h1 {}')


def test_owner_sees_the_api_unless_web_mode(site, web):
    resp = web.raw('GET', '/' + site)
    assert resp.status == 200
    assert b'index.html\n' in resp.body          # the plain-text listing
    resp = web.raw('GET', '/' + site, headers={'X-Web-Mode': 'true'})
    assert resp.status == 301


def test_listing_disabled_page(web):
    name = _name('nolist')
    assert web.raw('PUT', '/' + name, headers={
        'X-Container-Read': '.r:*,.rlistings',
        'X-Container-Meta-Web-Index': 'index.html'}).status == 201
    resp = web.raw('GET', '/%s/' % name, token=None)
    assert resp.status == 404
    assert b'Web Listing Disabled' in resp.body
    assert b'X-Container-Meta-Web-Index: index.html' in resp.body


def test_referrer_only_container_cannot_be_listed_but_objects_read(web):
    name = _name('refonly')
    assert web.raw('PUT', '/' + name, headers={
        'X-Container-Read': '.r:*',
        'X-Container-Meta-Web-Listings': 'true'}).status == 201
    assert web.raw('PUT', '/%s/o' % name, body=b'public').status == 201
    assert web.raw('GET', '/%s/' % name, token=None).status == 401
    assert web.raw('GET', '/%s/o' % name, token=None).body == b'public'


def test_info_has_a_staticweb_section(web):
    info = web.raw('GET', '/info', token=None, account_path='').json()
    assert info['staticweb'] == {}


def test_operator_sets_up_a_site_with_the_swift_cli(web):
    name = _name('cli')
    web.swift_cli('post', '-r', '.r:*,.rlistings', '-m', 'web-listings:true',
                  '-m', 'web-listings-label:Docs', name)
    assert web.raw('PUT', '/%s/readme.txt' % name, body=b'read me').status == 201
    resp = web.raw('GET', '/%s/' % name, token=None)
    assert resp.status == 200
    assert '<h1 id="title">Listing of Docs/</h1>' in resp.body.decode()
    assert '<a href="readme.txt">readme.txt</a>' in resp.body.decode()
    web.swift_cli('post', '-m', 'web-index:readme.txt', name)
    resp = web.raw('GET', '/%s/' % name, token=None)
    assert (resp.status, resp.body) == (200, b'read me')
