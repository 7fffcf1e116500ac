"""One logger for every transaction under gevent.

The :mod:`transaction` package logs to a logger named after the thread
that runs the transaction. Under gevent a thread is a greenlet, and loggers
are never freed: a server would make one per request. Once gevent has
patched :mod:`threading`, :func:`share_one_logger` makes transactions log to
one logger, ``txn``.
"""

import logging

import transaction._transaction


def share_one_logger() -> None:
    """Make every transaction log to the ``txn`` logger."""
    transaction._transaction._LOGGER = logging.getLogger("txn")
