"""Small helpers shared by the proxy tests."""

import io

from swift.common.swob import Request


def call(app, path, method='GET', headers=None, body=None, environ=None):
    """Run one request through ``app`` and return the swob Response (body read)."""
    req = Request.blank(path, environ=environ, headers=headers or {}, body=body)
    req.method = method
    resp = req.get_response(app)
    resp.body  # drain streaming bodies so backends are done
    return resp


def chunked_environ(data):
    return {'wsgi.input': io.BytesIO(data), 'HTTP_TRANSFER_ENCODING': 'chunked'}


def make_container(app, path='/v1/AUTH_test/c', headers=None):
    resp = call(app, path, 'PUT', headers=headers)
    assert resp.status_int in (201, 202), resp.body
    return resp
