import re

from swift.common.middleware import catch_errors
from swift.common.swob import Request, Response


class BrokenApp:
    def __call__(self, env, start_response):
        raise ValueError('boom')


class Logger:
    txn_id = None

    def __init__(self):
        self.lines = []

    def exception(self, msg, *args):
        self.lines.append(msg % args if args else msg)


def test_exception_becomes_500_with_trans_id():
    logger = Logger()
    app = catch_errors.CatchErrorsMiddleware(BrokenApp(), {}, logger=logger)
    resp = Request.blank('/v1/a').get_response(app)
    assert resp.status_int == 500
    assert resp.body == b'An error occurred'
    assert re.match(r'^tx[0-9a-f]{21}-[0-9a-f]{10}$', resp.headers['X-Trans-Id'])
    assert resp.headers['X-Openstack-Request-Id'] == resp.headers['X-Trans-Id']
    assert logger.lines == ['Error: An error occurred']


def test_trans_id_on_success_and_extra_suffix():
    seen = {}

    def app(env, start_response):
        seen['tx'] = env['swift.trans_id']
        return Response(body=b'ok')(env, start_response)
    wrapped = catch_errors.CatchErrorsMiddleware(app, {}, logger=Logger())
    resp = Request.blank('/v1/a', headers={'X-Trans-Id-Extra': 'my id'}).get_response(wrapped)
    assert resp.status_int == 200
    assert resp.headers['X-Trans-Id'] == seen['tx']
    assert re.match(r'^tx[0-9a-f]{21}-[0-9a-f]{10}-my%20id$', seen['tx'])
    # the trans-id headers come last, after the app's own headers
    names = [k for k, _ in resp.headers.items()]
    assert names[-2:] == ['X-Trans-Id', 'X-Openstack-Request-Id']
