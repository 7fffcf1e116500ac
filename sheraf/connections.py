"""Connection contexts: what ``with database.connection():`` opens.

A :class:`ConnectionContext` opens one :class:`ZODB.Connection.Connection`
with its own :class:`ContextTransactionManager`, pushes itself on the
stack of the execution context that opened it (:mod:`sheraf.contexts`),
commits or aborts when the block ends, and gives the connection back. The
:class:`ConnectionPool` of its database bounds how many are open at once.

>>> db = sheraf.Database.get()
>>> with db.connection(commit=True) as connection:
...     connection.root()["sheriff"] = "Wyatt"
...     len(db.pool)
1
>>> len(db.pool)
0
"""

import functools
import sys
from collections.abc import Callable
from typing import Any

import transaction
from ZODB.Connection import Connection

from sheraf import contexts
from sheraf import processes
from sheraf.exceptions import ConnectionAlreadyOpened
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.gates import Gate

#: How long a connection context waits for a free connection, by default.
DEFAULT_OPEN_TIMEOUT = 30.0


class ContextTransactionManager(transaction.TransactionManager):
    """The transaction manager of one connection context.

    Committing or aborting when no transaction was begun (a context that
    only read, or wrote nothing) does nothing, instead of beginning an
    empty transaction to end it at once, which costs more than opening the
    connection did.

    It also holds :attr:`tables`, where the index managers keep what they
    found in the connection (the roots of tables), so that reading an
    instance does not look for its table again: the connection sees other
    transactions' commits only when a transaction begins or ends, and then
    :attr:`tables` is emptied.
    """

    def __init__(self):
        super().__init__()
        #: What the index managers found, by their own keys.
        self.tables = {}

    def begin(self):
        self.tables.clear()
        return super().begin()

    def free(self, txn):
        self.tables.clear()
        super().free(txn)

    def commit(self):
        if self._txn is not None:
            super().commit()

    def abort(self):
        if self._txn is not None:
            super().abort()


class ConnectionPool:
    """The connection contexts open on one database, at most ``size`` at
    once (the database's ``pool_size``): the others wait for a place,
    ``open_timeout`` seconds at most.

    >>> import threading
    >>> pool = ConnectionPool(open_timeout=0.01)
    >>> pool.reset("saloon", size=1)
    >>> ticket = pool.enter()
    >>> def another_thread():
    ...     try:
    ...         pool.enter()
    ...     except sheraf.DatabaseUnavailableException as exc:
    ...         print(exc)
    ...
    >>> thread = threading.Thread(target=another_thread)
    >>> thread.start(); thread.join()
    All 1 connections of database 'saloon' stayed in use for 0.01 s. Raise its pool_size, or close connections sooner.
    >>> pool.leave(ticket)
    """

    def __init__(self, open_timeout: float = DEFAULT_OPEN_TIMEOUT) -> None:
        self.open_timeout = open_timeout
        #: The open :class:`ConnectionContext` objects.
        self.contexts = set()
        self.database_name = None
        self._gate = None

    def __len__(self):
        return len(self.contexts)

    def reset(self, database_name: str, size: int) -> None:
        """The database was (re)opened, as ``database_name``: bound the
        connections open from now on to ``size``. The places taken before
        are given back where they were taken."""
        self.database_name = database_name
        self._gate = Gate(size)

    def enter(self) -> tuple | None:
        """Wait for a place.

        :return: the ticket to :meth:`leave` with (``None`` when the caller
            goes through without a place; see :meth:`sheraf.gates.Gate.enter`).
        :raise DatabaseUnavailableException: when no place came free in time.
        """
        gate = self._gate
        try:
            ticket = gate.enter(self.open_timeout)
        except TimeoutError:
            raise DatabaseUnavailableException(
                f"All {gate.size} connections of database "
                f"{self.database_name!r} stayed in use for "
                f"{self.open_timeout:g} s. Raise its pool_size, or close "
                "connections sooner."
            ) from None
        return None if ticket is None else (gate, ticket)

    def leave(self, ticket: tuple | None) -> None:
        """Give back the place of a ticket from :meth:`enter`."""
        if ticket is not None:
            gate, gate_ticket = ticket
            gate.leave(gate_ticket)


