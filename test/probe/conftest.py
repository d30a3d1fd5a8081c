import pytest

from test.helpers.cluster import SaioCluster


@pytest.fixture(scope='module')
def probe_cluster(tmp_path_factory):
    """A fresh all-in-one per probe module: these tests stop and start processes."""
    saio = SaioCluster(str(tmp_path_factory.mktemp('probe')))
    try:
        saio.up()
        yield saio
    finally:
        saio.down()
