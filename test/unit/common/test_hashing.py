import json
import os

import pytest

from swift.common.hashing import HashPathConfig, HashPathConfigError, hash_path

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'shared',
                        'fixtures', 'swift-2.38')


def _fixture(*parts):
    path = os.path.join(FIXTURES, *parts)
    if not os.path.exists(path):
        pytest.skip('fixtures not present')
    return path


def test_hash_path_matches_swift_placement():
    with open(_fixture('rings', 'placement.json')) as fp:
        placement = json.load(fp)
    config = HashPathConfig(b'pre', b'suf')
    for entry in placement['names']:
        assert hash_path(entry['account'], entry['container'], entry['object'],
                         config=config) == entry['hash']


def test_hash_path_matches_swift_object_layout():
    with open(_fixture('objects', 'layout.json')) as fp:
        layout = json.load(fp)
    config = HashPathConfig.from_swift_conf(_fixture('objects', 'cluster-etc', 'swift.conf'))
    checked = 0
    for obj in layout['objects']:
        assert hash_path(obj['account'], obj['container'], obj['object'],
                         config=config) == obj['hash']
        checked += 1
    assert checked > 10


def test_prefix_goes_before_slash():
    import hashlib
    config = HashPathConfig(b'P', b'S')
    assert hash_path('a', 'c', 'o', config=config) == hashlib.md5(b'P/a/c/oS').hexdigest()
    assert hash_path('a', config=config, raw_digest=True) == hashlib.md5(b'P/aS').digest()


def test_object_without_container_is_an_error():
    with pytest.raises(ValueError):
        hash_path('a', None, 'o')


def test_missing_salts_is_an_error(tmp_path):
    conf = tmp_path / 'swift.conf'
    conf.write_text('[swift-hash]\n')
    with pytest.raises(HashPathConfigError):
        HashPathConfig.from_swift_conf(str(conf))