class ConnectionContext:
    """One connection context: what ``with`` gets from
    :meth:`~sheraf.databases.Database.connection` and
    :func:`~sheraf.databases.connection`, on ``database``, or, when it is
    ``None``, on the database named ``database_name`` when the block begins.

    Its ``commit`` flag may change inside the block: it says whether the
    block's end commits (when no exception is raised) or aborts.

    It also decorates a function, which then runs in a connection context of
    its own at each call:

    >>> @sheraf.connection(commit=True)
    ... def hire(name):
    ...     sheraf.Database.current_connection().root()["deputy"] = name
    ...
    >>> hire("Doc")
    >>> with sheraf.connection() as connection:
    ...     connection.root()["deputy"]
    'Doc'
    """

    __slots__ = (
        "database",
        "database_name",
        "commit",
        "cache_minimize",
        "reuse",
        "connection",
        "location",
        "_stack",
        "_ticket",
        "_reused",
    )

    def __init__(
        self,
        database: Any = None,
        commit: bool = False,
        cache_minimize: bool = False,
        reuse: bool = False,
        database_name: str | None = None,
    ) -> None:
        self.database = database
        self.database_name = database_name
        self.commit = commit
        self.cache_minimize = cache_minimize
        self.reuse = reuse
        self.connection = None
        self._ticket = None

    def __enter__(self) -> Connection:
        return self.open(depth=2)

    def __exit__(self, exc_type, exc_value, traceback) -> bool:
        self.close(commit=self.commit and exc_type is None)
        return False

    def __call__(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def in_a_connection_context(*args, **kwargs):
            with ConnectionContext(
                self.database,
                self.commit,
                self.cache_minimize,
                self.reuse,
                self.database_name,
            ):
                return function(*args, **kwargs)

        return in_a_connection_context

    def open(self, depth: int = 1) -> Connection:
        """Open the connection (or, with ``reuse``, find the one the caller
        has open on this database) and return it. ``depth`` says which
        frame, above this one, opened it, for error messages."""
        database = self.database
        if database is None:
            database = self.database = processes.registry.database(self.database_name)
        database.check_usable()
        stack = contexts.stack_here()
        self._reused = False
        if self.reuse:
            for context in reversed(stack):
                if context.database is database:
                    self._reused = True
                    self.connection = context.connection
                    return self.connection

        caller = sys._getframe(depth)
        self.location = (caller.f_code.co_filename, caller.f_lineno)
        if stack and not database.nestable:
            raise ConnectionAlreadyOpened(
                f"{stack[-1].describe()} is still open in this "
                f"{stack.owner_description}, and database "
                f"{database.name!r} is not nestable."
            )

        pool = database.pool
        if not (stack and any(c.database is database for c in stack)):
            self._ticket = pool.enter()
        manager = ContextTransactionManager()
        try:
            self.connection = database.db.open(transaction_manager=manager)
            storage = database.storage
            if getattr(storage, "server_sync", False) and storage.is_connected():
                # ZEO tells a client of other clients' commits asynchronously:
                # a round trip to the server makes this context see every
                # transaction acknowledged before it opened. (Disconnected,
                # the client reads its cache, as ZEO does.)
                self.connection.newTransaction(None, sync=True)
        except BaseException:
            _close_half_opened(database.db, manager)
            self._release()
            raise
        self._stack = stack
        stack.push(self)
        pool.contexts.add(self)
        return self.connection

    def close(self, commit: bool) -> None:
        """Commit (when ``commit``) or abort, then close the connection and
        forget it. A reused connection is left to the context that opened
        it."""
        if self._reused:
            return
        if self.database.forked_from is not None:
            # The process forked inside the block: the connection, and its
            # storage, are the parent's. Leave them alone.
            self._forget()
            if commit:
                self.database.check_usable()  # ForkedDatabaseException
            return
        manager = self.connection.transaction_manager
        try:
            if commit:
                manager.commit()
            else:
                manager.abort()
        except BaseException:
            self.discard()
            raise
        self._close_connection()

    def discard(self) -> None:
        """Abort and close this connection, and forget it."""
        try:
            if self.connection.opened:
                self.connection.transaction_manager.abort()
        finally:
            self._close_connection()

    def _close_connection(self):
        connection = self.connection
        try:
            if connection.opened:
                if self.cache_minimize:
                    connection.cacheMinimize()
                connection.close()
        finally:
            self._forget()

    def _forget(self):
        self._stack.remove(self)
        self.database.pool.contexts.discard(self)
        self._release()

    def describe(self) -> str:
        filename, line = self.location
        return (
            f"The connection to database {self.database.name!r} opened at "
            f"{filename}:{line}"
        )

    def _release(self):
        if self._ticket is not None:
            ticket, self._ticket = self._ticket, None
            self.database.pool.leave(ticket)


def _close_half_opened(db, manager):
    """Close the connection of ``db`` that failed to open with ``manager``.

    ZODB's ``Connection.open`` marks a connection open, then catches up with
    the storage: when that fails (a server that does not answer), the
    connection is neither usable nor back in the pool, and closing the
    database would later fail on it.
    """
    for half_opened in list(db.pool.all):
        if half_opened.transaction_manager is manager and half_opened.opened:
            manager.registerSynch(half_opened)
            try:
                half_opened.close()
            except Exception:  # the storage failing again: the first error says it
                pass
