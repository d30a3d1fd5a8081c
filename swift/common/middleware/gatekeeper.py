# Keeps internal headers internal (Swift's gatekeeper), both ways:
#   inbound: a client may not send X-Backend-*, X-{Account,Container,Object}-Sysmeta-*
#     or X-Object-Transient-Sysmeta-*; X-Timestamp is moved to
#     X-Backend-Inbound-X-Timestamp (shunt_inbound_x_timestamp, default true);
#   outbound: the same backend and sysmeta headers are removed from responses.
"""gatekeeper middleware."""

from swift.common.config import config_true_value

INTERNAL_PREFIXES = ('x-backend-', 'x-account-sysmeta-', 'x-container-sysmeta-',
                     'x-object-sysmeta-', 'x-object-transient-sysmeta-')


def is_internal_header(name):
    """True for header names only servers may set."""
    return name.lower().startswith(INTERNAL_PREFIXES)


class GatekeeperMiddleware:
    """:param app: next WSGI app; ``conf``: ``shunt_inbound_x_timestamp``."""

    def __init__(self, app, conf):
        self.app = app
        self.shunt_x_timestamp = config_true_value(
            conf.get('shunt_inbound_x_timestamp', 'true'))

    def __call__(self, env, start_response):
        for key in [k for k in env if k.startswith('HTTP_')]:
            name = key[5:].replace('_', '-')
            if is_internal_header(name):
                del env[key]
        if self.shunt_x_timestamp and 'HTTP_X_TIMESTAMP' in env:
            env['HTTP_X_BACKEND_INBOUND_X_TIMESTAMP'] = env.pop('HTTP_X_TIMESTAMP')

        def filtered_start_response(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if not is_internal_header(k)]
            return start_response(status, headers, exc_info)

        return self.app(env, filtered_start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#gatekeeper``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: GatekeeperMiddleware(app, conf)
