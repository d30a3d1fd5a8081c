# GET/HEAD/OPTIONS /info (swift-catalog.md 6): the cluster's capabilities as JSON, one
# section per registered component ("swift" first: version, strict_cors_mode, policies,
# allow_account_management, account_autocreate, allow_open_expired, then the
# constraints), no auth needed; sections named in disallowed_sections are hidden.
# Middlewares add their sections with register_swift_info(app, name, **info), which
# finds the proxy Application at the bottom of the pipeline.
"""InfoController and the /info registry."""

import hashlib
import hmac
import json

from swift.common.swob import (HTTPForbidden, HTTPMethodNotAllowed, HTTPOk,
                               HTTPUnauthorized, Response)
from swift.proxy.controllers.base import Controller


class InfoRegistry:
    """Ordered capability sections (``{name: dict}``), public and admin-only."""

    def __init__(self):
        self.sections = {}
        self.admin_sections = {}

    def register(self, name='swift', admin=False, **info):
        """Add or update section ``name`` (Swift's register_swift_info).

        :raises ValueError: for a name containing '.' (Swift's rule).
        """
        if '.' in name:
            raise ValueError('Cannot use "." in a swift_info key: %s' % name)
        target = self.admin_sections if admin else self.sections
        target.setdefault(name, {}).update(info)

    def public_info(self, disallowed=()):
        """The /info document without ``disallowed`` sections (dotted names drop a
        key inside a section, e.g. ``swift.version``)."""
        info = {name: dict(section) for name, section in self.sections.items()}
        for entry in disallowed:
            name, _, key = entry.partition('.')
            if key:
                info.get(name, {}).pop(key, None)
            else:
                info.pop(name, None)
        return info


def register_swift_info(app, name='swift', admin=False, **info):
    """Register ``info`` under ``name`` with the proxy found beneath ``app`` (walking
    ``.app`` attributes). Returns True when a proxy was found (no-op otherwise, e.g. in
    a storage-server pipeline)."""
    seen = 0
    while app is not None and seen < 100:
        registry = getattr(app, 'info_registry', None)
        if isinstance(registry, InfoRegistry):
            registry.register(name, admin=admin, **info)
            return True
        app = getattr(app, 'app', None)
        seen += 1
    return False


def info_signature(method, expires, key, path='/info'):
    """Swift's swiftinfo_sig: hex HMAC-SHA1 of ``METHOD\\nexpires\\npath``."""
    message = '%s\n%s\n%s' % (method, expires, path)
    return hmac.new(key.encode('utf-8'), message.encode('utf-8'), hashlib.sha1).hexdigest()


class InfoController(Controller):
    """Serves ``/info``."""

    server_type = 'Info'
    allowed_methods = ('GET', 'HEAD', 'OPTIONS')
    delay_denial = True   # /info needs no auth: never call the denial hook

    def GETorHEAD(self, req):
        """The public /info document; with a valid ``swiftinfo_sig`` (HMAC-SHA1 of
        ``METHOD\\nexpires\\n/info`` under admin_key) also the admin sections."""
        app = self.app
        if not app.expose_info:
            return HTTPForbidden(request=req)
        sig = req.params.get('swiftinfo_sig', '')
        expires = req.params.get('swiftinfo_expires', '')
        admin = bool(sig or expires)
        if admin:
            denial = self._check_admin_signature(req, sig, expires)
            if denial is not None:
                return denial
        registry = app.info_registry
        info = registry.public_info(app.config.disallowed_sections)
        if admin:
            info['admin'] = {name: dict(section) for name, section in
                             registry.admin_sections.items()}
            info['admin']['disallowed_sections'] = list(app.config.disallowed_sections)
        headers = {}
        if 'Origin' in req.headers:
            headers['Access-Control-Allow-Origin'] = req.headers['Origin']
            headers['Access-Control-Expose-Headers'] = 'x-trans-id'
        return Response(request=req, body=json.dumps(info).encode('utf-8'),
                        headers=headers, content_type='application/json; charset=UTF-8')

    def _check_admin_signature(self, req, sig, expires):
        key = self.app.admin_key
        if not key:
            return HTTPForbidden(request=req)
        try:
            expires = int(expires)
        except ValueError:
            return HTTPUnauthorized(request=req)
        if expires < self.app.clock.time():
            return HTTPUnauthorized(request=req)
        methods = ('HEAD', 'GET') if req.method == 'HEAD' else ('GET',)
        if not any(hmac.compare_digest(info_signature(m, expires, key), sig)
                   for m in methods):
            return HTTPUnauthorized(request=req)
        return None

    GET = GETorHEAD
    HEAD = GETorHEAD

    def OPTIONS(self, req):
        return HTTPOk(request=req, headers={'Allow': ', '.join(self.allowed_methods)},
                      body=b'')

    def not_allowed(self, req):
        return HTTPMethodNotAllowed(request=req,
                                    headers={'Allow': ', '.join(self.allowed_methods)})
