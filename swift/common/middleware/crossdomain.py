# Serves the Adobe Flash cross-domain policy at GET /crossdomain.xml (Swift's
# crossdomain). The operator's cross_domain_policy lines go between the
# <cross-domain-policy> tags verbatim; default allows every domain:
# <allow-access-from domain="*" secure="false" />. /info section ``crossdomain`` (empty).
"""crossdomain middleware."""

from swift.common.swob import Request, Response
from swift.proxy.controllers.info import register_swift_info

DEFAULT_POLICY = '<allow-access-from domain="*" secure="false" />'


def policy_document(cross_domain_policy):
    """The full XML document for ``cross_domain_policy`` (str) as Swift writes it."""
    return ('<?xml version="1.0"?>\n'
            '<!DOCTYPE cross-domain-policy SYSTEM '
            '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
            '<cross-domain-policy>\n'
            '%s\n'
            '</cross-domain-policy>' % cross_domain_policy)


class CrossDomainMiddleware:
    """:param app: next WSGI app; ``conf``: ``cross_domain_policy`` (optional)."""

    def __init__(self, app, conf):
        self.app = app
        self.cross_domain_policy = conf.get('cross_domain_policy', DEFAULT_POLICY)
        self.body = policy_document(self.cross_domain_policy).encode('utf-8')
        register_swift_info(app, 'crossdomain')

    def __call__(self, env, start_response):
        if env.get('PATH_INFO') == '/crossdomain.xml' and \
                env.get('REQUEST_METHOD') == 'GET':
            resp = Response(request=Request(env), body=self.body,
                            content_type='application/xml')
            return resp(env, start_response)
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#crossdomain``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: CrossDomainMiddleware(app, conf)
