# Cross-origin requests (Swift's CORS support in the proxy controllers):
#   * OPTIONS answers 200 with Allow; with an Origin it is a preflight: allowed when
#     the origin is in the container's X-Container-Meta-Access-Control-Allow-Origin
#     (space-separated, '*' for any) or the proxy's cors_allow_origin, and the
#     Access-Control-Request-Method is one of the controller's verbs; else 401.
#   * Actual requests carrying Origin to a container or object get
#     Access-Control-Allow-Origin and Access-Control-Expose-Headers on the response
#     (with strict_cors_mode only when the origin is allowed).
"""CORS preflight answers and response headers."""

from swift.common.config import list_from_csv
from swift.common.swob import Response

EXPOSED_ALWAYS = ('cache-control', 'content-language', 'content-type', 'expires',
                  'last-modified', 'pragma', 'etag', 'x-timestamp', 'x-trans-id',
                  'x-openstack-request-id')


def allowed_origins(cors_info, proxy_origins):
    """Origins allowed by the container's CORS metadata plus the proxy's option."""
    origins = set(proxy_origins)
    origins.update((cors_info.get('allow_origin') or '').split())
    return origins


def is_origin_allowed(cors_info, proxy_origins, origin):
    origins = allowed_origins(cors_info, proxy_origins)
    return origin in origins or '*' in origins


def _add_vary(headers, value):
    headers['Vary'] = ('%s, %s' % (headers['Vary'], value)) if headers.get('Vary') \
        else value


def preflight_response(req, allowed_methods, cors_info, proxy_origins):
    """The answer to OPTIONS (``cors_info`` None for an account: no preflight)."""
    resp = Response(status=200, request=req, body=b'',
                    headers={'Allow': ', '.join(allowed_methods)})
    origin = req.headers.get('Origin')
    if not origin or cors_info is None:
        return resp
    if not is_origin_allowed(cors_info, proxy_origins, origin) or \
            req.headers.get('Access-Control-Request-Method') not in allowed_methods:
        resp.status = 401
        return resp
    if (cors_info.get('allow_origin') or '').strip() == '*':
        resp.headers['Access-Control-Allow-Origin'] = '*'
    else:
        resp.headers['Access-Control-Allow-Origin'] = origin
    _add_vary(resp.headers, 'Origin')
    if cors_info.get('max_age') is not None:
        resp.headers['Access-Control-Max-Age'] = cors_info['max_age']
    resp.headers['Access-Control-Allow-Methods'] = ', '.join(allowed_methods)
    requested = list_from_csv(req.headers.get('Access-Control-Request-Headers'))
    if requested:
        resp.headers['Access-Control-Allow-Headers'] = ', '.join(
            sorted(set(requested)))
        _add_vary(resp.headers, 'Access-Control-Request-Headers')
    return resp


def add_cors_headers(req, resp, cors_info, proxy_origins, strict):
    """Decorate an actual response to a cross-origin request."""
    origin = req.headers.get('Origin')
    if not origin:
        return resp
    if strict and not is_origin_allowed(cors_info, proxy_origins, origin):
        return resp
    if 'Access-Control-Expose-Headers' not in resp.headers:
        expose = set(EXPOSED_ALWAYS)
        expose.update(name.lower() for name in resp.headers
                      if name.lower().startswith(('x-container-meta-', 'x-object-meta-')))
        expose.update((cors_info.get('expose_headers') or '').lower().split())
        resp.headers['Access-Control-Expose-Headers'] = ', '.join(sorted(expose))
    if 'Access-Control-Allow-Origin' not in resp.headers:
        if (cors_info.get('allow_origin') or '').strip() == '*':
            resp.headers['Access-Control-Allow-Origin'] = '*'
        else:
            resp.headers['Access-Control-Allow-Origin'] = origin
            _add_vary(resp.headers, 'Origin')
    return resp
