# Owns the container auditor: the DB auditor pass (swift/common/db_auditor.py) over
# <dev>/containers.
"""Container auditor: :class:`ContainerAuditor` and ``swift-container-auditor``."""

from swift.common.daemon import daemon_main
from swift.common.db_auditor import DatabaseAuditor
from swift.container.backend import ContainerBroker


class ContainerAuditor(DatabaseAuditor):
    """Audits the local container DBs (``[container-auditor]``,
    containers_per_second)."""

    server_type = 'container'
    broker_class = ContainerBroker


def main(argv=None):
    """``swift-container-auditor CONFIG [-v] [-o|once] [-d DEVS]``.
    :returns: exit status."""
    return daemon_main(ContainerAuditor, 'container-auditor', argv)
