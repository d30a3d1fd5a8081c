"""S3ApiConfig: Swift's defaults, bad values, the conf sample and /info."""

import dataclasses
import json
import os
import re

import pytest

from swift.common.config import ConfigError
from swift.common.middleware.s3api import S3ApiConfig, S3ApiMiddleware, filter_factory
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..', 'etc',
                      'proxy-server.conf-sample')
GOLDEN_INFO = '/work/shared/fixtures/swift-2.38/wire/info.pretty.json'


def test_defaults_are_swifts():
    config = S3ApiConfig.from_conf({})
    assert (config.location, config.max_bucket_listing, config.max_parts_listing,
            config.max_multi_delete_objects, config.s3_acl, config.storage_domain,
            config.min_segment_size, config.allowable_clock_skew) == (
        'us-east-1', 1000, 1000, 1000, False, '', 5242880, 900)


def test_bad_number_names_the_option():
    with pytest.raises(ConfigError) as excinfo:
        filter_factory({}, max_bucket_listing='lots')
    assert 'max_bucket_listing' in str(excinfo.value)


def test_sample_lists_every_option_with_its_default():
    with open(SAMPLE) as fp:
        text = fp.read()
    section = text.split('[filter:s3api]', 1)[1].split('\n[', 1)[0]
    listed = dict(re.findall(r'^# (\w+) = ?(\S*)', section, re.M))
    expected = {}
    for field in dataclasses.fields(S3ApiConfig):
        value = field.default
        expected[field.name] = str(value).lower() if isinstance(value, bool) else str(value)
    assert listed == expected


def test_info_section_matches_swift_2_38s_golden_info():
    if not os.path.exists(GOLDEN_INFO):
        pytest.skip('no golden files here')
    with open(GOLDEN_INFO) as fp:
        golden = json.load(fp)['s3api']
    proxy = FakeSwift()
    proxy.info_registry = InfoRegistry()
    # the golden cluster ran with s3_acl = true; our option only shows up in /info
    S3ApiMiddleware(proxy, {'s3_acl': 'true'})
    assert proxy.info_registry.sections['s3api'] == golden
