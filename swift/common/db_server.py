# Owns what the account and container servers share: request dispatch with Swift's
# error funnel, their access log line, drive checks, allowed verbs and REPLICATE (DB
# replication ops, handled by swift.common.db_replicator.ReplicatorRpc).
"""DatabaseServer: the WSGI plumbing common to the account and container servers."""

import json
import time

from swift.common.backend_request import (
    DriveUnavailable, check_drive, handles_options, native, options_response,
    path_is_valid_utf8, split_and_validate_path)
from swift.common.swob import (
    HTTPBadRequest, HTTPException, HTTPInsufficientStorage, HTTPMethodNotAllowed,
    HTTPPreconditionFailed, HTTPServerError, Request)


class DatabaseServer:
    """Base of AccountController and ContainerController.

    Subclasses set ``server_type``, ``datadir`` ('accounts'/'containers') and
    ``broker_class``, and have ``config`` (with ``devices``, ``mount_check``,
    ``replication_server``, ``log_requests``) and ``logger`` attributes.
    """

    server_type = None
    datadir = None
    broker_class = None
    replicator_rpc = None

    @staticmethod
    def allowed_methods_for(replication_server):
        """Verbs served given Swift's ``replication_server`` option (None/True/False)."""
        methods = [] if replication_server is True else ['PUT', 'HEAD', 'GET', 'POST',
                                                          'DELETE']
        if replication_server is not False:
            methods.append('REPLICATE')
        return methods

    def _check_drive(self, req, drive):
        """:raises HTTPInsufficientStorage: when the device is unavailable (507)."""
        try:
            check_drive(self.config.devices, drive, self.config.mount_check)
        except DriveUnavailable:
            raise HTTPInsufficientStorage(request=req)

    def REPLICATE(self, req):
        """DB replication ops (``[op, args...]`` JSON body) on ``/<dev>/<part>/<hash>``."""
        from swift.common.db_replicator import ReplicatorRpc
        drive, partition, db_hash = [native(seg) for seg in
                                     split_and_validate_path(req, 3)]
        self._check_drive(req, drive)
        try:
            args = json.load(req.environ['wsgi.input'])
        except ValueError as err:
            return HTTPBadRequest(request=req, body=str(err).encode('utf-8'),
                                  content_type='text/plain')
        if self.replicator_rpc is None:
            self.replicator_rpc = ReplicatorRpc(
                self.config.devices, self.datadir, self.broker_class,
                self.config.mount_check, logger=self.logger)
        response = self.replicator_rpc.dispatch((drive, partition, db_hash), args)
        response.request = req
        return response

    def handle(self, req):
        """Dispatch one request; never raises (500 with a logged traceback)."""
        if not path_is_valid_utf8(req):
            return HTTPPreconditionFailed(request=req, body=b'Invalid UTF8 or contains NULL')
        if req.method == 'OPTIONS' and handles_options(self.config.replication_server):
            return options_response(req, self.server_type, self.allowed_methods)
        if req.method not in self.allowed_methods:
            return HTTPMethodNotAllowed(request=req)
        try:
            return getattr(self, req.method)(req)
        except HTTPException as error_response:
            return error_response
        except Exception:
            self.logger.exception('ERROR __call__ error with %s %s', req.method, req.path)
            return HTTPServerError(request=req)

    def __call__(self, env, start_response):
        start = time.time()
        req = Request(env)
        self.logger.txn_id = req.headers.get('X-Trans-Id')
        resp = self.handle(req)
        if self.config.log_requests:
            self.logger.info('%s - - "%s %s" %s "%s" "%s" %.4f', req.remote_addr,
                             req.method, req.path, resp.status_int,
                             req.headers.get('X-Trans-Id', '-'),
                             req.headers.get('User-Agent', '-'), time.time() - start)
        return resp(env, start_response)
