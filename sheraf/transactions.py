"""Run a unit of work in a transaction, again when it conflicts.

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

Every retry of sheraf (:func:`attempt`, :func:`commit` and the WSGI
middleware of :mod:`sheraf.green.wsgi`) goes through :class:`Attempts`,
which has the shape of :meth:`transaction.TransactionManager.attempts`: what
is retried (:func:`is_retryable`), the wait between attempts
(:func:`backoff`), the log of each failure and the retry lanes are decided
here, once.
"""

import contextlib
import functools
import logging
import os
import random
import time
import weakref
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

from transaction.interfaces import TransientError

from sheraf import contexts
from sheraf import cooperation
from sheraf import storages
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.gates import Lanes
from sheraf.processes import registry

ATTEMPTS = 5
logger = logging.getLogger(__name__)

#: How long a unit of work waits for its turn to try again, at most.
RETRY_TURN_TIMEOUT = 2.0


def is_retryable(exc: BaseException) -> bool:
    """Whether a unit of work that failed with ``exc`` may succeed if it runs
    again: a :class:`transaction.interfaces.TransientError` (a
    :class:`~ZODB.POSException.ConflictError`, a storage disconnected during
    a commit...). A storage that cannot be reached
    (:class:`~sheraf.exceptions.DatabaseUnavailableException`) is not: it
    already waited its own timeout, and waiting again would only delay the
    answer."""
    return isinstance(exc, TransientError) and not isinstance(
        exc, DatabaseUnavailableException
    )


def backoff(attempt_index: int) -> None:
    """Wait after attempt ``attempt_index`` (0 for the first) failed: a
    random delay that doubles with each failure, at most 0.1 s, and lets
    other greenlets run."""
    cooperation.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt_index)))


class Attempts:
    """The attempts of one unit of work on ``database``, ``number`` at most:
    iterate over them and run each in a ``with`` block, as with
    :meth:`transaction.TransactionManager.attempts`. A block that fails with
    a retryable exception (:func:`is_retryable`, or one of ``also_except``)
    is followed by another attempt, after ``on_failure(attempt_index)``
    and a turn in the retry lane of what conflicted; the last one's
    exception goes through. The loop ends after the first block that does
    not fail.

    Each failure is logged as a warning, with its traceback, unless
    ``log_exceptions`` is false; the exception gets an ``extra_info``
    attribute that says how long each attempt took.

    >>> from ZODB.POSException import ConflictError
    >>> db = sheraf.Database.get()
    >>> tries = []
    >>> for attempt in Attempts(db, 3, on_failure=None, log_exceptions=False):
    ...     with attempt:
    ...         tries.append(attempt.index)
    ...         if len(tries) < 2:
    ...             raise ConflictError()
    ...
    >>> tries
    [0, 1]
    """

    def __init__(
        self,
        database: Any,
        number: int = ATTEMPTS,
        also_except: type | tuple[type, ...] = (),
        on_failure: Callable[[int], Any] | None = backoff,
        log_exceptions: bool = True,
        name: str | None = None,
    ):
        if number < 1:
            raise ValueError(f"attempts must be 1 or more, not {number!r}")
        self.database = database
        self.number = number
        self.also_except = also_except
        self.on_failure = on_failure
        self.log_exceptions = log_exceptions
        self.name = name
        #: What each failed attempt took, one line each.
        self.history = []

    def __iter__(self) -> Iterator["Attempt"]:
        lane = RetryLane(self.database)
        try:
            lane.let_retries_pass()
            for index in range(self.number):
                attempt = Attempt(self, index)
                yield attempt
                if attempt.failure is None:
                    return
                if self.on_failure:
                    self.on_failure(index)
                lane.wait_turn(attempt.failure)
        finally:
            lane.leave()

    def retries(self, exc: BaseException) -> bool:
        """Whether a failure with ``exc`` is followed by another attempt (if
        one is left)."""
        return is_retryable(exc) or isinstance(exc, self.also_except)


class Attempt:
    """One attempt of :class:`Attempts`: a context manager, which notes how
    long it took and whether it failed."""

    __slots__ = ("attempts", "index", "failure", "started", "commit_started")

    def __init__(self, attempts: Attempts, index: int):
        self.attempts = attempts
        self.index = index
        self.failure = None
        self.started = None
        self.commit_started = None

    def __enter__(self) -> "Attempt":
        self.started = time.perf_counter()
        return self

    def committing(self) -> None:
        """Note that the work is done and the commit begins, so that the
        log tells the commit's time apart."""
        self.commit_started = time.perf_counter()

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc is None or not self.attempts.retries(exc):
            return False
        self._note(exc)
        if self.index == self.attempts.number - 1:
            return False
        self.failure = exc
        return True

    def _note(self, exc):
        attempts = self.attempts
        now = time.perf_counter()
        total_time = now - self.started
        extra = {
            "attempt": self.index + 1,
            "exception": exc,
            "total_time": total_time,
            "stack": True,  # Sentry: show the whole stack
        }
        line = (
            f"{attempts.name or 'The unit of work'}: attempt {self.index + 1} of "
            f"{attempts.number} failed after {total_time:.5f} s"
        )
        if self.commit_started is not None:
            extra["commit_time"] = commit_time = now - self.commit_started
            line += f" ({commit_time:.5f} s of it committing)"
        line += f" with {exc!r}"
        attempts.history.append(line + "\n")
        exc.extra_info = "".join(attempts.history)
        if attempts.log_exceptions:
            logger.warning("%s", line, exc_info=exc, extra=extra)


