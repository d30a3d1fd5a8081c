"""Access to the Swift 2.38 golden fixtures (../shared/fixtures/swift-2.38 beside the repo).

Tests that need them call :func:`fixture_path`, which skips when the shared folder is
absent (a bare clone); CI runs with it present.
"""

import base64
import json
import os

import pytest

FIXTURES = os.environ.get('SWIFT_FIXTURES_DIR') or os.path.join(
    os.path.dirname(__file__), '..', '..', '..', '..', 'shared', 'fixtures', 'swift-2.38')
HASH_PREFIX = b'realswift-prefix'
HASH_SUFFIX = b'realswift-suffix'


def fixture_path(*parts):
    path = os.path.join(FIXTURES, *parts)
    if not os.path.exists(path):
        pytest.skip('fixtures not present')
    return path


def load_json(*parts):
    with open(fixture_path(*parts)) as fp:
        return json.load(fp)


def b64(text):
    return base64.b64decode(text)


def object_files(layout=None):
    """Yield (object entry, file entry, xattrs as {name: bytes}) for every file,
    resolving ``xattrs_same_as`` references."""
    layout = layout or load_json('objects', 'layout.json')
    by_relpath = {}
    for obj in layout['objects']:
        key = '%s/%s/%s' % (obj['node'], obj['device'], obj['relpath'])
        by_relpath[key] = obj
    for obj in layout['objects']:
        for finfo in obj['files']:
            if 'xattrs_b64' in finfo:
                xattrs = {k: b64(v) for k, v in finfo['xattrs_b64'].items()}
            else:
                source = by_relpath[finfo['xattrs_same_as']]
                same = [f for f in source['files'] if f['name'] == finfo['name']][0]
                xattrs = {k: b64(v) for k, v in same['xattrs_b64'].items()}
            yield obj, finfo, xattrs
