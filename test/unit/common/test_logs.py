"""The transaction id a log line carries belongs to the greenthread that logs it."""

import logging

from swift.common import concurrency
from swift.common.logs import SwiftLogAdapter


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_concurrent_greenthreads_keep_their_own_txn_id():
    base = logging.getLogger('test-logs-txn')
    base.propagate = False
    capture = Capture()
    base.addHandler(capture)
    logger = SwiftLogAdapter(base, 'proxy-server')
    started = concurrency.Event()

    def request(txn, wait_first):
        logger.txn_id = txn
        if wait_first:
            started.wait()          # the other request sets its id meanwhile
        else:
            started.send(True)
            concurrency.sleep(0)
        logger.error('handling %s', txn)
    first = concurrency.spawn(request, 'tx-one', True)
    second = concurrency.spawn(request, 'tx-two', False)
    first.wait()
    second.wait()
    assert sorted(capture.lines) == ['handling tx-one (txn: tx-one)',
                                     'handling tx-two (txn: tx-two)']


def test_a_new_greenthread_starts_without_a_txn_id():
    logger = SwiftLogAdapter(logging.getLogger('test-logs-new'), 'x')
    logger.txn_id = 'tx-parent'
    assert concurrency.spawn(lambda: logger.txn_id).wait() is None
    assert logger.txn_id == 'tx-parent'
