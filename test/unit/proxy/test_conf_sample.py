"""etc/proxy-server.conf-sample names every proxy option and a section per filter."""

import configparser
import dataclasses
import os
import re

from swift.proxy.config import ProxyConfig

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                      'proxy-server.conf-sample')
SETUP_CFG = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'setup.cfg')


def _text():
    with open(SAMPLE) as fp:
        return fp.read()


def test_every_proxy_option_is_documented_with_its_default():
    text = _text()
    for field in dataclasses.fields(ProxyConfig):
        if field.name == 'swift_dir':
            continue
        match = re.search(r'^# %s = (.*?)\s*(#|$)' % field.name, text, re.M)
        assert match, field.name
    for name in ('cors_allow_origin', 'expose_info', 'admin_key'):
        assert re.search(r'^# %s = ' % name, text, re.M), name
    assert re.search(r'^# conn_timeout = 0.5\b', text, re.M)
    assert re.search(r'^# client_timeout = 60\b', text, re.M)


def test_each_pipeline_filter_has_a_section_with_a_registered_egg():
    text = _text()
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    with open(SETUP_CFG) as fp:
        entry_points = fp.read()
    pipelines = [parser.get('pipeline:main', 'pipeline')]
    pipelines += re.findall(r'^# pipeline = (.*)$', text, re.M)
    assert len(pipelines) == 2
    for pipeline in pipelines:
        names = pipeline.split()
        assert names[-1] == 'proxy-server'
        for name in names[:-1]:
            use = parser.get('filter:' + name, 'use')
            egg = use.split('#', 1)[1]
            assert re.search(r'^\s+%s = swift\.' % egg, entry_points, re.M), egg
    assert parser.get('app:proxy-server', 'use') == 'egg:swift#proxy'
    for section in parser.sections():
        for key, value in parser.items(section):
            assert '#' not in value or key == 'use', (section, key, value)
