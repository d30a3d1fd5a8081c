"""Many writers into one container DB: green threads inside one server process and
several processes at once (like server workers) all PUT object rows while others
list; every row lands exactly once and the count and bytes are exact."""

import json
import multiprocessing
import os

from swift.common import concurrency
from swift.common.hashing import HashPathConfig
from swift.common.swob import Request
from swift.common.timestamp import Timestamp
from swift.container.server import ContainerController, ContainerServerConfig
from test.unit.container.test_server import POLICIES, FakeConnect, FakeLogger


def make_app(devices):
    return ContainerController(
        ContainerServerConfig(devices=str(devices), mount_check=False),
        logger=FakeLogger(), policies=POLICIES, hash_config=HashPathConfig(b'p', b's'),
        http_connect=FakeConnect())


def call(app, path, method='GET', headers=None):
    return Request.blank(path, method=method, headers=headers or {}).get_response(app)


def put_rows(app, writer, count):
    statuses = []
    for i in range(count):
        resp = call(app, '/sda/1/a/c/w%03d-o%03d' % (writer, i), 'PUT', {
            'X-Timestamp': Timestamp(1700000000 + writer * 1000 + i).internal,
            'X-Size': str(writer + i), 'X-Content-Type': 'text/plain',
            'X-Etag': 'e' * 32, 'X-Trans-Id': 'tx%d' % writer})
        statuses.append(resp.status_int)
        if i % 5 == 0:
            concurrency.sleep(0)
    return statuses


def expected_totals(writers, per_writer):
    return (writers * per_writer,
            sum(w + i for w in range(writers) for i in range(per_writer)))


def check_container(app, writers, per_writer):
    count, total = expected_totals(writers, per_writer)
    head = call(app, '/sda/1/a/c', 'HEAD').headers
    assert (head['X-Container-Object-Count'], head['X-Container-Bytes-Used']) == \
        (str(count), str(total))
    names = []
    marker = ''
    while True:
        page = json.loads(call(app, '/sda/1/a/c?format=json&limit=1000&marker='
                               + marker).body)
        if not page:
            break
        names.extend(r['name'] for r in page)
        marker = page[-1]['name']
    assert names == sorted('w%03d-o%03d' % (w, i) for w in range(writers)
                           for i in range(per_writer))


def test_green_writers_and_readers(tmp_path):
    (tmp_path / 'sda').mkdir()
    app = make_app(tmp_path)
    assert call(app, '/sda/1/a/c', 'PUT', {'X-Timestamp': Timestamp(1).internal}) \
        .status_int == 201
    pool = concurrency.GreenPool(120)
    writers = [pool.spawn(put_rows, app, w, 20) for w in range(100)]
    readers = [pool.spawn(call, app, '/sda/1/a/c?format=json') for _ in range(20)]
    pool.waitall()
    assert all(status == 201 for w in writers for status in w.wait())
    assert all(r.wait().status_int == 200 for r in readers)
    check_container(app, 100, 20)


def _process_writer(devices, writer, count, results):
    app = make_app(devices)
    results.put((writer, put_rows(app, writer, count)))


def test_process_writers(tmp_path):
    (tmp_path / 'sda').mkdir()
    app = make_app(tmp_path)
    call(app, '/sda/1/a/c', 'PUT', {'X-Timestamp': Timestamp(1).internal})
    ctx = multiprocessing.get_context('fork')
    results = ctx.Queue()
    procs = [ctx.Process(target=_process_writer, args=(tmp_path, w, 150, results))
             for w in range(4)]
    for proc in procs:
        proc.start()
    outcomes = dict(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert sorted(outcomes) == [0, 1, 2, 3]
    assert all(status == 201 for statuses in outcomes.values() for status in statuses)
    check_container(app, 4, 150)
    pending = [f for f in os.listdir(os.path.dirname(db_path(tmp_path)))
               if f.endswith('.pending')]
    assert len(pending) <= 1


def db_path(devices):
    for root, _dirs, files in os.walk(str(devices)):
        for name in files:
            if name.endswith('.db'):
                return os.path.join(root, name)
    raise AssertionError('no DB')
