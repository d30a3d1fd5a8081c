# The outermost proxy filter (Swift's catch_errors): gives each request its transaction
# id (X-Trans-Id-Extra appended, quoted), puts X-Trans-Id and X-Openstack-Request-Id on
# every response, and turns an exception raised below it into a 500 "An error
# occurred" with the trans id, logged once here with the traceback.
"""catch_errors middleware."""

from swift.common.logs import get_logger
from swift.common.swob import HTTPServerError, Request
from swift.proxy.trans_id import generate_trans_id, trans_id_suffix


class CatchErrorsMiddleware:
    """:param app: next WSGI app; ``conf``: filter options; ``logger`` optional."""

    def __init__(self, app, conf, logger=None):
        self.app = app
        self.logger = logger or get_logger(conf, log_route='catch-errors')
        self.trans_id_suffix = conf.get('trans_id_suffix', '')

    def __call__(self, env, start_response):
        req = Request(env)
        extra = trans_id_suffix(req.headers.get('X-Trans-Id-Extra'))
        trans_id = generate_trans_id(self.trans_id_suffix + extra)
        env['swift.trans_id'] = trans_id
        self.logger.txn_id = trans_id

        def add_trans_id(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers
                       if k.lower() not in ('x-trans-id', 'x-openstack-request-id')]
            headers.append(('X-Trans-Id', trans_id))
            headers.append(('X-Openstack-Request-Id', trans_id))
            return start_response(status, headers, exc_info)

        try:
            return self.app(env, add_trans_id)
        except Exception:  # the outermost funnel: a 500, never a traceback
            self.logger.exception('Error: An error occurred')
            resp = HTTPServerError(request=req, body=b'An error occurred',
                                   content_type='text/plain')
            return resp(env, add_trans_id)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#catch_errors``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: CatchErrorsMiddleware(app, conf)
