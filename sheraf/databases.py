"""Databases, and the connection contexts opened on them.

A :class:`Database` is created once per process and shared by its threads
and greenlets. Each of them works in its own *connection context*, with its
own :class:`ZODB.Connection.Connection` and its own
:class:`transaction.TransactionManager`:

>>> db = sheraf.Database.get()
>>> with sheraf.connection(commit=True) as connection:
...     connection.root()["greeting"] = "howdy"
...
>>> with db.connection() as connection:
...     connection.root()["greeting"]
'howdy'
"""

import inspect
import logging
import os
import random
import sys
import threading
import time

import transaction
import ZODB
from ZODB.DemoStorage import DemoStorage
from ZODB.POSException import ConflictError

from sheraf import contexts
from sheraf import storages
from sheraf.exceptions import ConnectionAlreadyOpened
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.exceptions import ForkedDatabaseException
from sheraf.exceptions import SherafException
from sheraf.gates import Gate
from sheraf.gates import Lanes

_ZODB_DB_SETTINGS = frozenset(inspect.signature(ZODB.DB.__init__).parameters) - {
    "self",
    "storage",
    "databases",
    "storage_args",
}
_SHERAF_SETTINGS = frozenset({"read_only", "open_timeout"})
DEFAULT_OPEN_TIMEOUT = 30.0


class _ProcessRegistry:
    """The databases of this process, by name."""

    def __init__(self):
        self.pid = os.getpid()
        self.databases = {}
        self.zodb_databases = {}
        self.inherited = {}
        self.parent_pid = None
        self.parked = []

    def after_fork_in_child(self):
        for database in self.databases.values():
            database._forked_from = self.pid
        self.inherited.update(self.databases)
        self.parent_pid = self.pid
        self.pid = os.getpid()
        self.databases = {}
        self.zodb_databases = {}

    def missing(self, name):
        message = f"No database named {name!r} in process {self.pid}."
        if name in self.inherited:
            message += (
                f" This process was forked from process {self.parent_pid}, "
                "which had one: databases are not inherited through fork. "
                "Create it again in this process, or call reset() on the "
                "inherited Database object."
            )
        elif self.databases:
            known = ", ".join(repr(known) for known in self.databases)
            message += f" Known databases: {known}."
        else:
            message += " Create one first, with sheraf.Database(uri)."
        return KeyError(message)


_registry = _ProcessRegistry()
os.register_at_fork(after_in_child=_registry.after_fork_in_child)


def _open_storage(open_storage, attempts=5):
    """The storage ``open_storage`` opens.

    A relational storage (RelStorage) creates its tables when it first opens
    a database. Processes doing it at once race, and the losers break a
    unique constraint, or find a table already there: they wait a little
    and try again.
    """
    for nb_attempt in range(attempts):
        try:
            return open_storage()
        except Exception as exc:
            names = {k.__name__ for k in type(exc).__mro__}
            lost_the_race = "IntegrityError" in names or any(
                n.startswith("Duplicate") for n in names
            )
            if not lost_the_race or nb_attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.05, 0.25))


def _open_zodb(storage, settings, attempts=3):
    """A :class:`ZODB.DB` on ``storage``.

    ZODB.DB creates the root object of an empty database. Two processes
    doing it at once on a new ZEO server race, and one of them gets a
    conflict: it catches up with the server and tries again.
    """
    name = settings["database_name"]
    known = _registry.zodb_databases.get(name)
    for nb_attempt in range(attempts):
        try:
            return ZODB.DB(storage, databases=_registry.zodb_databases, **settings)
        except Exception as exc:
            # ZODB.DB names itself in the registry before it creates the
            # root: forget a database that failed, or the name stays taken.
            if _registry.zodb_databases.get(name) is not known:
                del _registry.zodb_databases[name]
            if not isinstance(exc, ConflictError) or nb_attempt == attempts - 1:
                raise
            getattr(storage, "ping", lambda: None)()


def inherited_databases():
    """The databases this process inherited from the process it was forked
    from, and has neither opened again (:meth:`Database.reset`) nor closed."""
    return list(_registry.inherited.values())


