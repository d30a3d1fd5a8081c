# Owns the account replicator: Swift's DB replication (swift.common.db_replicator)
# applied to account DBs under <dev>/accounts, over the account ring.
"""Account replicator daemon: :class:`AccountReplicator` and ``main``."""

from swift.account.backend import AccountBroker
from swift.common.daemon import daemon_main
from swift.common.db_replicator import Replicator


class AccountReplicator(Replicator):
    """Replicates account DBs (``[account-replicator]``; bind_port default 6202)."""

    server_type = 'account'
    datadir = 'accounts'
    broker_class = AccountBroker
    default_port = 6202


def main(argv=None):
    """``swift-account-replicator CONFIG [once] [-v] [-d DEVS] [-p PARTS]``."""
    return daemon_main(AccountReplicator, 'account-replicator', argv)
