# Owns the container replicator: Swift's DB replication (swift.common.db_replicator)
# applied to container DBs under <dev>/containers, over the container ring. Containers
# add to the sync arguments (status_changed_at, object count, policy index) and a
# deleted container is only removed once its last stats reached the account.
"""Container replicator daemon: :class:`ContainerReplicator` and ``main``."""

from swift.common.daemon import daemon_main
from swift.common.db_replicator import Replicator
from swift.container.backend import ContainerBroker

_REPORTED = ('put_timestamp', 'delete_timestamp', 'object_count', 'bytes_used')


class ContainerReplicator(Replicator):
    """Replicates container DBs (``[container-replicator]``; bind_port default 6201)."""

    server_type = 'container'
    datadir = 'containers'
    broker_class = ContainerBroker
    default_port = 6201

    def gather_sync_args(self, info):
        """Swift's container sync args: the base seven plus status_changed_at, the
        object count and the storage policy index."""
        return super().gather_sync_args(info) + [
            info['status_changed_at'], info['count'], info['storage_policy_index']]

    def report_up_to_date(self, info):
        """True when the account has the container's final stats."""
        return all(str(info.get('reported_' + key)) == str(info.get(key))
                   for key in _REPORTED)


def main(argv=None):
    """``swift-container-replicator CONFIG [once] [-v] [-d DEVS] [-p PARTS]``."""
    return daemon_main(ContainerReplicator, 'container-replicator', argv)