class Database:
    """A :class:`ZODB.DB` opened from a URI or a storage, shared by the
    threads and greenlets of one process.

    :param uri: a zodburi URI: ``zeo://host:port``, ``file:///path/Data.fs``,
        ``memory://``... Without ``uri`` or ``storage``, the database lives in
        memory (a :class:`~ZODB.DemoStorage.DemoStorage`).
    :param storage: an opened ZODB storage, instead of ``uri``.
    :param nestable: whether a connection context may be opened inside
        another one of the same thread or greenlet.
    :param db_args: settings: ``database_name`` (``"unnamed"`` by default),
        every :class:`ZODB.DB` setting (``pool_size``, ``cache_size``...),
        ``read_only``, and ``open_timeout``: how long a connection context
        waits for one of the ``pool_size`` connections to be free (30 s).

    >>> db = sheraf.Database("memory://", db_args={"database_name": "saloon"})
    >>> db
    <Database database_name='saloon'>
    >>> sheraf.Database.get("saloon") is db
    True
    >>> db.close()
    """

    DEFAULT_DATABASE_NAME = "unnamed"

    def __init__(self, uri=None, storage=None, nestable=False, db_args=None):
        self.nestable = nestable
        self.db_args = dict(db_args or {})
        unknown = set(self.db_args) - _ZODB_DB_SETTINGS - _SHERAF_SETTINGS
        if unknown:
            raise TypeError(
                f"Database(db_args=...) got unknown setting(s) "
                f"{', '.join(sorted(map(repr, unknown)))}; known settings: "
                f"{', '.join(sorted(_ZODB_DB_SETTINGS | _SHERAF_SETTINGS))}."
            )
        self.name = None
        self.uri = None
        self.db = None
        self.storage = None
        self._forked_from = None
        self._open = set()
        self.reset(storage=storage, uri=uri)

    def __repr__(self):
        flags = "".join(
            [
                " ro" if self.db_args.get("read_only") else "",
                " nestable" if self.nestable else "",
            ]
        )
        return f"<Database database_name={self.name!r}{flags}>"

    def reset(self, storage=None, uri=None):
        """Close the database and open it again.

        With ``storage`` or ``uri``, it opens that instead. In a process
        forked from the one that created this object, ``reset()`` re-creates
        the database here with the same name and settings, and leaves the
        parent's storage (and its sockets) alone.
        """
        if storage is None and uri is None:
            uri = self._uri_to_reopen()
        open_storage, settings = self._resolve(storage, uri)
        name = settings["database_name"]

        if _registry.databases.get(name, self) is not self:
            raise KeyError(
                f"A database named {name!r} already exists in process "
                f"{_registry.pid}: close it first, or give this one another "
                "database_name."
            )
        if self._forked_from is not None:
            _registry.inherited.pop(self.name, None)
            self._park()
        elif self.db is not None:
            self._close_zodb()
        if self.name != name and _registry.databases.get(self.name) is self:
            del _registry.databases[self.name]

        self.name = name
        self.uri = uri
        self.storage = None
        try:
            self.storage = _open_storage(open_storage)
            self.db = _open_zodb(self.storage, settings)
        except Exception as exc:
            if _registry.databases.get(name) is self:
                del _registry.databases[name]
            if storage is None and self.storage is not None:
                self.storage.close()  # opened here, from the URI
            self.db = self.storage = None
            raise DatabaseUnavailableException(
                f"Cannot open database {name!r} from "
                f"{uri if uri is not None else storage!r}: "
                f"{exc.__class__.__name__}: {exc}"
            ) from exc
        self._forked_from = None
        self._prepare_sharing()
        _registry.databases[name] = self

    def _prepare_sharing(self):
        if contexts.threads_are_greenlets():
            _share_the_transaction_logger()
        self._threading_lock = threading.Lock
        self._gate = Gate(self.db.getPoolSize())
        self._retry_lanes = Lanes()

    def _uri_to_reopen(self):
        if self.uri is not None:
            return self.uri
        if self.storage is not None and not isinstance(self.storage, DemoStorage):
            raise SherafException(
                f"Database {self.name!r} was opened on a storage object, "
                "which sheraf cannot open again: pass reset(storage=...) or "
                "reset(uri=...)."
            )
        return None

    def _resolve(self, storage, uri):
        """What opens the storage, and the settings of the ZODB.DB."""
        settings = {
            key: value
            for key, value in self.db_args.items()
            if key not in _SHERAF_SETTINGS
        }
        read_only = bool(self.db_args.get("read_only"))
        if storage is not None:
            open_storage, uri_settings = (lambda: storage), {}
        elif uri is not None:
            open_storage, uri_settings = storages.resolve(uri, read_only)
        elif read_only:
            raise SherafException(
                "An in-memory database cannot be read_only: give a uri or a "
                "storage opened read only."
            )
        else:
            open_storage, uri_settings = DemoStorage, {}
        settings = {**uri_settings, **settings}
        settings.setdefault("database_name", self.DEFAULT_DATABASE_NAME)
        return open_storage, settings

    def close(self):
        """Close the connections of the calling thread or greenlet to this
        database, then the database itself. In a process forked from the one
        that created it, only forget it."""
        if self._forked_from is not None:
            if _registry.inherited.get(self.name) is self:
                del _registry.inherited[self.name]
            self._park()
        elif self.db is not None:
            self._close_zodb()
        if _registry.databases.get(self.name) is self:
            del _registry.databases[self.name]

    def _close_zodb(self):
        stack = contexts.current_stack()
        for context in [c for c in stack or () if c.database is self]:
            context.discard()
        self.db.close()
        if _registry.zodb_databases.get(self.name) is self.db:
            del _registry.zodb_databases[self.name]
        self.db = None

    def _park(self):
        # The parent process still uses this storage: closing it, or letting
        # the garbage collector finalize it, could unregister its sockets
        # from the parent's event loop. Keep it, untouched.
        _registry.parked.append((self.db, self.storage))
        self.db = self.storage = None

    def connection(self, commit=False, cache_minimize=False, reuse=False):
        """A connection context on this database: use it in a ``with``
        statement, which gives the :class:`ZODB.Connection.Connection`.

        :param commit: commit when the block ends without an exception; it
            aborts otherwise.
        :param cache_minimize: minimize the connection's object cache when
            the block ends.
        :param reuse: if the calling thread or greenlet already has a
            connection to this database open, use it instead of opening a
            new one.

        >>> db = sheraf.Database.get()
        >>> with db.connection() as connection:
        ...     sheraf.Database.current_connection() is connection
        True
        """
        return ConnectionContext(self, commit, cache_minimize, reuse)

    def _check_usable(self):
        if self._forked_from is not None:
            raise ForkedDatabaseException(
                f"Database {self.name!r} was created in process "
                f"{self._forked_from} and cannot be used in process "
                f"{os.getpid()}, forked from it. Create it again in this "
                "process, or call its reset() method first; with gunicorn, "
                "use the hooks of sheraf.green.gunicorn."
            )
        if threading.Lock is not self._threading_lock:
            self._follow_threading_patch()
        if self.db is None:
            raise SherafException(f"Database {self.name!r} is closed.")

    def _follow_threading_patch(self):
        """gevent patched :mod:`threading` after this database was opened:
        its ZEO client would do its I/O on a real thread and block every
        greenlet, so the storage is opened again, now cooperative."""
        with self.__dict__.setdefault("_follow_lock", threading.Lock()):
            if threading.Lock is not self._threading_lock:
                self._reopen_for_patched_threading()

    def _reopen_for_patched_threading(self):
        if self._open:
            raise SherafException(
                f"The threading module was patched (by gevent?) while "
                f"{len(self._open)} connection(s) to database {self.name!r} "
                "were open. Patch before creating databases."
            )
        if self.uri is not None:
            self.reset()
        else:
            self._prepare_sharing()

    @classmethod
    def get(cls, name=None, *, database_name=None):
        """The database named ``name`` in this process (the default one
        without a name; ``database_name`` is sheraf 0.x's spelling). A
        :class:`KeyError` says why there is none."""
        name = name or database_name or cls.DEFAULT_DATABASE_NAME
        try:
            return _registry.databases[name]
        except KeyError:
            raise _registry.missing(name) from None

    @classmethod
    def get_or_create(cls, **kwargs):
        """The database named ``kwargs["db_args"]["database_name"]`` (or
        ``kwargs["database_name"]``), created with ``kwargs`` if missing."""
        db_args = kwargs.get("db_args") or {}
        name = kwargs.pop("database_name", None) or db_args.get("database_name")
        try:
            return cls.get(name)
        except KeyError:
            if name is not None:
                kwargs["db_args"] = {**db_args, "database_name": name}
            return cls(**kwargs)

    @classmethod
    def all(cls):
        """The ``(name, database)`` pairs of this process."""
        return _registry.databases.items()

    @classmethod
    def current_connection(cls, name=None, *, database_name=None):
        """The innermost connection the calling thread or greenlet has open,
        or its connection to the database ``name`` (``database_name`` in
        sheraf 0.x); ``None`` without one."""
        stack = contexts.current_stack()
        if not stack:
            return None
        connection = stack[-1].connection
        name = name or database_name
        if name is None:
            return connection
        return connection.get_connection(name)

    @classmethod
    def current_name(cls):
        """The name of the database of the innermost open connection."""
        stack = contexts.current_stack()
        return stack[-1].database.name if stack else None


