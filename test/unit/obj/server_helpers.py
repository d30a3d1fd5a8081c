"""Request builders for object server tests (no sockets: Request.blank)."""

from swift.common.swob import Request

PATH = '/sda/0/a/c/o'
T1 = '1700000001.00000'
T2 = '1700000002.00000'
T3 = '1700000003.00000'


def req(app, method, path=PATH, headers=None, body=None, **environ):
    """Send one request; returns the swob Response with the body read."""
    request = Request.blank(path, environ=dict(environ, REQUEST_METHOD=method),
                            headers=headers or {}, body=body)
    response = request.get_response(app)
    response.body  # noqa: B018 - drain the app_iter so readers close
    return response


def put(app, body=b'hello', timestamp=T1, path=PATH, **headers):
    all_headers = {'X-Timestamp': timestamp, 'Content-Type': 'text/plain'}
    all_headers.update({k.replace('_', '-'): v for k, v in headers.items()})
    return req(app, 'PUT', path, all_headers, body)


def get(app, path=PATH, **headers):
    return req(app, 'GET', path, {k.replace('_', '-'): v for k, v in headers.items()})


def head(app, path=PATH, **headers):
    return req(app, 'HEAD', path, {k.replace('_', '-'): v for k, v in headers.items()})


def delete(app, timestamp=T2, path=PATH, **headers):
    all_headers = {'X-Timestamp': timestamp}
    all_headers.update({k.replace('_', '-'): v for k, v in headers.items()})
    return req(app, 'DELETE', path, all_headers)


def post(app, timestamp=T2, path=PATH, **headers):
    all_headers = {'X-Timestamp': timestamp}
    all_headers.update({k.replace('_', '-'): v for k, v in headers.items()})
    return req(app, 'POST', path, all_headers)
