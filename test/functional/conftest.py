import pytest

from test.helpers.cluster import SaioCluster, config_file_cluster


@pytest.fixture(scope='session')
def cluster(tmp_path_factory):
    """The cluster functional tests drive: test.conf's, or our own all-in-one."""
    external = config_file_cluster()
    if external is not None:
        external.authenticate()
        yield external
        return
    saio = SaioCluster(str(tmp_path_factory.mktemp('saio')))
    try:
        saio.up()
        yield saio
    finally:
        saio.down()