class ContextTransactionManager(transaction.TransactionManager):
    """The transaction manager of one connection context.

    Committing or aborting when no transaction was begun (a context that
    only read, or wrote nothing) does nothing, instead of beginning an
    empty transaction to end it at once, which costs more than opening the
    connection did.
    """

    def commit(self):
        if self._txn is not None:
            super().commit()

    def abort(self):
        if self._txn is not None:
            super().abort()


def _share_the_transaction_logger():
    """transaction logs to a logger named after the current thread; under
    gevent, after the current greenlet, and such loggers are never freed: a
    server would make one per request. Let them share one."""
    import transaction._transaction

    transaction._transaction._LOGGER = logging.getLogger("txn")


class ConnectionContext:
    """One connection context: what ``with`` gets from
    :meth:`Database.connection` and :func:`connection`.

    Its ``commit`` flag may change inside the block: it says whether the
    block's end commits (when no exception is raised) or aborts.
    """

    __slots__ = (
        "database",
        "commit",
        "cache_minimize",
        "reuse",
        "connection",
        "location",
        "_stack",
        "_ticket",
        "_reused",
    )

    def __init__(self, database, commit, cache_minimize, reuse):
        self.database = database
        self.commit = commit
        self.cache_minimize = cache_minimize
        self.reuse = reuse
        self.connection = None

    def __enter__(self):
        database = self.database
        database._check_usable()
        stack = contexts.enter_stack()
        self._reused = False
        if self.reuse:
            for context in reversed(stack):
                if context.database is database:
                    self._reused = True
                    return context.connection

        caller = sys._getframe(1)
        self.location = (caller.f_code.co_filename, caller.f_lineno)
        if stack and not database.nestable:
            contexts.leave_stack(stack)
            raise ConnectionAlreadyOpened(
                f"{stack[-1].describe()} is still open in this "
                f"{stack.owner_description}, and database "
                f"{database.name!r} is not nestable."
            )

        self._ticket = None
        if not any(c.database is database for c in stack):
            self._wait_for_a_free_connection()
        manager = ContextTransactionManager()
        try:
            self.connection = database.db.open(transaction_manager=manager)
        except BaseException:
            _close_half_opened(database.db, manager)
            self._release()
            contexts.leave_stack(stack)
            raise
        self._stack = stack
        stack.append(self)
        database._open.add(self)
        return self.connection

    def __exit__(self, exc_type, exc_value, traceback):
        if self._reused:
            return False
        if self.database._forked_from is not None:
            # The process forked inside the block: the connection, and its
            # storage, are the parent's. Leave them alone.
            self._forget()
            if exc_type is None and self.commit:
                self.database._check_usable()  # ForkedDatabaseException
            return False
        manager = self.connection.transaction_manager
        try:
            if self.commit and exc_type is None:
                manager.commit()
            else:
                manager.abort()
        except BaseException:
            self.discard()
            raise
        self._close()
        return False

    def discard(self):
        """Abort and close this connection, and forget it."""
        try:
            if self.connection.opened:
                self.connection.transaction_manager.abort()
        finally:
            self._close()

    def _close(self):
        connection = self.connection
        try:
            if connection.opened:
                if self.cache_minimize:
                    connection.cacheMinimize()
                connection.close()
        finally:
            self._forget()

    def _forget(self):
        stack = self._stack
        if self in stack:
            stack.remove(self)
            contexts.leave_stack(stack)
        self.database._open.discard(self)
        self._release()

    def describe(self):
        filename, line = self.location
        return (
            f"The connection to database {self.database.name!r} opened at "
            f"{filename}:{line}"
        )

    def _wait_for_a_free_connection(self):
        database = self.database
        timeout = database.db_args.get("open_timeout", DEFAULT_OPEN_TIMEOUT)
        try:
            self._ticket = database._gate.enter(timeout)
        except TimeoutError:
            raise DatabaseUnavailableException(
                f"All {database._gate.size} connections of database "
                f"{database.name!r} stayed in use for {timeout:g} s. Raise "
                "its pool_size, or close connections sooner."
            ) from None

    def _release(self):
        if self._ticket is not None:
            ticket, self._ticket = self._ticket, None
            self.database._gate.leave(ticket)


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
            except Exception:  # the storage failing again
                pass


def connection(database_name=None, commit=False, cache_minimize=False, reuse=False):
    """A connection context on the database named ``database_name`` (the
    default one without a name). See :meth:`Database.connection`.

    >>> with sheraf.connection(commit=True) as connection:
    ...     connection.root()["saloon"] = "open"
    """
    return Database.get(database_name).connection(commit, cache_minimize, reuse)
