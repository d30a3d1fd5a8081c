# Owns the account auditor: the DB auditor pass (swift/common/db_auditor.py) over
# <dev>/accounts, plus Swift's account check that the per-policy stats add up to the
# account totals.
"""Account auditor: :class:`AccountAuditor` and ``swift-account-auditor``."""

from swift.account.backend import AccountBroker
from swift.common.daemon import daemon_main
from swift.common.db_auditor import DatabaseAuditor, DatabaseAuditorError

_TOTAL_KEYS = ('container_count', 'object_count', 'bytes_used')


class InvalidAccountInfo(DatabaseAuditorError):
    """The account totals differ from the sum of its per-policy stats."""


class AccountAuditor(DatabaseAuditor):
    """Audits the local account DBs (``[account-auditor]``, accounts_per_second)."""

    server_type = 'account'
    broker_class = AccountBroker

    def _audit(self, info, broker):
        """:returns: :class:`InvalidAccountInfo` when a per-policy sum differs from
        the account total, else None."""
        totals = dict.fromkeys(_TOTAL_KEYS, 0)
        for stats in broker.get_policy_stats().values():
            for key in _TOTAL_KEYS:
                totals[key] += stats.get(key, 0)
        for key in _TOTAL_KEYS:
            if totals[key] != info[key]:
                return InvalidAccountInfo(
                    'The total %s for the container (%s) does not match the sum of %s '
                    'across policies (%s)' % (key, info[key], key, totals[key]),
                    broker.db_file)
        return None


def main(argv=None):
    """``swift-account-auditor CONFIG [-v] [-o|once] [-d DEVS]``. :returns: exit status."""
    return daemon_main(AccountAuditor, 'account-auditor', argv)
