import io
import json
import tarfile

import pytest

from swift.common.middleware import bulk
from swift.common.middleware.bulk import Bulk, get_response_body
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.helpers.fake_swift import FakeSwift


def make_tar(members, compression='', pax=None):
    """Tar bytes of ``members`` ({name: bytes, or None for a directory})."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w|' + compression,
                      format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            info.size = len(data)
            info.pax_headers = (pax or {}).get(name, {})
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make(clock=None, **conf):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    mw = Bulk(app, conf, logger=DebugLogger(), clock=clock or FakeClock())
    return mw, app


def extract(mw, path, body, kind='tar', accept=None, headers=None, **kwargs):
    all_headers = dict(headers or {})
    if accept:
        all_headers['Accept'] = accept
    req = Request.blank('%s?extract-archive=%s' % (path, kind), method='PUT',
                        headers=all_headers, body=body, **kwargs)
    return req.get_response(mw)


def plain_report(resp):
    """{key: value} and error lines of a text/plain report."""
    text = resp.body.decode().strip()
    head, _, errors = text.partition('Errors:')
    report = {}
    for line in head.strip().splitlines():
        key, _, value = line.partition(':')
        report[key] = value.strip()
    return report, [line for line in errors.splitlines() if line]


# ---------------------------------------------------------------- extract-archive

def test_extract_tar_to_account_creates_containers_and_objects():
    mw, app = make()
    app.containers.add('/v1/a/c2')
    body = make_tar({'c1/a.txt': b'aaa', 'c1/sub/b.txt': b'bb', 'c2/x': b'x',
                     'top.txt': b'ignored', 'c1/dir': None, './c3/y': b'y'})
    resp = extract(mw, '/v1/a', body, headers={'X-Auth-Token': 'AUTH_tk'})
    assert resp.status_int == 200
    assert resp.headers['Content-Type'].startswith('text/plain')
    report, errors = plain_report(resp)
    assert report == {'Number Files Created': '4', 'Response Body': '',
                      'Response Status': '201 Created'}
    assert errors == []
    assert app.objects['/v1/a/c1/a.txt'][1] == b'aaa'
    assert app.objects['/v1/a/c1/sub/b.txt'][1] == b'bb'
    assert app.objects['/v1/a/c3/y'][1] == b'y'
    assert '/v1/a/top.txt' not in app.objects
    created = [c.path for c in app.calls_of('PUT') if c.path.count('/') == 3]
    assert created == ['/v1/a/c1', '/v1/a/c3']          # c2 existed
    assert all(c.headers['X-Auth-Token'] == 'AUTH_tk' for c in app.calls)
    assert all(c.env['swift.source'] == 'EA' for c in app.calls)


def test_plain_report_exact_bytes():
    mw, _app = make()
    resp = extract(mw, '/v1/a', make_tar({'c/o': b'1'}))
    assert resp.body == (b'Number Files Created: 1\nResponse Body: \n'
                         b'Response Status: 201 Created\nErrors:\n')


@pytest.mark.parametrize('kind,compression', [('tar.gz', 'gz'), ('tar.bz2', 'bz2'),
                                              ('.tar.gz', 'gz'), ('TAR', '')])
def test_compressed_archives_and_json_report(kind, compression):
    mw, app = make()
    resp = extract(mw, '/v1/a', make_tar({'c/o': b'data'}, compression), kind,
                   accept='application/json')
    assert resp.headers['Content-Type'].startswith('application/json')
    assert json.loads(resp.body) == {'Response Status': '201 Created',
                                     'Response Body': '', 'Number Files Created': 1,
                                     'Errors': []}
    assert app.objects['/v1/a/c/o'][1] == b'data'


def test_extract_into_container_path():
    mw, app = make()
    app.containers.add('/v1/a/cont')
    resp = extract(mw, '/v1/a/cont/base/', make_tar({'x': b'1', 'd/y': b'2'}),
                   accept='application/json')
    assert json.loads(resp.body)['Number Files Created'] == 2
    assert set(app.objects) == {'/v1/a/cont/base/x', '/v1/a/cont/base/d/y'}


def test_xml_report():
    mw, app = make()
    app.register('PUT', '/v1/a/c/bad<', 503)
    resp = extract(mw, '/v1/a', make_tar({'c/o': b'1', 'c/bad<': b'2'}),
                   accept='application/xml')
    assert resp.body == (
        # no heartbeat was due, so no XML declaration either (Swift's output)
        b'<extract>\n<number_files_created>1</number_files_created>\n'
        b'<response_body></response_body>\n'
        b'<response_status>502 Bad Gateway</response_status>\n<errors>\n'
        b'<object><name>c/bad%3C</name><status>503 Service Unavailable</status>'
        b'</object>\n</errors>\n</extract>\n')


def test_failed_puts_are_listed():
    mw, app = make()
    app.register('PUT', '/v1/a/c/no', 403)
    resp = extract(mw, '/v1/a', make_tar({'c/ok': b'1', 'c/no': b'2'}),
                   accept='application/json')
    report = json.loads(resp.body)
    assert report['Response Status'] == '400 Bad Request'
    assert report['Number Files Created'] == 1
    assert report['Errors'] == [['c/no', '403 Forbidden']]


def test_unauthorized_stops_extraction():
    mw, app = make()
    app.register('HEAD', '/v1/a/c', 401)
    resp = extract(mw, '/v1/a', make_tar({'c/o': b'1', 'c/p': b'2'}),
                   accept='application/json')
    report = json.loads(resp.body)
    assert report['Response Status'] == '401 Unauthorized'
    assert app.calls_of('PUT') == []


def test_container_create_failure_reported_when_object_put_fails():
    mw, app = make()
    app.register('PUT', '/v1/a/c', 507)
    app.register('PUT', '/v1/a/c/o', 404)
    report = json.loads(extract(mw, '/v1/a', make_tar({'c/o': b'1'}),
                                accept='application/json').body)
    assert report['Errors'] == [['/v1/a/c', '507 Insufficient Storage'],
                                ['c/o', '404 Not Found']]


def test_max_containers_per_extraction():
    mw, app = make(max_containers_per_extraction='1')
    report = json.loads(extract(mw, '/v1/a', make_tar({'c1/o': b'1', 'c2/o': b'2'}),
                                accept='application/json').body)
    assert report['Response Status'] == '400 Bad Request'
    assert report['Response Body'] == 'More than 1 containers to create from tar.'
    assert list(app.objects) == ['/v1/a/c1/o']


def test_max_failed_extractions_stops_early():
    mw, app = make(max_failed_extractions='2')
    for name in ('a', 'b', 'c'):
        app.register('PUT', '/v1/a/c/' + name, 500)
    report = json.loads(extract(mw, '/v1/a', make_tar(
        {'c/a': b'1', 'c/b': b'2', 'c/c': b'3', 'c/d': b'4'}),
        accept='application/json').body)
    assert len(report['Errors']) == 2
    assert report['Response Status'] == '502 Bad Gateway'
    assert '/v1/a/c/d' not in app.objects


def test_pax_xattrs_and_request_headers_become_object_headers():
    mw, app = make()
    body = make_tar({'c/o': b'1'}, pax={'c/o': {
        'SCHILY.xattr.user.mime_type': 'image/png',
        'SCHILY.xattr.user.meta.colour': 'r\u00e9d',
        'LIBARCHIVE.xattr.user.meta.shape': 'round',
        'SCHILY.xattr.security.selinux': 'ignored'}})
    resp = extract(mw, '/v1/a', body, headers={'X-Object-Meta-Batch': '7',
                                               'X-Delete-After': '60', 'X-Other': 'no'})
    assert b'Number Files Created: 1' in resp.body
    put = [c for c in app.calls_of('PUT') if c.path == '/v1/a/c/o'][0]
    assert put.headers['Content-Type'] == 'image/png'
    assert put.headers['X-Object-Meta-Colour'] == 'r\u00e9d'.encode().decode('latin-1')
    assert put.headers['X-Object-Meta-Shape'] == 'round'
    assert put.headers['X-Object-Meta-Batch'] == '7'
    assert put.headers['X-Delete-After'] == '60'
    assert 'X-Other' not in put.headers
    assert not any('selinux' in k.lower() for k in put.headers)


@pytest.mark.parametrize('body,message', [
    (b'this is not a tar file' * 40, 'Invalid Tar File: '),
    (make_tar({}), 'Invalid Tar File: No Valid Files'),
    (make_tar({'top-level-only': b'1'}), 'Invalid Tar File: No Valid Files')])
def test_invalid_archives(body, message):
    mw, _app = make()
    report = json.loads(extract(mw, '/v1/a', body, accept='application/json').body)
    assert report['Response Status'] == '400 Bad Request'
    assert report['Response Body'].startswith(message)


def test_corrupt_gzip_is_a_clear_error():
    mw, _app = make()
    body = make_tar({'c/o': b'1' * 1000}, 'gz')
    body = body[:20] + b'\x00' * 40 + body[60:]
    report = json.loads(extract(mw, '/v1/a', body, 'tar.gz',
                                accept='application/json').body)
    assert report['Response Status'] == '400 Bad Request'
    assert report['Response Body'].startswith('Invalid Tar File')


def test_unsupported_format_is_plain_400():
    mw, app = make()
    resp = extract(mw, '/v1/a', b'x', 'zip')
    assert (resp.status_int, resp.body) == (400, b'Unsupported archive format')
    assert app.calls == []


def test_length_required_and_not_acceptable():
    mw, _app = make()
    req = Request.blank('/v1/a?extract-archive=tar', method='PUT',
                        headers={'Accept': 'application/json'})
    req.environ.pop('CONTENT_LENGTH', None)
    report = json.loads(req.get_response(mw).body)
    assert report['Response Status'] == '411 Length Required'
    resp = extract(mw, '/v1/a', make_tar({'c/o': b'1'}), accept='image/png')
    assert b'Response Status: 406 Not Acceptable' in resp.body


def test_heartbeat_while_working():
    clock = FakeClock()
    mw, app = make(clock=clock, yield_frequency='10')
    real_call = app.__call__

    class SlowApp:
        def __call__(self, env, start_response):
            clock.advance(6)
            return real_call(env, start_response)
    mw.app = SlowApp()
    body = make_tar({'c/%d' % i: b'1' for i in range(4)})
    chunks = list(extract(mw, '/v1/a', body, accept='application/xml').app_iter)
    assert chunks[0] == b'<?xml version="1.0" encoding="UTF-8"?>\n'
    assert chunks[1:-1] and all(c == b' ' for c in chunks[1:-1])
    assert chunks[-1].startswith(b'\r\n\r\n<extract>')


# ---------------------------------------------------------------- bulk-delete

def delete(mw, body, method='POST', accept='application/json', **headers):
    if accept:
        headers['Accept'] = accept
    req = Request.blank('/v1/a?bulk-delete', method=method, headers=headers,
                        body=body)
    resp = req.get_response(mw)
    return resp, (json.loads(resp.body) if accept == 'application/json' else None)


def test_bulk_delete_objects_then_containers():
    mw, app = make()
    for name in ('o1', 'o2', '\u2713'.encode().decode('latin-1')):
        app.put_object('/v1/a/c/' + name, b'x')
    app.containers.add('/v1/a/c')
    resp, report = delete(mw, b'c\nc/o1\n/c/o2\nc/missing\n\nc/%E2%9C%93',
                          method='DELETE', **{'X-Auth-Token': 'AUTH_tk'})
    assert resp.status_int == 200
    assert report == {'Response Status': '200 OK', 'Response Body': '',
                      'Number Deleted': 4, 'Number Not Found': 1, 'Errors': []}
    deletes = [c.path for c in app.calls_of('DELETE')]
    assert deletes[-1] == '/v1/a/c'                     # containers last
    assert app.objects == {}
    assert all(c.headers['X-Auth-Token'] == 'AUTH_tk' for c in app.calls)
    assert all(c.env['swift.source'] == 'BD' for c in app.calls)


def test_bulk_delete_plain_report():
    mw, app = make()
    app.register('DELETE', '/v1/a/full', 409)
    resp, _ = delete(mw, b'full\nc/gone', accept=None)
    assert resp.body == (b'Number Deleted: 0\nNumber Not Found: 1\n'
                         b'Response Body: \nResponse Status: 400 Bad Request\n'
                         b'Errors:\nfull, 409 Conflict\n')


def test_bulk_delete_server_errors_are_502():
    mw, app = make()
    app.register('DELETE', '/v1/a/c/o', 503)
    _resp, report = delete(mw, b'c/o')
    assert report['Response Status'] == '502 Bad Gateway'
    assert report['Errors'] == [['c/o', '503 Service Unavailable']]


def test_bulk_delete_retries_409_with_backoff():
    clock = FakeClock()
    mw, app = make(clock=clock, delete_container_retry_count='2')
    app.register('DELETE', '/v1/a/c', 409)
    _resp, report = delete(mw, b'c')
    assert len(app.calls_of('DELETE')) == 3
    assert clock.sleeps == [1.5, 2.25]
    assert report['Errors'] == [['c', '409 Conflict']]


def test_bulk_delete_limits():
    mw, app = make(max_deletes_per_request='2')
    _resp, report = delete(mw, b'c/1\nc/2\nc/3')
    assert report['Response Status'] == '413 Request Entity Too Large'
    assert report['Response Body'] == 'Maximum Bulk Deletes: 2 per request'
    assert app.calls == []
    _resp, report = delete(mw, b'c/' + b'x' * 3000)
    assert (report['Response Status'], report['Response Body']) == (
        '400 Bad Request', 'Invalid File Name')


def test_bulk_delete_max_failures():
    mw, app = make(max_failed_deletes='2', delete_concurrency='1')
    for name in 'abcd':
        app.register('DELETE', '/v1/a/c/' + name, 403)
    _resp, report = delete(mw, b'c/a\nc/b\nc/c\nc/d')
    assert report['Response Body'] == 'Max delete failures exceeded'
    assert len(report['Errors']) == 2


def test_bulk_delete_stops_starting_deletes_after_max_failures():
    mw, app = make(max_failed_deletes='2', delete_concurrency='2')
    for name in 'abcdef':
        app.register('DELETE', '/v1/a/c/' + name, 403)
    app.containers.add('/v1/a/c')
    _resp, report = delete(mw, b'c/a\nc/b\nc/c\nc/d\nc/e\nc/f\nc')
    assert report['Response Body'] == 'Max delete failures exceeded'
    assert [c.path for c in app.calls_of('DELETE')] == ['/v1/a/c/a', '/v1/a/c/b']
    assert '/v1/a/c' in app.containers


@pytest.mark.parametrize('body,headers,status,message', [
    (b'', {}, '400 Bad Request', 'Invalid bulk delete.'),
    (b'c/o', {'Content-Type': 'application/json'}, '406 Not Acceptable', ''),
    (b'c/%FF', {}, '400 Bad Request', ''),
])
def test_bulk_delete_bad_requests(body, headers, status, message):
    mw, _app = make()
    _resp, report = delete(mw, body, **headers)
    assert report['Response Status'] == status
    assert report['Response Body'] == message


def test_invalid_utf8_name_is_412_error():
    mw, _app = make()
    _resp, report = delete(mw, b'c/%FF')
    assert report['Errors'] == [['c/%FF', '412 Precondition Failed']]


def test_bulk_delete_needs_account_path():
    mw, _app = make()
    resp = Request.blank('/v1?bulk-delete', method='POST', body=b'c/o',
                         headers={'Accept': 'application/json'}).get_response(mw)
    assert json.loads(resp.body)['Response Status'] == '404 Not Found'


def test_other_requests_pass_through():
    mw, app = make()
    assert Request.blank('/v1/a/c/o', method='PUT', body=b'1').get_response(mw) \
        .status_int == 201
    assert Request.blank('/v1/a?bulk-delete', method='GET').get_response(mw) \
        .status_int == 404
    assert Request.blank('/v1/a?extract-archive=tar', method='POST') \
        .get_response(mw).status_int == 404
    assert [c.method for c in app.calls] == ['PUT', 'GET', 'POST']


def test_get_response_body_formats():
    report = {'Response Status': '201 Created', 'Number Files Created': 2}
    assert get_response_body('text/plain', dict(report), [['a%20b', '400 Bad']],
                             'extract') == (b'Number Files Created: 2\n'
                                            b'Response Status: 201 Created\n'
                                            b'Errors:\na%20b, 400 Bad\n')


def test_info_and_factory():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    bulk.filter_factory({}, max_deletes_per_request='50')(app)
    assert app.info_registry.sections['bulk_upload'] == {
        'max_containers_per_extraction': 10000, 'max_failed_extractions': 1000}
    assert app.info_registry.sections['bulk_delete'] == {
        'max_deletes_per_request': 50, 'max_failed_deletes': 1000}
    from swift.common.config import ConfigError
    with pytest.raises(ConfigError):
        bulk.filter_factory({}, yield_frequency='often')
