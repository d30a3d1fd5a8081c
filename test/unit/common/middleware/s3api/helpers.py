"""Shared pieces of the s3api unit tests: environs signed by botocore's own signers,
and a pipeline ``S3ApiMiddleware -> TempAuth -> fake proxy``."""

import calendar
import io
import json
import time
import urllib.parse

from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from swift.common.middleware.s3api import S3ApiConfig, S3ApiMiddleware
from swift.common.middleware.tempauth import TempAuth
from swift.common.swob import Request, Response
from test.helpers.fake_clock import FakeClock
from swift.common.header_key_dict import HeaderKeyDict
from test.helpers.fake_swift import Call, FakeSwift

ACCESS_KEY, SECRET_KEY = 'test:tester', 'testing'
HOST = '127.0.0.1:8080'




def sign(method, path, body=b'', headers=None, version='v4', secret=SECRET_KEY,
         access_key=ACCESS_KEY, query_expires=3600, region='us-east-1', host=HOST):
    """A WSGI environ for ``method path`` signed by botocore now (botocore reads the
    real clock; tests give the middleware a FakeClock set to :func:`signed_at`).

    :param path: quoted path with optional query (``/b/k?uploads``).
    :param version: 'v4', 'v4-query', 'v2', 'v2-query'.
    """
    url = 'http://%s%s' % (host, path)
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    credentials = Credentials(access_key, secret)
    if version == 'v4':
        S3SigV4Auth(credentials, 's3', region).add_auth(request)
    elif version == 'v4-query':
        S3SigV4QueryAuth(credentials, 's3', region,
                         expires=query_expires).add_auth(request)
    elif version == 'v2':
        HmacV1Auth(credentials).add_auth(request)
    else:
        HmacV1QueryAuth(credentials, expires=query_expires).add_auth(request)
    parsed = urllib.parse.urlsplit(request.url)
    env = Request.blank('/').environ
    env.update({'REQUEST_METHOD': method, 'RAW_PATH_INFO': parsed.path,
                'PATH_INFO': urllib.parse.unquote(parsed.path, encoding='latin-1'),
                'QUERY_STRING': parsed.query, 'HTTP_HOST': host,
                'swift.trans_id': 'tx0123456789abcdef0123456789abcdef'})
    for name, value in request.headers.items():
        if isinstance(value, bytes):
            value = value.decode('latin-1')
        key = name.upper().replace('-', '_')
        if key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            env[key] = value
        else:
            env['HTTP_' + key] = value
    data = body if isinstance(body, bytes) else (body or b'')
    env['wsgi.input'] = io.BytesIO(data)
    if data or method in ('PUT', 'POST'):
        env['CONTENT_LENGTH'] = str(len(data))
    return env


class ProxyLikeSwift(FakeSwift):
    """FakeSwift reading request bodies like the proxy does (a read error is a 499 and
    nothing is stored), answering container GETs with JSON listings of its objects
    (prefix, delimiter, marker, limit; the hash is the container-update override etag
    when one was stored) or with canned ``listings``."""

    def __init__(self):
        super().__init__()
        self.listings = {}

    def __call__(self, env, start_response):
        try:
            data = env['wsgi.input'].read()
        except ValueError:
            return Response(status=499)(env, start_response)
        env['wsgi.input'] = io.BytesIO(data)
        req = Request(env)
        if req.method == 'GET' and req.path_info.count('/') == 3 and \
                (req.path_info in self.listings or req.path_info in self.containers):
            self.calls.append(Call('GET', req.path_info, req.query_string,
                                   HeaderKeyDict(req.headers.items()), b'', env))
            denial = env['swift.authorize'](req) if 'swift.authorize' in env else None
            if denial:
                return denial(env, start_response)
            body = json.dumps(self.listing(req)).encode('utf-8')
            return Response(status=200, body=body,
                            headers={'Content-Type': 'application/json'})(
                env, start_response)
        return super().__call__(env, start_response)

    def listing(self, req):
        """The JSON listing a container GET asks for."""
        path = req.path_info
        if path in self.listings:
            return self.listings[path]
        params = req.params
        prefix, delimiter = params.get('prefix', ''), params.get('delimiter', '')
        marker, limit = params.get('marker', ''), int(params.get('limit', 10000))
        entries = []
        for name in sorted(n[len(path) + 1:] for n in self.objects
                           if n.startswith(path + '/')):
            if not name.startswith(prefix) or name <= marker:
                continue
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                subdir = prefix + rest[:rest.index(delimiter) + len(delimiter)]
                if subdir > marker and (not entries or
                                        entries[-1].get('subdir') != subdir):
                    entries.append({'subdir': subdir})
            else:
                headers, body = self.objects[path + '/' + name]
                etag = headers.get(
                    'X-Object-Sysmeta-Container-Update-Override-Etag') or headers['Etag']
                entries.append({'name': name, 'bytes': len(body), 'hash': etag,
                                'last_modified': '2026-11-30T01:00:00.000000',
                                'content_type': headers.get('Content-Type')})
            if len(entries) >= limit:
                break
        return [{k: (v.encode('latin-1').decode('utf-8') if isinstance(v, str) else v)
                 for k, v in e.items()} for e in entries]


def pipeline(conf=None, clock=None):
    """(middleware, fake swift, clock) with tempauth user test:tester/testing."""
    swift = ProxyLikeSwift()
    auth = TempAuth(swift, {'user_test_tester': 'testing .admin',
                            'user_test_tester3': 'testing3'})
    clock = clock or FakeClock(time.time())
    config = S3ApiConfig.from_conf(conf or {})
    return S3ApiMiddleware(auth, config, clock=clock), swift, clock


def signed_at(env, expires_s=3600):
    """Epoch seconds the environ was signed at (x-amz-date, Date or, for a V2
    presigned URL made with ``expires_s``, Expires - expires_s)."""
    value = env.get('HTTP_X_AMZ_DATE')
    if value:
        return calendar.timegm(time.strptime(value, '%Y%m%dT%H%M%SZ'))
    params = dict(urllib.parse.parse_qsl(env.get('QUERY_STRING', '')))
    if 'X-Amz-Date' in params:
        return calendar.timegm(time.strptime(params['X-Amz-Date'], '%Y%m%dT%H%M%SZ'))
    if 'Expires' in params:
        return int(params['Expires']) - expires_s
    from swift.common.swob import parse_http_date
    return parse_http_date(env.get('HTTP_DATE'))


def call(app, env):
    """(status int, headers dict with the names as sent, body bytes)."""
    status, headers, app_iter = Request(env).call_application(app)
    body = b''.join(app_iter)
    close = getattr(app_iter, 'close', None)
    if close:
        close()
    return int(status.split()[0]), dict(headers), body
