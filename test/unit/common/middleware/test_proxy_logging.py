from swift.common.middleware import proxy_logging
from swift.common.swob import Request, Response
from test.helpers.fake_clock import FakeClock


class Lines:
    txn_id = None

    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args if args else msg)


def app(env, start_response):
    body = env['wsgi.input'].read()
    return Response(body=b'x' * 5 + body, headers={
        'X-Backend-Storage-Policy-Index': '1'})(env, start_response)


def test_access_line_fields():
    logger = Lines()
    clock = FakeClock(start=1795990147.25)
    mw = proxy_logging.ProxyLoggingMiddleware(app, {}, logger=logger, clock=clock)
    req = Request.blank('/v1/AUTH_test/c/o%20x?a=b', body=b'abc', method='PUT', environ={
        'swift.trans_id': 'tx1', 'SERVER_PROTOCOL': 'HTTP/1.1', 'REMOTE_ADDR': '1.2.3.4'},
        headers={'X-Auth-Token': 'AUTH_tk0123456789abcdef0123', 'User-Agent': 'curl/8 x',
                 'X-Forwarded-For': '9.9.9.9, 1.1.1.1'})
    resp = req.get_response(mw)
    assert resp.body == b'xxxxxabc'
    [line] = logger.lines
    fields = line.split(' ')
    assert fields[0] == '9.9.9.9'
    assert fields[1] == '1.2.3.4'
    assert fields[2] == '29/Nov/2026/22/09/07'
    assert fields[3:7] == ['PUT', '/v1/AUTH_test/c/o%20x?a=b', 'HTTP/1.1', '200']
    assert fields[7] == '-'
    assert fields[8] == 'curl/8%20x'
    assert fields[9] == 'AUTH_tk012345678...'
    assert fields[10:12] == ['3', '8']
    assert fields[13] == 'tx1'
    assert fields[15] == '0.0000'
    assert fields[18] == '1795990147.250000000'
    assert fields[20] == '1'
    assert len(fields) == 21


def test_inner_instance_only_logs_subrequests():
    logger = Lines()
    inner = proxy_logging.ProxyLoggingMiddleware(app, {}, logger=logger)
    outer = proxy_logging.ProxyLoggingMiddleware(inner, {}, logger=logger)
    assert Request.blank('/v1/a').get_response(outer).body == b'xxxxx'
    assert len(logger.lines) == 1


def test_truncate_token_and_quote():
    assert proxy_logging.truncate_token('short', 16) == 'short'
    assert proxy_logging.log_quote('') == '-'
    assert proxy_logging.log_quote('a b\n') == 'a%20b%0A'


def test_list_body_without_length_gets_content_length():
    def head_app(env, start_response):
        start_response('204 No Content', [('X-Foo', 'bar')])
        return [b'']
    mw = proxy_logging.ProxyLoggingMiddleware(head_app, {}, logger=Lines())
    resp = Request.blank('/v1/a', method='HEAD').get_response(mw)
    assert resp.headers['Content-Length'] == '0'


def test_generator_app_calling_start_response_late():
    def gen_app(env, start_response):
        start_response('200 OK', [('Content-Length', '2')])
        yield b'hi'
    logger = Lines()
    mw = proxy_logging.ProxyLoggingMiddleware(gen_app, {}, logger=logger)
    resp = Request.blank('/v1/a').get_response(mw)
    assert (resp.status_int, resp.body) == (200, b'hi')
    assert ' 200 ' in logger.lines[0]


def test_logs_the_path_the_client_sent():
    def rewriting_app(env, start_response):
        env['QUERY_STRING'] = 'format=json'
        return app(env, start_response)
    logger = Lines()
    mw = proxy_logging.ProxyLoggingMiddleware(rewriting_app, {}, logger=logger)
    Request.blank('/v1/AUTH_test').get_response(mw).body
    assert logger.lines[0].split(' ')[4] == '/v1/AUTH_test'


def test_policy_index_from_the_request_when_the_response_has_none():
    """An object PUT answer carries no policy index; the proxy set it on the request
    (Swift's get_policy_index looks at both)."""
    def proxy(env, start_response):
        env['HTTP_X_BACKEND_STORAGE_POLICY_INDEX'] = '2'
        return Response(status=201, body=b'')(env, start_response)
    logger = Lines()
    mw = proxy_logging.ProxyLoggingMiddleware(proxy, {}, logger=logger)
    Request.blank('/v1/a/c/o', method='PUT', body=b'').get_response(mw)
    assert logger.lines[0].split(' ')[20] == '2'
    logger.lines.clear()
    plain = proxy_logging.ProxyLoggingMiddleware(
        lambda env, sr: Response(body=b'')(env, sr), {}, logger=logger)
    Request.blank('/info').get_response(plain)
    assert logger.lines[0].split(' ')[20] == '-'


def test_bodyless_response_closed_early_is_not_a_disconnect():
    """swob closes the source of a HEAD or 204 answer without reading it (e.g. when
    a middleware re-wraps a subrequest's response): logged with its real status."""
    for method, status in (('HEAD', 200), ('GET', 204)):
        logger = Lines()
        mw = proxy_logging.ProxyLoggingMiddleware(
            lambda env, sr: Response(status=status, body=b'')(env, sr), {}, logger=logger)
        req = Request.blank('/v1/a', method=method)
        body_iter = mw(req.environ, lambda *a: None)
        next(iter(body_iter))
        body_iter.close()                  # closed after the headers, body unread
        assert logger.lines[0].split(' ')[6] == str(status), (method, logger.lines)
    # a GET whose body the client did not take is a disconnect
    logger = Lines()
    mw = proxy_logging.ProxyLoggingMiddleware(
        lambda env, sr: Response(app_iter=[b'a', b'b'])(env, sr), {}, logger=logger)
    body_iter = mw(Request.blank('/v1/a').environ, lambda *a: None)
    next(iter(body_iter))
    body_iter.close()
    assert logger.lines[0].split(' ')[6] == '499'


def test_temp_url_signature_and_header_tokens_are_never_logged_whole():
    logger = Lines()
    mw = proxy_logging.ProxyLoggingMiddleware(app, {'access_log_headers': 'true'},
                                              logger=logger)
    sig = 'a' * 40
    Request.blank('/v1/AUTH_test/c/o?temp_url_sig=%s&temp_url_expires=99&x=%s' % (
        sig, sig), headers={'X-Auth-Token': 'AUTH_tk0123456789abcdef0123'}
    ).get_response(mw)
    [line] = logger.lines
    assert sig not in line.split(' ')[4].split('x=')[0]
    assert ('/v1/AUTH_test/c/o?temp_url_sig=aaaaaaaaaaaaaaaa...&temp_url_expires=99&x='
            + sig) == line.split(' ')[4]
    assert 'AUTH_tk0123456789abcdef0123' not in line   # the headers field too
    assert 'AUTH_tk012345678...' in line.split(' ')[14]
