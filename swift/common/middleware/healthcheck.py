# /healthcheck on every server (Swift's healthcheck): 200 "OK", or 503
# "DISABLED BY FILE" while the file named by disable_path exists (operators take a
# node out of a load balancer that way).
"""healthcheck middleware."""

import os

from swift.common.swob import Request, Response


class HealthCheckMiddleware:
    """:param app: next WSGI app; ``conf``: ``disable_path`` (optional)."""

    def __init__(self, app, conf):
        self.app = app
        self.disable_path = conf.get('disable_path', '')

    def __call__(self, env, start_response):
        if env.get('PATH_INFO') != '/healthcheck':
            return self.app(env, start_response)
        req = Request(env)
        if self.disable_path and os.path.exists(self.disable_path):
            resp = Response(request=req, status=503, body=b'DISABLED BY FILE',
                            content_type='text/plain')
        else:
            resp = Response(request=req, body=b'OK', content_type='text/plain')
        return resp(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#healthcheck``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: HealthCheckMiddleware(app, conf)
