from swift.common.middleware import healthcheck
from swift.common.swob import Request


def fake_app(env, start_response):
    start_response('200 OK', [])
    return [b'app']


def test_healthcheck_ok(tmp_path):
    app = healthcheck.filter_factory({})(fake_app)
    resp = Request.blank('/healthcheck').get_response(app)
    assert (resp.status_int, resp.body) == (200, b'OK')
    assert Request.blank('/v1/a').get_response(app).body == b'app'


def test_healthcheck_disabled_by_file(tmp_path):
    flag = tmp_path / 'disabled'
    app = healthcheck.filter_factory({}, disable_path=str(flag))(fake_app)
    assert Request.blank('/healthcheck').get_response(app).status_int == 200
    flag.write_text('')
    resp = Request.blank('/healthcheck').get_response(app)
    assert (resp.status_int, resp.body) == (503, b'DISABLED BY FILE')
