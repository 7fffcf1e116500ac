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
import os
import threading
from collections.abc import ItemsView
from typing import Any

import ZODB
from ZODB.Connection import Connection
from ZODB.DemoStorage import DemoStorage

from sheraf import contexts
from sheraf import cooperation
from sheraf import storages
from sheraf import transaction_logger
from sheraf.connections import DEFAULT_OPEN_TIMEOUT
from sheraf.connections import ConnectionContext
from sheraf.connections import ConnectionPool
from sheraf.connections import ContextTransactionManager  # noqa: F401 (old path)
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.exceptions import ForkedDatabaseException
from sheraf.exceptions import NotConnectedException
from sheraf.exceptions import SherafException
from sheraf.processes import DEFAULT_DATABASE_NAME
from sheraf.processes import inherited_databases  # noqa: F401 (old path)
from sheraf.processes import registry

_ZODB_DB_SETTINGS = frozenset(inspect.signature(ZODB.DB.__init__).parameters) - {
    "self",
    "storage",
    "databases",
    "storage_args",
}
_SHERAF_SETTINGS = frozenset({"read_only", "open_timeout"})


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

    DEFAULT_DATABASE_NAME = DEFAULT_DATABASE_NAME

    def __init__(
        self,
        uri: str | None = None,
        storage: Any = None,
        nestable: bool = False,
        db_args: dict[str, Any] | None = None,
    ) -> None:
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
        self.pool = ConnectionPool(
            self.db_args.get("open_timeout", DEFAULT_OPEN_TIMEOUT)
        )
        #: The process this one was forked from, when that process created
        #: this database and it was not :meth:`reset` since; else ``None``.
        #: (An attribute, not a property: every read checks it.)
        self.forked_from: int | None = None
        self.reset(storage=storage, uri=uri)

    def __repr__(self):
        flags = "".join(
            [
                " ro" if self.db_args.get("read_only") else "",
                " nestable" if self.nestable else "",
            ]
        )
        return f"<Database database_name={self.name!r}{flags}>"

    def reset(self, storage: Any = None, uri: str | None = None) -> None:
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

        if registry.databases.get(name, self) is not self:
            raise KeyError(
                f"A database named {name!r} already exists in process "
                f"{registry.pid}: close it first, or give this one another "
                "database_name."
            )
        if self.forked_from is not None:
            registry.inherited.pop(self.name, None)
            self._park()
        elif self.db is not None:
            self._close_zodb()
        if self.name != name and registry.databases.get(self.name) is self:
            del registry.databases[self.name]

        self.name = name
        self.uri = uri
        self.storage = None
        try:
            self.storage = storages.open_storage(open_storage)
            self.db = storages.open_zodb(
                self.storage, settings, registry.zodb_databases
            )
        except Exception as exc:
            if registry.databases.get(name) is self:
                del registry.databases[name]
            if storage is None and self.storage is not None:
                self.storage.close()  # opened here, from the URI
            self.db = self.storage = None
            raise DatabaseUnavailableException(
                f"Cannot open database {name!r} from "
                f"{uri if uri is not None else storage!r}: "
                f"{exc.__class__.__name__}: {exc}"
            ) from exc
        self.forked_from = None
        self._prepare_sharing()
        registry.databases[name] = self

    def _prepare_sharing(self):
        if cooperation.threads_are_greenlets():
            transaction_logger.share_one_logger()
        self._lock_factory_at_open = cooperation.lock_factory()
        self.pool.reset(self.name, self.db.getPoolSize())

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

    def close(self) -> None:
        """Close the connections of the calling thread or greenlet to this
        database, then the database itself. In a process forked from the one
        that created it, only forget it."""
        if self.forked_from is not None:
            if registry.inherited.get(self.name) is self:
                del registry.inherited[self.name]
            self._park()
        elif self.db is not None:
            self._close_zodb()
        if registry.databases.get(self.name) is self:
            del registry.databases[self.name]

    def _close_zodb(self):
        stack = contexts.current_stack()
        for context in [c for c in stack or () if c.database is self]:
            context.discard()
        # A connection of this database may be in a group with connections
        # of the process's other databases (ZODB's multi-databases), and
        # closing it would release the whole group: take it out first.
        for connection in list(self.db.pool.all):
            group = connection.connections
            if len(group) > 1:
                group.pop(self.name, None)
                connection.connections = {self.name: connection}
        self.db.close()
        if registry.zodb_databases.get(self.name) is self.db:
            del registry.zodb_databases[self.name]
        self.db = None

    def _park(self):
        registry.park(self.db, self.storage)
        self.db = self.storage = None

    def after_fork(self, parent_pid: int) -> None:
        """This process was just forked from process ``parent_pid``, which
        created this database: it is not usable here until :meth:`reset`."""
        self.forked_from = parent_pid

    def connection(
        self, commit: bool = False, cache_minimize: bool = False, reuse: bool = False
    ) -> ConnectionContext:
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

    def connection_open(self) -> Connection:
        """Open a connection context on this database outside a ``with``
        block, and return its connection. Like any connection context, it
        belongs to the calling thread or greenlet, which closes it with
        :meth:`connection_close`; it does not commit by itself.

        >>> db = sheraf.Database.get()
        >>> connection = db.connection_open()
        >>> sheraf.Database.last_connection(db) is connection
        True
        >>> db.connection_close(connection)
        >>> sheraf.Database.last_connection(db) is None
        True
        """
        return ConnectionContext(self).open(depth=2)

    def connection_close(self, connection: Connection | None = None) -> None:
        """Abort the transaction of ``connection`` (the last one the calling
        thread or greenlet opened on this database, without it) and close
        it. Only the thread or greenlet that opened it may close it."""
        context = self._owned_context(connection)
        context.close(commit=False)

    def _owned_context(self, connection):
        stack = contexts.current_stack() or ()
        for context in reversed(stack):
            if context.database is self and connection in (None, context.connection):
                return context
        provider = contexts.get_context_provider()
        here = provider.describe(provider.owner())
        if connection is None:
            raise NotConnectedException(
                f"The current {here} has no connection to database "
                f"{self.name!r} open to close."
            )
        raise NotConnectedException(
            f"{connection!r} is not open in the current {here} on database "
            f"{self.name!r}: a connection belongs to the thread or greenlet "
            "that opened it, and only that one may close it."
        )

    @classmethod
    def last_connection(cls, database: "Database | None" = None) -> Connection | None:
        """The connection the calling thread or greenlet opened last (on
        ``database``, when given) and has still open; ``None`` without one."""
        stack = contexts.current_stack() or ()
        for context in reversed(stack):
            if database is None or context.database is database:
                return context.connection
        return None

    def check_usable(self) -> None:
        """Raise the reason this database cannot open a connection now, if
        any: created in the process this one was forked from, or closed. When
        gevent patched :mod:`threading` since it was opened, open it again,
        now cooperative."""
        if self.forked_from is not None:
            raise ForkedDatabaseException(
                f"Database {self.name!r} was created in process "
                f"{self.forked_from} and cannot be used in process "
                f"{os.getpid()}, forked from it. Create it again in this "
                "process, or call its reset() method first; with gunicorn, "
                "use the hooks of sheraf.green.gunicorn."
            )
        if cooperation.lock_factory() is not self._lock_factory_at_open:
            self._follow_threading_patch()
        if self.db is None:
            raise SherafException(f"Database {self.name!r} is closed.")

    def _follow_threading_patch(self):
        """gevent patched :mod:`threading` after this database was opened:
        its ZEO client would do its I/O on a real thread and block every
        greenlet, so the storage is opened again, now cooperative."""
        with self.__dict__.setdefault("_follow_lock", threading.Lock()):
            if cooperation.lock_factory() is not self._lock_factory_at_open:
                self._reopen_for_patched_threading()

    def _reopen_for_patched_threading(self):
        if self.pool:
            raise SherafException(
                f"The threading module was patched (by gevent?) while "
                f"{len(self.pool)} connection(s) to database {self.name!r} "
                "were open. Patch before creating databases."
            )
        if self.uri is not None:
            self.reset()
        else:
            self._prepare_sharing()

    @classmethod
    def get(
        cls, name: str | None = None, *, database_name: str | None = None
    ) -> "Database":
        """The database named ``name`` in this process (the default one
        without a name; ``database_name`` is sheraf 0.x's spelling). A
        :class:`KeyError` says why there is none."""
        return registry.database(name or database_name)

    @classmethod
    def get_or_create(cls, **kwargs: Any) -> "Database":
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
    def all(cls) -> ItemsView[str, "Database"]:
        """The ``(name, database)`` pairs of this process."""
        return registry.databases.items()

    @classmethod
    def current_connection(
        cls, name: str | None = None, *, database_name: str | None = None
    ) -> Connection | None:
        """The innermost connection the calling thread or greenlet has open,
        or its connection to the database ``name`` (``database_name`` in
        sheraf 0.x); ``None`` without one."""
        context = contexts.current_context()
        if context is None:
            return None
        name = name or database_name
        if name is None:
            return context.connection
        return context.connection.get_connection(name)

    @classmethod
    def current_name(cls) -> str | None:
        """The name of the database of the innermost open connection."""
        context = contexts.current_context()
        return None if context is None else context.database.name


def connection(
    database_name: str | None = None,
    commit: bool = False,
    cache_minimize: bool = False,
    reuse: bool = False,
) -> ConnectionContext:
    """A connection context on the database named ``database_name`` (the
    default one without a name), found when the block begins. See
    :meth:`Database.connection`; it decorates functions too.

    >>> with sheraf.connection(commit=True) as connection:
    ...     connection.root()["saloon"] = "open"
    """
    return ConnectionContext(None, commit, cache_minimize, reuse, database_name)
