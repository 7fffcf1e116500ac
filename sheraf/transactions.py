"""Run a function in a transaction, again when it conflicts.

>>> class Saloon(sheraf.Model):
...     table = "transactions_saloons"
...     drinks = sheraf.IntegerAttribute()
...
>>> with sheraf.connection(commit=True):
...     saloon = Saloon.create()
...
>>> def serve(saloon_id):
...     saloon = Saloon.read(saloon_id)
...     saloon.drinks = saloon.drinks + 1
...
>>> with sheraf.connection():
...     sheraf.attempt(serve, args=(saloon.id,))
...     Saloon.read(saloon.id).drinks
1
"""

import contextlib
import functools
import logging
import random
import sys
import time

import greenlet
from ZODB.POSException import ConflictError

from sheraf import contexts
from sheraf.databases import Database
from sheraf.exceptions import NotConnectedException

ATTEMPTS = 5
logger = logging.getLogger(__name__)


def backoff(nb_attempt):
    """Wait before attempt ``nb_attempt + 2``: a random delay that doubles
    with each failure, at most 0.1 s, and lets other greenlets run."""
    cooperative_sleep(random.uniform(0, min(0.1, 0.002 * 2**nb_attempt)))


#: How long a unit of work waits for its turn to try again, at most.
RETRY_TURN_TIMEOUT = 2.0


class RetryLane:
    """The turn of one unit of work to try again after a conflict.

    Conflicting transactions that all try again at once mostly conflict
    again. After a conflict, a unit of work waits for its turn on the object
    that conflicted (one retry at a time per object, in each process), and
    keeps it for its next attempts; it waits ``RETRY_TURN_TIMEOUT`` at most,
    then tries anyway. Before each retry, the storage catches up with its
    server: a ZEO client learns of other clients' commits through
    invalidation messages that may still be on their way, and reading
    without them would only conflict again.
    """

    def __init__(self, database):
        self.database = database
        self.turn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._leave()

    def let_retries_pass(self, timeout=0.02):
        """Before a first attempt: while other units of work try again after
        a conflict, let them go first, for ``timeout`` seconds at most."""
        self.database._retry_lanes.wait_until_empty(timeout)

    def wait_turn(self, conflict):
        """After ``conflict``: wait for (or keep) the turn to try again."""
        key = getattr(conflict, "oid", None)
        if self.turn is not None and self.turn[0] != key:
            self._leave()
        if self.turn is None:
            try:
                self.turn = self.database._retry_lanes.enter(key, RETRY_TURN_TIMEOUT)
            except TimeoutError:
                pass  # try again without a turn rather than not at all
        ping = getattr(self.database.storage, "ping", None)
        if ping is not None:
            ping()

    def _leave(self):
        if self.turn is not None:
            turn, self.turn = self.turn, None
            self.database._retry_lanes.leave(turn)


def cooperative_sleep(seconds):
    """:func:`time.sleep`, or :func:`gevent.sleep` in a gevent greenlet when
    gevent has not patched :mod:`time`."""
    gevent = sys.modules.get("gevent")
    if gevent is not None and isinstance(greenlet.getcurrent(), gevent.Greenlet):
        gevent.sleep(seconds)
    else:
        time.sleep(seconds)


def attempt(
    function,
    attempts=ATTEMPTS,
    commit=lambda: True,
    log_exceptions=True,
    args=None,
    kwargs=None,
    also_except=None,
    on_failure=backoff,
):
    """Run ``function(*args, **kwargs)`` in the current connection and commit.
    When the commit conflicts with another transaction, abort and run it
    again, up to ``attempts`` times; then the last
    :class:`~ZODB.POSException.ConflictError` is raised.

    The current connection is the innermost one of the calling thread or
    greenlet, whatever its database; without one, a connection to the
    default database is opened for the time of the call.

    :param commit: a function that says whether to commit (``True``) or
        abort (``False``) after ``function`` ran.
    :param log_exceptions: log each conflict before trying again.
    :param also_except: exception classes that also cause another attempt.
    :param on_failure: called with the number of the failed attempt before
        the next one; by default a short random wait (:func:`backoff`).
    :return: what ``function`` returned.
    """
    args = args or ()
    kwargs = kwargs or {}
    retry_on = (ConflictError,)
    if also_except:
        retry_on += also_except if isinstance(also_except, tuple) else (also_except,)

    stack = contexts.current_stack()
    if stack:
        database = stack[-1].database
        opened = contextlib.nullcontext(stack[-1].connection)
    else:
        database = Database.get()
        opened = database.connection()
    with opened as connection, RetryLane(database) as lane:
        manager = connection.transaction_manager
        lane.let_retries_pass()
        for nb_attempt in range(attempts):
            manager.begin()
            try:
                result = function(*args, **kwargs)
                if commit():
                    manager.commit()
                else:
                    manager.abort()
                return result
            except retry_on as exc:
                manager.abort()
                if nb_attempt == attempts - 1:
                    raise
                if log_exceptions:
                    logger.info(
                        "Attempt %d of %d of %s failed with %r; trying again.",
                        nb_attempt + 1,
                        attempts,
                        getattr(function, "__qualname__", function),
                        exc,
                    )
                if on_failure:
                    on_failure(nb_attempt)
                lane.wait_turn(exc)
            except BaseException:
                manager.abort()
                raise


def commit(f=None):
    """Commit the current transaction, or, as a decorator, run the decorated
    function with :func:`attempt`.

    >>> class Cowboy(sheraf.Model):
    ...     table = "commit_cowboys"
    ...     dead = sheraf.BooleanAttribute(default=False)
    ...
    >>> @sheraf.commit
    ... def fight(winner, loser):
    ...     loser.dead = True
    ...
    >>> with sheraf.connection(commit=True):
    ...     winner, loser = Cowboy.create(), Cowboy.create()
    ...
    >>> with sheraf.connection():
    ...     fight(winner, loser)
    ...
    >>> with sheraf.connection():
    ...     Cowboy.read(loser.id).dead
    True
    """
    if f is None:
        connection = Database.current_connection()
        if connection is None:
            raise NotConnectedException(
                "sheraf.commit() commits the transaction of the current "
                "connection, and this thread or greenlet has none open."
            )
        connection.transaction_manager.commit()
        return None

    @functools.wraps(f)
    def attempt_f(*args, **kwargs):
        return attempt(f, args=args, kwargs=kwargs)

    return attempt_f
