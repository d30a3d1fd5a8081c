"""A tiny PasteDeploy app and filter for testing process management without real servers.

Config use: ``[app:main] use = call:test.helpers.fake_wsgi_app:app_factory``.
Answers ``GET /healthcheck`` with ``200 OK``, ``GET /slow?<seconds>`` after that many
seconds; any other path with ``200`` and a body
``<name> <pid> <pid that built the app>`` (``name`` from the app's conf, default 'fake').
"""

import os
import time


def app_factory(global_conf, **local_conf):
    """PasteDeploy app factory: returns :func:`make_app` of the merged conf."""
    conf = dict(global_conf)
    conf.update(local_conf)
    if conf.get('fail_to_load'):
        raise ValueError('fake app refuses to load: %s' % conf['fail_to_load'])
    return make_app(conf)


def make_app(conf):
    """The WSGI callable."""
    name = conf.get('name', 'fake')
    built_by = os.getpid()

    def app(environ, start_response):
        if environ.get('PATH_INFO') == '/healthcheck':
            body = b'OK'
        elif environ.get('PATH_INFO') == '/slow':
            # green under the server's monkey patching: other requests keep flowing
            time.sleep(float(environ.get('QUERY_STRING') or 1))
            body = b'slow done'
        else:
            body = ('%s %s %s' % (name, os.getpid(), built_by)).encode('ascii')
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(len(body)))])
        return [body]

    return app


def filter_factory(global_conf, **local_conf):
    """PasteDeploy filter factory: a pass-through filter (stands in for any middleware)."""
    return lambda app: app
