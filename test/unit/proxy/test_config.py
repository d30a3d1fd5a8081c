"""ProxyConfig and transaction ids."""

import re

import pytest

from swift.common.config import ConfigError
from swift.proxy import trans_id
from swift.proxy.config import ProxyConfig, parse_request_node_count


def test_defaults_are_swifts():
    config = ProxyConfig.from_conf({})
    assert (config.conn_timeout, config.node_timeout, config.client_timeout) == \
        (0.5, 10.0, 60.0)
    assert config.recheck_account_existence == 60.0
    assert config.recheck_container_existence == 60.0
    assert config.account_autocreate is False
    assert config.allow_account_management is False
    assert config.node_count(3) == 6
    assert config.sorting_method == 'shuffle'


def test_options_parsed():
    config = ProxyConfig.from_conf({'node_timeout': '3', 'account_autocreate': 'yes',
                                    'request_node_count': '4',
                                    'disallowed_sections': 'a, b'})
    assert config.node_timeout == 3.0
    assert config.account_autocreate is True
    assert config.node_count(3) == 4
    assert config.disallowed_sections == ('a', 'b')


@pytest.mark.parametrize('conf', [{'node_timeout': 'soon'}, {'conn_timeout': '-1'},
                                  {'account_autocreate': 'maybe'},
                                  {'request_node_count': '2 * disks'},
                                  {'sorting_method': 'random'}])
def test_bad_options_fail_fast_naming_the_option(conf):
    with pytest.raises(ConfigError) as caught:
        ProxyConfig.from_conf(conf)
    assert caught.value.option == next(iter(conf))


def test_request_node_count_forms():
    assert parse_request_node_count('3 * replicas', 2) == 6
    assert parse_request_node_count('7', 3) == 7


def test_trans_id_format():
    tx = trans_id.generate_trans_id('', now=0x6b0ca98f)
    assert re.match(r'^tx[0-9a-f]{21}-006b0ca98f$', tx)
    assert trans_id.trans_id_time(tx) == 0x6b0ca98f
    from urllib.parse import quote
    extra = 'a b/c' * 10
    assert trans_id.trans_id_suffix(extra) == quote('-' + extra[:32])
    assert trans_id.trans_id_suffix(None) == ''
