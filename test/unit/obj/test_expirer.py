"""Object expirer against an in-memory proxy app: due/future tasks, X-If-Delete-At
protection of re-created objects, processes/process split, pacing on the fake clock,
recon stats, the Swift 2.38 queue fixture, and the internal client it uses."""

import json
import shutil
from urllib.parse import parse_qs, unquote

import pytest

from swift.common.config import ConfigError
from swift.common.internal_client import InternalClient, UnexpectedResponse
from swift.common.recon import load_recon_cache
from swift.container.backend import ContainerBroker
from swift.obj import expirer as expirer_mod
from swift.obj.expirer import ObjectExpirer, hash_mod, parse_task_obj
from test.helpers.fake_clock import FakeClock
from test.unit.obj.common import CaptureLogger
from test.unit.obj.golden import fixture_path

NOW = 1700000000.0
TASK_ACCOUNT = '.expiring_objects'


class FakeProxy:
    """A WSGI app standing in for the proxy: accounts -> containers -> objects.

    Objects are dicts with ``timestamp`` (float), ``delete_at`` (int or None) and
    ``content_type``. DELETE honours X-If-Delete-At (412) and X-Timestamp (409) as the
    object servers do.
    """

    def __init__(self):
        self.accounts = {}
        self.requests = []
        self.fail = []  # statuses to answer before behaving (for retry tests)

    def add(self, account, container, obj=None, **info):
        containers = self.accounts.setdefault(account, {})
        objects = containers.setdefault(container, {})
        if obj is not None:
            info.setdefault('timestamp', 1.0)
            info.setdefault('delete_at', None)
            info.setdefault('content_type', 'text/plain')
            objects[obj] = info

    def queue(self, delete_at, target, task_container=None, content_type='text/plain'):
        task_container = task_container or '%010d' % (delete_at // 86400 * 86400)
        self.add(TASK_ACCOUNT, task_container, '%010d-%s' % (delete_at, target),
                 content_type=content_type)
        return task_container

    def __call__(self, environ, start_response):
        method = environ['REQUEST_METHOD']
        path = unquote(environ['PATH_INFO'])
        query = {k: v[0] for k, v in parse_qs(environ.get('QUERY_STRING', '')).items()}
        headers = {k[5:].replace('_', '-').title(): v for k, v in environ.items()
                   if k.startswith('HTTP_')}
        self.requests.append((method, path, headers))
        if self.fail:
            return self._reply(start_response, self.fail.pop(0))
        parts = path.split('/', 4)[2:]
        handler = getattr(self, '_%s_%d' % (method.lower(), len(parts)))
        return handler(start_response, parts, query, headers)

    @staticmethod
    def _reply(start_response, status, body=b'', headers=()):
        start_response('%d Fake' % status,
                       [('Content-Length', str(len(body)))] + list(headers))
        return [body]

    def _listing(self, start_response, names, query, info):
        marker = query.get('marker', '')
        limit = int(query.get('limit', 10000))
        prefix = query.get('prefix', '')
        chosen = [n for n in sorted(names) if n > marker and n.startswith(prefix)][:limit]
        body = json.dumps([info(n) for n in chosen]).encode()
        return self._reply(start_response, 200, body)

    def _get_1(self, start_response, parts, query, headers):
        account = self.accounts.get(parts[0])
        if account is None:
            return self._reply(start_response, 404)
        return self._listing(start_response, account, query,
                             lambda n: {'name': n, 'count': len(account[n]), 'bytes': 0})

    def _head_1(self, start_response, parts, query, headers):
        account = self.accounts.get(parts[0])
        if account is None:
            return self._reply(start_response, 404)
        count = sum(len(objs) for objs in account.values())
        return self._reply(start_response, 204, headers=[
            ('X-Account-Container-Count', str(len(account))),
            ('X-Account-Object-Count', str(count))])

    def _get_2(self, start_response, parts, query, headers):
        objects = self.accounts.get(parts[0], {}).get(parts[1])
        if objects is None:
            return self._reply(start_response, 404)
        return self._listing(start_response, objects, query, lambda n: {
            'name': n, 'content_type': objects[n]['content_type'], 'bytes': 0,
            'hash': 'd41d8cd98f00b204e9800998ecf8427e'})

    def _delete_2(self, start_response, parts, query, headers):
        account = self.accounts.get(parts[0], {})
        if parts[1] not in account:
            return self._reply(start_response, 404)
        if account[parts[1]]:
            return self._reply(start_response, 409)
        del account[parts[1]]
        return self._reply(start_response, 204)

    def _delete_3(self, start_response, parts, query, headers):
        # the object server's order: nothing there 404, newer object 409, other
        # X-Delete-At 412 (X-If-Delete-At is compared as a timestamp)
        objects = self.accounts.get(parts[0], {}).get(parts[1], {})
        obj = objects.get(parts[2])
        if obj is None:
            return self._reply(start_response, 404)
        if obj['timestamp'] >= float(headers.get('X-Timestamp', NOW)):
            return self._reply(start_response, 409)
        if 'X-If-Delete-At' in headers:
            stored = obj['delete_at']
            if stored is None or float(headers['X-If-Delete-At']) != stored:
                return self._reply(start_response, 412)
        del objects[parts[2]]
        return self._reply(start_response, 204)

    def objects(self, account, container):
        return sorted(self.accounts.get(account, {}).get(container, {}))


def make_expirer(proxy, clock=None, tmp_path=None, **conf):
    clock = clock or FakeClock(NOW)
    base = {'recon_cache_path': str(tmp_path / 'cache') if tmp_path else '/nonexistent',
            'tasks_per_second': '0'}
    base.update(conf)
    logger = CaptureLogger()
    swift = InternalClient(proxy, expirer_mod.USER_AGENT, request_tries=3)
    return ObjectExpirer(base, logger=logger, clock=clock, swift=swift), clock, logger


def deletes_of(proxy, account):
    return [(path, headers) for method, path, headers in proxy.requests
            if method == 'DELETE' and path.startswith('/v1/%s/' % account)]


class TestPass:
    def test_due_object_is_deleted_with_swift_headers_and_row_popped(self, tmp_path):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        proxy.add('AUTH_test', 'c', 'o', delete_at=delete_at, timestamp=NOW - 100)
        task_container = proxy.queue(delete_at, 'AUTH_test/c/o')
        expirer, _clock, _logger = make_expirer(proxy, tmp_path=tmp_path)

        stats = expirer.run_once()

        assert (stats.expired, stats.errors) == (1, 0)
        assert proxy.objects('AUTH_test', 'c') == []
        assert proxy.objects(TASK_ACCOUNT, task_container) == []
        [(path, headers)] = deletes_of(proxy, 'AUTH_test')
        assert path == '/v1/AUTH_test/c/o'
        assert headers['X-If-Delete-At'] == '%.5f' % delete_at
        assert headers['X-Timestamp'] == '%.5f' % delete_at
        assert headers['X-Backend-Clean-Expiring-Object-Queue'] == 'no'
        assert headers['User-Agent'] == 'Swift Object Expirer'
        cache = load_recon_cache(str(tmp_path / 'cache' / 'object.recon'))
        assert cache['expired_last_pass'] == 1
        assert cache['object_expiration_pass'] >= 0

    def test_future_tasks_and_containers_are_left_alone(self):
        proxy = FakeProxy()
        later = int(NOW) + 50
        proxy.add('AUTH_test', 'c', 'soon', delete_at=later)
        proxy.queue(later, 'AUTH_test/c/soon', task_container='%010d' % (NOW - 100))
        proxy.add('AUTH_test', 'c', 'far', delete_at=int(NOW) + 86400 * 3)
        proxy.queue(int(NOW) + 86400 * 3, 'AUTH_test/c/far')
        expirer, clock, _ = make_expirer(proxy)
        assert expirer.run_once().expired == 0
        assert proxy.objects('AUTH_test', 'c') == ['far', 'soon']
        clock.advance(60)
        assert expirer.run_once().expired == 1
        assert proxy.objects('AUTH_test', 'c') == ['far']

    def test_recreated_object_survives_and_row_is_popped(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        # re-created after its expiry time without X-Delete-At: 409 (newer object)
        proxy.add('AUTH_test', 'c', 'o', delete_at=None, timestamp=NOW - 5)
        task_container = proxy.queue(delete_at, 'AUTH_test/c/o')
        expirer, _clock, _logger = make_expirer(proxy)
        assert expirer.run_once().expired == 1
        assert proxy.objects('AUTH_test', 'c') == ['o']
        assert proxy.objects(TASK_ACCOUNT, task_container) == []

    def test_changed_delete_at_412_keeps_row_until_reclaim_age(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        # a POST moved X-Delete-At: the old task must not delete the object
        proxy.add('AUTH_test', 'c', 'o', delete_at=int(NOW) + 3600, timestamp=NOW - 50)
        task_container = proxy.queue(delete_at, 'AUTH_test/c/o')
        expirer, clock, logger = make_expirer(proxy)
        stats = expirer.run_once()
        assert (stats.expired, stats.errors) == (0, 1)
        assert proxy.objects('AUTH_test', 'c') == ['o']
        assert proxy.objects(TASK_ACCOUNT, task_container) != []
        assert any('412' in line for line in logger.lines_for('error'))
        clock.advance(604800 + 1)
        proxy.accounts['AUTH_test']['c']['o']['delete_at'] = int(clock.time()) + 3600
        assert expirer.run_once().expired == 1
        assert proxy.objects('AUTH_test', 'c') == ['o']
        assert proxy.objects(TASK_ACCOUNT, task_container) == []

    def test_missing_target_404_keeps_row_until_reclaim_age(self):
        proxy = FakeProxy()
        task_container = proxy.queue(int(NOW) - 10, 'AUTH_test/c/gone')
        expirer, clock, _logger = make_expirer(proxy)
        assert expirer.run_once().errors == 1
        assert proxy.objects(TASK_ACCOUNT, task_container) != []
        clock.advance(604800 + 1)
        assert expirer.run_once().expired == 1

    def test_newer_object_with_same_delete_at_gets_409_and_row_popped(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        proxy.add('AUTH_test', 'c', 'o', delete_at=delete_at, timestamp=NOW - 5)
        task_container = proxy.queue(delete_at, 'AUTH_test/c/o')
        expirer, _clock, _ = make_expirer(proxy)
        assert expirer.run_once().expired == 1
        assert proxy.objects('AUTH_test', 'c') == ['o']
        assert proxy.objects(TASK_ACCOUNT, task_container) == []

    def test_empty_task_container_is_deleted_next_pass(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        proxy.add('AUTH_test', 'c', 'o', delete_at=delete_at)
        task_container = proxy.queue(delete_at, 'AUTH_test/c/o')
        expirer, _clock, _ = make_expirer(proxy)
        expirer.run_once()
        assert task_container in proxy.accounts[TASK_ACCOUNT]
        expirer.run_once()
        assert task_container not in proxy.accounts[TASK_ACCOUNT]

    def test_async_delete_tasks_skip_if_delete_at(self):
        proxy = FakeProxy()
        proxy.add('AUTH_test', 'c', 'o', delete_at=None)
        proxy.queue(int(NOW) - 10, 'AUTH_test/c/o', content_type='application/async-deleted')
        proxy.queue(int(NOW) - 10, 'AUTH_test/c/missing',
                    content_type='application/async-deleted')
        expirer, _clock, _ = make_expirer(proxy)
        assert expirer.run_once().expired == 2
        assert all('X-If-Delete-At' not in h for _p, h in deletes_of(proxy, 'AUTH_test'))
        assert proxy.objects('AUTH_test', 'c') == []

    def test_bad_task_names_are_logged_and_skipped(self):
        proxy = FakeProxy()
        proxy.add(TASK_ACCOUNT, '%010d' % (NOW - 86400), 'garbage')
        proxy.add(TASK_ACCOUNT, 'not-a-time', 'x')
        expirer, _clock, logger = make_expirer(proxy)
        assert expirer.run_once().expired == 0
        assert any('garbage' in line for line in logger.lines_for('error'))
        assert any('not-a-time' in line for line in logger.lines_for('warning'))

    def test_no_queue_account_is_a_quiet_pass(self):
        expirer, _clock, logger = make_expirer(FakeProxy())
        stats = expirer.run_once()
        assert (stats.expired, stats.errors) == (0, 0)
        assert not logger.lines_for('error')


class TestWorkSplit:
    def test_processes_share_the_queue_without_overlap(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        names = ['o%d' % i for i in range(20)]
        for name in names:
            proxy.add('AUTH_test', 'c', name, delete_at=delete_at)
            proxy.queue(delete_at, 'AUTH_test/c/' + name)
        seen = []
        for process in (0, 1):
            expirer, _clock, _ = make_expirer(proxy, processes='2', process=str(process))
            before = set(proxy.objects('AUTH_test', 'c'))
            expirer.run_once()
            done = before - set(proxy.objects('AUTH_test', 'c'))
            assert done == {n for n in names
                            if hash_mod('AUTH_test/c/' + n, 2) == process}
            seen.append(done)
        assert seen[0] and seen[1] and not (seen[0] & seen[1])
        assert proxy.objects('AUTH_test', 'c') == []

    def test_command_line_overrides_and_validation(self):
        expirer, _clock, _ = make_expirer(FakeProxy())
        assert expirer.get_process_values({'processes': 3, 'process': 2}) == (3, 2)
        with pytest.raises(ConfigError):
            expirer.get_process_values({'processes': 2, 'process': 2})
        with pytest.raises(ConfigError) as info:
            make_expirer(FakeProxy(), processes='2', process='5')
        assert info.value.option == 'process'


class TestPacing:
    def test_tasks_per_second_on_fake_clock(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        for index in range(11):
            proxy.add('AUTH_test', 'c', 'o%d' % index, delete_at=delete_at)
            proxy.queue(delete_at, 'AUTH_test/c/o%d' % index)
        expirer, clock, _ = make_expirer(proxy, tasks_per_second='5')
        start = clock.monotonic()
        assert expirer.run_once().expired == 11
        assert 1.5 <= clock.monotonic() - start <= 2.2

    def test_concurrency_uses_a_pool(self):
        proxy = FakeProxy()
        delete_at = int(NOW) - 10
        for index in range(6):
            proxy.add('AUTH_test', 'c', 'o%d' % index, delete_at=delete_at)
            proxy.queue(delete_at, 'AUTH_test/c/o%d' % index)
        expirer, _clock, _ = make_expirer(proxy, concurrency='3')
        assert expirer.run_once().expired == 6
        assert proxy.objects('AUTH_test', 'c') == []

    def test_run_forever_sleeps_interval_on_clock(self):
        proxy = FakeProxy()
        expirer, clock, _ = make_expirer(proxy)
        calls = []
        original = expirer.run_once

        def once(**kwargs):
            calls.append(1)
            if len(calls) == 2:
                expirer.stop()
            return original(**kwargs)
        expirer.run_once = once
        expirer.run_forever()
        assert clock.sleeps == [300.0]


class TestGoldenQueue:
    def test_swift_238_queue_row_drives_the_right_delete(self, tmp_path):
        source = fixture_path('dbs', 'container-expiring_objects.db')
        db_path = str(tmp_path / 'queue.db')
        shutil.copy(source, db_path)
        broker = ContainerBroker(db_path, account=TASK_ACCOUNT, container='1798502302')
        rows = broker.get_objects()
        assert [r['name'] for r in rows] == ['1798582117-AUTH_test/fixtures/expiring.txt']
        proxy = FakeProxy()
        for row in rows:
            proxy.add(TASK_ACCOUNT, '1798502302', row['name'],
                      content_type=row['content_type'])
        proxy.add('AUTH_test', 'fixtures', 'expiring.txt', delete_at=1798582117,
                  timestamp=1795990117.0)
        expirer, _clock, _ = make_expirer(proxy, clock=FakeClock(1798582200.0))
        assert expirer.run_once().expired == 1
        [(path, headers)] = deletes_of(proxy, 'AUTH_test')
        assert path == '/v1/AUTH_test/fixtures/expiring.txt'
        assert headers['X-If-Delete-At'] == '1798582117.00000'
        assert proxy.objects('AUTH_test', 'fixtures') == []

    def test_parse_task_obj(self):
        ts, a, c, o = parse_task_obj('1798582117-AUTH_test/fixtures/dir/x-y.txt')
        assert (int(ts), a, c, o) == (1798582117, 'AUTH_test', 'fixtures', 'dir/x-y.txt')
        for bad in ('nodash', 'abc-a/c/o', '1798582117-a/c', '1798582117-a//o'):
            with pytest.raises(ValueError):
                parse_task_obj(bad)


class TestInternalClient:
    def test_retries_server_errors_then_succeeds(self):
        proxy = FakeProxy()
        proxy.add('a', 'c')
        proxy.fail = [503, 500]
        client = InternalClient(proxy, 'test', request_tries=3)
        assert list(client.iter_objects('a', 'c')) == []
        assert len(proxy.requests) == 3

    def test_gives_up_after_request_tries(self):
        proxy = FakeProxy()
        proxy.fail = [503] * 5
        client = InternalClient(proxy, 'test', request_tries=2)
        with pytest.raises(UnexpectedResponse) as info:
            client.delete_object('a', 'c', 'o')
        assert info.value.resp.status_int == 503
        assert len(proxy.requests) == 2

    def test_client_errors_are_not_retried(self):
        proxy = FakeProxy()
        client = InternalClient(proxy, 'test', request_tries=3)
        with pytest.raises(UnexpectedResponse):
            client.delete_container('a', 'c', acceptable_statuses=(2,))
        assert len(proxy.requests) == 1

    def test_listing_pages_follow_marker(self):
        proxy = FakeProxy()
        for index in range(7):
            proxy.add('a', 'c', 'o%d' % index)
        client = InternalClient(proxy, 'test', listing_limit=3)
        assert [o['name'] for o in client.iter_objects('a', 'c')] == \
            ['o%d' % i for i in range(7)]
        assert sum(1 for m, _p, _h in proxy.requests if m == 'GET') == 4

    def test_make_path_quotes_names(self):
        assert InternalClient.make_path('AUTH_t', 'c/x', 'dir/\u2603 o') == \
            '/v1/AUTH_t/c%2Fx/dir/%E2%98%83%20o'
        with pytest.raises(ValueError):
            InternalClient.make_path('a', None, 'o')


class TestMain:
    def test_bad_process_values_exit_2(self, capsys):
        assert expirer_mod.main(['x.conf', '--processes', '2', '--process', '3']) == 2
        assert 'process must be less than processes' in capsys.readouterr().err

    def test_pop_process_options(self):
        assert expirer_mod._pop_process_options(
            ['c.conf', '--processes=4', '--process', '1', 'once']) == \
            (['c.conf', 'once'], {'processes': 4, 'process': 1})


class TestConfig:
    def test_legacy_conf_with_pipeline_is_its_own_internal_client_conf(self, tmp_path):
        legacy = tmp_path / 'object-expirer.conf'
        legacy.write_text('[object-expirer]\n[pipeline:main]\npipeline = proxy-server\n')
        config = expirer_mod.ObjectExpirerConfig.from_conf({'__file__': str(legacy)})
        assert config.internal_client_conf_path == str(legacy)
        plain = tmp_path / 'object-server.conf'
        plain.write_text('[object-expirer]\n')
        config = expirer_mod.ObjectExpirerConfig.from_conf({'__file__': str(plain)})
        assert config.internal_client_conf_path == '/etc/swift/internal-client.conf'
        config = expirer_mod.ObjectExpirerConfig.from_conf(
            {'__file__': str(legacy), 'internal_client_conf_path': '/x.conf'})
        assert config.internal_client_conf_path == '/x.conf'
        assert config.task_account == '.expiring_objects'
