# Transaction ids as Swift makes them: 'tx' + 21 hex chars of a uuid4 + '-' + the
# request time as 10 hex digits, plus '-' and the client's quoted X-Trans-Id-Extra (max
# 32 chars).
"""Transaction id generation (Swift's ``generate_trans_id``)."""

import time
import uuid
from urllib.parse import quote

TRANS_ID_EXTRA_CHARS_MAX = 32   # Swift truncates X-Trans-Id-Extra to this


def generate_trans_id(suffix='', now=None):
    """A new transaction id.

    :param suffix: already-quoted text to append (e.g. from X-Trans-Id-Extra).
    :param now: epoch seconds (default: the current time).
    :returns: str like ``tx3a1f...e9-0069cb1a2f``.
    """
    if now is None:
        now = time.time()
    return 'tx%s-%010x%s' % (uuid.uuid4().hex[:21], int(now), suffix)


def trans_id_suffix(extra):
    """The suffix for a client's ``X-Trans-Id-Extra`` value ('' when absent):
    ``'-' + value[:32]``, URL-quoted (Swift's catch_errors + generate_trans_id)."""
    if not extra:
        return ''
    return quote('-' + extra[:TRANS_ID_EXTRA_CHARS_MAX])


def trans_id_time(trans_id):
    """Epoch seconds encoded in a transaction id, or None if it has none."""
    try:
        return int(trans_id[24:34], 16)
    except (TypeError, ValueError):
        return None
