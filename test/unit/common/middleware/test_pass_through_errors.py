"""A middleware passing on a request that is not its business calls the app outside
any ``except`` block: an error of the app must not arrive chained to the middleware's
own path-parsing ValueError (the proxy log then showed half a dozen unrelated
tracebacks before the real one)."""

import importlib

import pytest

from swift.common.swob import Request


class Boom(Exception):
    pass


def exploding_app(env, start_response):
    raise Boom('the real error')


@pytest.mark.parametrize('module', [
    'account_quotas', 'container_quotas', 'copy', 'dlo', 'etag_quoter', 'listing_formats',
    'ratelimit', 'read_only', 'slo', 'staticweb', 'symlink', 'versioned_writes'])
def test_app_errors_are_not_chained_to_path_parsing(module, tmp_path):
    (tmp_path / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    factory = importlib.import_module('swift.common.middleware.' + module).filter_factory
    middleware = factory({'swift_dir': str(tmp_path)})(exploding_app)
    env = Request.blank('/info').environ        # no /v1/a/... path to split
    env['swift.authorize'] = lambda req: None   # staticweb acts only behind auth
    with pytest.raises(Boom) as caught:
        middleware(env, lambda *args: None)
    assert caught.value.__context__ is None
