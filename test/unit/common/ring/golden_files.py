"""Paths of the Swift 2.38 ring fixtures copied into this directory.

They were written by real Swift 2.38.3 (see shared/fixtures/swift-2.38/README.md,
section 1): object.builder, object.ring.gz (v1), object-v2.ring.gz, placement.json
and the swift-ring-builder outputs.
"""

import json
import os

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')


def golden_path(name):
    """Absolute path of fixture ``name``."""
    return os.path.join(GOLDEN_DIR, name)


def golden_text(name):
    with open(golden_path(name), encoding='utf-8') as fp:
        return fp.read()


def placement():
    """The parsed placement.json."""
    with open(golden_path('placement.json'), encoding='utf-8') as fp:
        return json.load(fp)
