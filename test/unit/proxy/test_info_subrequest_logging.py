"""Info lookups made by a middleware go through the rest of the pipeline; the
proxy_logging below logs them with their real status, not as a client disconnect."""

from swift.common.middleware import proxy_logging
from swift.common.swob import Response
from swift.proxy import info_cache


class Lines:
    txn_id = None

    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args if args else msg)


def account_server_like(env, start_response):
    assert env['REQUEST_METHOD'] == 'HEAD'
    return Response(status=204, headers={'X-Account-Container-Count': '3'},
                    request=None)(env, start_response)


def test_info_subrequest_is_logged_with_its_status():
    logger = Lines()
    logged_app = proxy_logging.ProxyLoggingMiddleware(account_server_like, {},
                                                      logger=logger)
    env = {'PATH_INFO': '/v1/AUTH_test/c/o', 'swift.trans_id': 'tx1'}
    info = info_cache.get_account_info(env, logged_app, swift_source='RL')
    assert info['status'] == 204
    assert info['container_count'] in (3, '3')
    [line] = logger.lines
    fields = line.split(' ')
    assert (fields[3], fields[4], fields[6]) == ('HEAD', '/v1/AUTH_test', '204')
    assert fields[16] == 'RL'
