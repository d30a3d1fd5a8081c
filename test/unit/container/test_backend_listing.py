"""Table-driven listing tests: every parameter combination against a brute-force model
of Swift's listing rules, for ContainerBroker and AccountBroker, plus BL-10."""

import itertools

import pytest

from swift.account.backend import AccountBroker
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker

NAMES = ['a', 'a-b', 'a--b', 'a--b--c', 'a/b', 'a/b/c', 'a/b/d', 'b', 'b/', 'b/x',
         'c\u00e9/1', 'c\u00e9/2', 'd0/a', 'd1/object', 'd1/z', 'd2/x', 'z\u2603']
MARKERS = ['', 'a', 'a/', 'a/b', 'd1/', 'd1/object', 'zz']
END_MARKERS = ['', 'b', 'd1/z', 'zz']
PREFIXES = [None, '', 'a', 'a/', 'd', 'c\u00e9/']
DELIMITERS = [None, '/', '-', '--', '/b']
LIMITS = [1, 2, 100]


def model(names, limit, marker, end_marker, prefix, delimiter, reverse):
    """Brute force: filter, roll up under the delimiter, drop the subdir equal to the
    (post-swap) marker, cut at limit. With reverse, Swift swaps marker and end_marker:
    the listing runs downwards from below ``marker`` and stops above ``end_marker``."""
    if reverse:
        marker, end_marker = end_marker, marker
    items = sorted(names, reverse=reverse)
    out = []
    for name in items:
        # after the swap the SQL bounds are the same as forward; only order changes
        if marker and name <= marker:
            continue
        if end_marker and name >= end_marker:
            continue
        if prefix and not name.startswith(prefix):
            continue
        if delimiter:
            base = prefix or ''
            idx = name.find(delimiter, len(base))
            if idx >= 0:
                sub = name[:idx + len(delimiter)]
                if sub == marker:
                    continue
                if out and out[-1] == ('subdir', sub):
                    continue
                out.append(('subdir', sub))
                continue
        out.append(('name', name))
    return out[:limit]


@pytest.fixture(scope='module')
def container_broker(tmp_path_factory):
    broker = ContainerBroker(':memory:', account='a', container='c')
    broker.initialize(Timestamp(1).internal, 0)
    for i, name in enumerate(NAMES):
        broker.put_object(name, Timestamp(100 + i).internal, i, 'text/plain', 'e%d' % i)
    broker.put_object('deleted-one', Timestamp(5).internal, 0, 't', 'e')
    broker.delete_object('deleted-one', Timestamp(6).internal)
    broker.put_object('other-policy', Timestamp(5).internal, 0, 't', 'e',
                      storage_policy_index=1)
    return broker


@pytest.fixture(scope='module')
def account_broker():
    broker = AccountBroker(':memory:', account='a')
    broker.initialize(Timestamp(1).internal)
    for i, name in enumerate(NAMES):
        broker.put_container(name, Timestamp(100 + i).internal, '0', i, i * 10, 0)
    broker.put_container('gone', Timestamp(5).internal, Timestamp(6).internal, 0, 0, 0)
    return broker


def _container_result(rows):
    return [('subdir', r[0]) if r[3] is None else ('name', r[0]) for r in rows]


def _account_result(rows):
    return [('subdir', r[0]) if r[5] else ('name', r[0]) for r in rows]


COMBOS = list(itertools.product(LIMITS, MARKERS, END_MARKERS, PREFIXES, DELIMITERS,
                                [False, True]))


def test_container_listing_all_combinations(container_broker):
    failures = []
    for limit, marker, end_marker, prefix, delimiter, reverse in COMBOS:
        got = _container_result(container_broker.list_objects_iter(
            limit, marker, end_marker, prefix, delimiter, reverse=reverse))
        want = model(NAMES, limit, marker, end_marker, prefix, delimiter, reverse)
        if got != want:
            failures.append((limit, marker, end_marker, prefix, delimiter, reverse,
                             got, want))
    assert failures == []


def test_account_listing_all_combinations(account_broker):
    failures = []
    for limit, marker, end_marker, prefix, delimiter, reverse in COMBOS:
        got = _account_result(account_broker.list_containers_iter(
            limit, marker, end_marker, prefix, delimiter, reverse=reverse))
        want = model(NAMES, limit, marker, end_marker, prefix, delimiter, reverse)
        if got != want:
            failures.append((limit, marker, end_marker, prefix, delimiter, reverse,
                             got, want))
    assert failures == []


def test_bl10_marker_with_delimiter(container_broker):
    def subdirs(marker):
        return [r[0] for r in container_broker.list_objects_iter(
            100, marker, None, None, '/') if r[0].startswith('d')]
    assert subdirs('d1/object') == ['d1/', 'd2/']
    assert subdirs('d1/') == ['d2/']


@pytest.mark.parametrize('path, expected', [
    ('a', ['a/b']),
    ('a/', ['a/b']),
    ('a/b', ['a/b/c', 'a/b/d']),
    ('b', ['b/x']),
    ('nothing', []),
])
def test_path_lists_direct_children(container_broker, path, expected):
    rows = container_broker.list_objects_iter(100, '', None, None, None, path=path)
    assert [r[0] for r in rows] == expected


def test_row_shapes(container_broker, account_broker):
    row = container_broker.list_objects_iter(1, '', None, 'a', None)[0]
    assert row == ('a', Timestamp(100).internal, 0, 'text/plain', 'e0')
    sub = container_broker.list_objects_iter(1, '', None, 'a/', '/')[0]
    assert list(sub) == ['a/b', Timestamp(104).internal, 4, 'text/plain', 'e4']
    sub = container_broker.list_objects_iter(1, '', None, '', '/')
    assert sub == [('a', Timestamp(100).internal, 0, 'text/plain', 'e0')]
    rows = container_broker.list_objects_iter(10, 'a-b', None, None, '/')
    assert rows[0] == ['a/', '0', 0, None, '']
    arow = account_broker.list_containers_iter(1, '', None, 'a-b', None)[0]
    assert tuple(arow) == ('a-b', 1, 10, Timestamp(101).internal, 0, 0)
    asub = account_broker.list_containers_iter(5, 'a-b', None, None, '/')[0]
    assert list(asub) == ['a/', 0, 0, '0', -1, 1]


def test_deleted_and_other_policy_rows_hidden(container_broker, account_broker):
    names = [r[0] for r in container_broker.list_objects_iter(100, '', None, None, None)]
    assert 'deleted-one' not in names and 'other-policy' not in names
    anames = [r[0] for r in account_broker.list_containers_iter(100, '', None, None, None)]
    assert 'gone' not in anames and len(anames) == len(NAMES)
