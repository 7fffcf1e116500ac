"""Open ZODB storages from URIs, and the databases on them.

Every scheme that a zodburi resolver knows is accepted: ``memory://``,
``file:///path/Data.fs``, ``zeo://host:port``, ``zconfig://``, and the
schemes that installed packages add (RelStorage's ``postgres://`` for
instance). ``zeo://`` URIs get sheraf's ZEO client (see :mod:`sheraf.zeo`),
which also accepts ``response_timeout`` in the query string; so do
``postgres://`` URIs (see :mod:`sheraf.relstorage`).

>>> factory, db_kw = resolve("memory://?database_name=saloon")
>>> db_kw["database_name"]
'saloon'
>>> resolve("nosuch://here")
Traceback (most recent call last):
    ...
sheraf.exceptions.InvalidURIException: Cannot open 'nosuch://here': no installed resolver knows the scheme 'nosuch' (known: ...).

Processes that open a new database at once race to create it;
:func:`open_storage` and :func:`open_zodb` let the losers try again.
"""

import random
import sys
import time
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import ZODB
import zodburi
from ZODB.POSException import ConflictError

from sheraf import cooperation
from sheraf.exceptions import InvalidURIException

#: SQLSTATE codes that say "it already exists": a table, an object (an
#: index, a trigger), a schema, a function, a column, a database.
_ALREADY_EXISTS = frozenset({"42P07", "42710", "42P06", "42723", "42701", "42P04"})


def resolve(uri: str, read_only: bool = False) -> tuple[Callable, dict[str, Any]]:
    """Read ``uri`` without opening anything yet.

    :return: a function that opens the storage, and the :class:`ZODB.DB`
        keyword arguments the URI carries (``database_name``,
        ``pool_size``...).
    """
    try:
        scheme = urlsplit(uri).scheme if isinstance(uri, str) else ""
    except ValueError as exc:  # an invalid IPv6 address, for instance
        raise InvalidURIException(f"Cannot open {uri!r}: {exc}") from None
    if not scheme:
        raise InvalidURIException(
            f"Cannot open {uri!r}: a database URI looks like 'zeo://host:port', "
            "'file:///path/Data.fs' or 'memory://'."
        )
    # Schemes are case-insensitive; zodburi's resolvers know them in lower case.
    uri = scheme + uri[uri.index(":") :]
    if read_only:
        uri = _with_query(uri, read_only="true")

    sheraf_options = {}
    if scheme == "zeo":
        uri, sheraf_options = _pop_query(uri, "response_timeout", "server_sync")

    try:
        if scheme == "postgres":
            from sheraf.relstorage import resolve_postgres

            factory, db_kw = resolve_postgres(uri)
        else:
            factory, db_kw = zodburi.resolve_uri(uri)
    except InvalidURIException:
        raise
    except zodburi.NoResolverForScheme as exc:
        known = ", ".join(sorted(_known_schemes()))
        unknown = exc.uri[: exc.uri.find(":")]  # demo: URIs hold others
        raise InvalidURIException(
            f"Cannot open {uri!r}: no installed resolver knows the scheme "
            f"{unknown!r} (known: {known})."
        ) from None
    except Exception as exc:  # zconfig:// reads a file, for instance
        raise InvalidURIException(f"Cannot open {uri!r}: {exc}") from exc

    if scheme == "zeo":
        from sheraf.zeo import zeo_storage_factory

        factory = zeo_storage_factory(
            uri, cooperation.zeo_client_runner, **sheraf_options
        )
    return factory, db_kw


def open_storage(open_it: Callable[[], Any], attempts: int = 5) -> Any:
    """The storage that ``open_it()`` opens.

    A relational storage (RelStorage) creates its tables when it first opens
    a database. Processes doing it at once race, and the losers break a
    unique constraint, or find a table already there: they wait a little
    and try again.
    """
    for attempt_index in range(attempts):
        try:
            return open_it()
        except Exception as exc:
            if not _lost_the_creation_race(exc) or attempt_index == attempts - 1:
                raise
            time.sleep(random.uniform(0.05, 0.25))


def _lost_the_creation_race(exc):
    """Whether ``exc``, from a database driver, says that another process
    created the same thing first: the driver's own ``IntegrityError`` (every
    DB-API driver has one), or an "already exists" SQLSTATE."""
    driver = sys.modules.get(type(exc).__module__.partition(".")[0])
    integrity_error = getattr(driver, "IntegrityError", None)
    if isinstance(integrity_error, type) and isinstance(exc, integrity_error):
        return True
    sqlstate = getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)
    return sqlstate in _ALREADY_EXISTS


def open_zodb(
    storage: Any, settings: dict[str, Any], databases: dict, attempts: int = 3
) -> ZODB.DB:
    """A :class:`ZODB.DB` on ``storage`` with ``settings``, known in
    ``databases`` (ZODB's multi-database map) by its ``database_name``.

    ZODB.DB creates the root object of an empty database. Two processes
    doing it at once on a new ZEO server race, and one of them gets a
    conflict: it catches up with the server and tries again.
    """
    name = settings["database_name"]
    known = databases.get(name)
    for attempt_index in range(attempts):
        try:
            return ZODB.DB(storage, databases=databases, **settings)
        except Exception as exc:
            # ZODB.DB names itself in the map before it creates the root:
            # forget a database that failed, or the name stays taken.
            if databases.get(name) is not known:
                del databases[name]
            if not isinstance(exc, ConflictError) or attempt_index == attempts - 1:
                raise
            catch_up(storage)


def catch_up(storage: Any) -> None:
    """Let ``storage`` catch up with its server. A ZEO client learns of the
    other clients' commits through invalidation messages that may still be
    on their way: a round trip to the server makes sure that the ones sent
    before it have arrived. Storages without a server have nothing to do.
    """
    ping = getattr(storage, "ping", None)
    if ping is not None:
        ping()


def _known_schemes():
    return {entry_point.name for entry_point in entry_points(group="zodburi.resolvers")}


def _with_query(uri, **extra):
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    query.update(extra)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _pop_query(uri, *names):
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    popped = {name: query.pop(name) for name in names if name in query}
    return urlunsplit(parts._replace(query=urlencode(query))), popped
