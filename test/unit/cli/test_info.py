"""swift-account-info / swift-container-info on Swift 2.38's fixture DBs."""

import os

from swift.cli.info import account_main, container_main

FIXTURES = '/work/shared/fixtures/swift-2.38'
ETC = os.path.join(FIXTURES, 'objects', 'cluster-etc')


def test_container_info(capsys):
    assert container_main(['-d', ETC, os.path.join(FIXTURES, 'dbs',
                                                   'container-AUTH_test-fixtures.db')]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:5] == ['Path: /AUTH_test/fixtures', '  Account: AUTH_test',
                       '  Container: fixtures', '  Deleted: False',
                       '  Container Hash: 6b205f8622cc2c6f82ea61e3e62e1790']
    assert '  Put Timestamp: 2026-11-29T22:08:36.621180 (1795990116.62118)' in out
    assert '  Storage Policy: gold (0)' in out
    assert '  Object Count: 9' in out and '  Bytes Used: 123' in out
    assert '  Chexor: 50713b2f07583b90d1a32ae6b8fceda2' in out
    assert 'No user metadata found in db file' in out
    assert 'Partition\t428' in out
    assert 'Server:Port Device\t127.0.0.1:16011 d2' in out
    assert any(line.startswith('ssh 127.0.0.1 "ls -lah ${DEVICE:-/srv/node*}/d2/containers/'
                               '428/790/6b205f8622cc2c6f82ea61e3e62e1790"') for line in out)


def test_account_info(capsys):
    assert account_main(['-d', ETC, os.path.join(FIXTURES, 'dbs',
                                                 'account-AUTH_test.db')]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ['Path: /AUTH_test', '  Account: AUTH_test', '  Deleted: False',
                       '  Account Hash: 7db3c7e6450a8afe27e35a6017f61dbd']
    assert '  Container Count: 2' in out and '  Object Count: 10' in out
    assert 'Partition\t502' in out


def test_metadata_sections(tmp_path, capsys):
    from swift.container.backend import ContainerBroker
    path = str(tmp_path / 'c.db')
    broker = ContainerBroker(path, account='a', container='c')
    broker.initialize('0000000001.00000', 0)
    broker.update_metadata({'X-Container-Meta-Color': ('blue', '1'),
                            'X-Container-Sysmeta-Thing': ('x', '1'),
                            'X-Container-Read': ('.r:*', '1')})
    assert container_main(['-d', str(tmp_path), '--drop-prefixes', path]) == 0
    out = capsys.readouterr().out.splitlines()
    assert '  X-Container-Read: .r:*' in out
    assert out[out.index('  System Metadata:') + 1] == '    Thing: x'
    assert out[out.index('  User Metadata:') + 1] == '    Color: blue'
    assert not any(line.startswith('Partition') for line in out)    # no ring there


def test_bad_files(tmp_path, capsys):
    assert account_main([str(tmp_path / 'missing.db')]) == 1
    assert capsys.readouterr().out == "DB file doesn't exist\n"
    junk = tmp_path / 'junk.db'
    junk.write_bytes(b'not a database at all' * 50)
    assert container_main([str(junk)]) == 1
    assert capsys.readouterr().out.startswith('Does not appear to be a DB of type "container"')
    assert junk.exists()          # a stray file is never moved to quarantine
    acct = str(tmp_path / 'acct.db')
    from swift.account.backend import AccountBroker
    AccountBroker(acct, account='a').initialize('0000000001.00000')
    assert container_main([acct]) == 1