class RetryLane:
    """The turn of one unit of work to try again after a conflict.

    Conflicting transactions that all try again at once mostly conflict
    again. After a conflict, a unit of work waits for its turn on the object
    that conflicted (one retry at a time per object, in each process), and
    keeps it for its next attempts; it waits ``RETRY_TURN_TIMEOUT`` at most,
    then tries anyway. Before each retry, the storage catches up with its
    server (:func:`sheraf.storages.catch_up`): reading without the other
    clients' latest commits would only conflict again.
    """

    __slots__ = ("database", "lanes", "turn")

    def __init__(self, database):
        self.database = database
        self.lanes = lanes_of(database)
        self.turn = None

    def let_retries_pass(self, timeout: float = 0.02) -> None:
        """Before a first attempt: while other units of work try again after
        a conflict, let them go first, for ``timeout`` seconds at most."""
        self.lanes.wait_until_empty(timeout)

    def wait_turn(self, conflict: BaseException) -> None:
        """After ``conflict``: wait for (or keep) the turn to try again."""
        key = getattr(conflict, "oid", None)
        if self.turn is not None and self.turn[0] != key:
            self.leave()
        if self.turn is None:
            try:
                self.turn = self.lanes.enter(key, RETRY_TURN_TIMEOUT)
            except TimeoutError:
                pass  # try again without a turn rather than not at all
        storages.catch_up(self.database.storage)

    def leave(self) -> None:
        """Give the turn back, if held."""
        if self.turn is not None:
            turn, self.turn = self.turn, None
            self.lanes.leave(turn)


_lanes = weakref.WeakKeyDictionary()


def lanes_of(database) -> Lanes:
    """The retry lanes of ``database``: one per conflicting object. They are
    made again in a forked process, and once gevent has patched
    :mod:`threading`, so that waiting for a turn is cooperative."""
    made_for = (os.getpid(), cooperation.lock_factory())
    entry = _lanes.get(database)
    if entry is None or entry[0] != made_for:
        entry = _lanes[database] = (made_for, Lanes())
    return entry[1]


def attempt(
    function: Callable,
    attempts: int = ATTEMPTS,
    commit: Callable[[], bool] = lambda: True,
    log_exceptions: bool = True,
    args: tuple | None = None,
    kwargs: dict | None = None,
    also_except: type | tuple[type, ...] | None = None,
    on_failure: Callable[[int], Any] | None = backoff,
) -> Any:
    """Run ``function(*args, **kwargs)`` in the current connection and commit.
    When it fails with a retryable exception (:func:`is_retryable`: a
    :class:`~ZODB.POSException.ConflictError` with another transaction, for
    instance), abort and run it again, up to ``attempts`` times; then the
    last exception is raised, with an ``extra_info`` attribute that says how
    long each attempt took.

    The current connection is the innermost one of the calling thread or
    greenlet, whatever its database; without one, a connection to the
    default database is opened for the time of the call.

    :param commit: a function that says whether to commit (``True``) or
        abort (``False``) after ``function`` ran.
    :param log_exceptions: log each failed attempt, as a warning with its
        traceback and, in ``extra``: ``attempt``, ``exception``,
        ``total_time``, ``stack`` and, when the commit failed,
        ``commit_time``.
    :param also_except: exception classes that also cause another attempt.
    :param on_failure: called with the index of the failed attempt (0 for
        the first) before the next one; by default a short random wait
        (:func:`backoff`).
    :return: what ``function`` returned.
    """
    context = contexts.current_context()
    if context is None:
        database = registry.database()
        opened = database.connection()
    else:
        database = context.database
        opened = contextlib.nullcontext(context.connection)
    tries = Attempts(
        database,
        attempts,
        also_except=also_except or (),
        on_failure=on_failure,
        log_exceptions=log_exceptions,
        name=getattr(function, "__qualname__", repr(function)),
    )
    with opened as connection:
        manager = connection.transaction_manager
        for try_ in tries:
            with try_:
                manager.begin()
                try:
                    result = function(*(args or ()), **(kwargs or {}))
                    if commit():
                        try_.committing()
                        manager.commit()
                    else:
                        manager.abort()
                except BaseException:
                    manager.abort()
                    raise
    return result


def commit(f: Callable | None = None) -> Callable | None:
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
        context = contexts.current_context(needed_by="sheraf.commit()")
        context.connection.transaction_manager.commit()
        return None

    @functools.wraps(f)
    def attempt_f(*args, **kwargs):
        return attempt(f, args=args, kwargs=kwargs)

    return attempt_f
