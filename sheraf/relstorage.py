"""RelStorage on PostgreSQL with every wait bounded.

libpq waits as long as the server takes: for a connection to be accepted,
for a statement to finish, and forever for a server that stopped answering
(a frozen process, a machine gone without closing its connections). For
``postgres://`` URIs, sheraf waits through psycopg2's wait callback, which
bounds each of these waits:

- ``connect_timeout`` (seconds, 10 by default): connecting;
- ``response_timeout`` (seconds, 30 by default, ``0`` for no bound): any
  answer of an open connection.

Both are read from the URI's query string
(``postgres://user:password@host/db?response_timeout=5``). A wait that runs
out raises :class:`ResponseTimeout`, a
:class:`~sheraf.exceptions.DatabaseUnavailableException` (so that the
middleware answers 503) and a :class:`psycopg2.OperationalError` (so that
RelStorage drops the connection and opens a new one when next used): once
the server answers again, service comes back by itself.

Waiting lets other greenlets run once gevent has patched the standard
library, except while RelStorage holds its commit lock. psycopg2 runs
in its asynchronous mode under a wait callback, which RelStorage serves
with its "gevent psycopg2" driver: the ``relstorage`` extra installs gevent.

>>> factory, db_kw = resolve_postgres(
...     "postgres://sheraf@127.0.0.1/saloon?response_timeout=5&database_name=s"
... )
>>> db_kw["database_name"]
's'
>>> resolve_postgres("postgres://sheraf@127.0.0.1/saloon?response_timeout=soon")
Traceback (most recent call last):
    ...
sheraf.exceptions.InvalidURIException: Cannot open 'postgres://sheraf@127.0.0.1/saloon?response_timeout=soon': response_timeout must be a number of seconds, not 'soon'.
"""

import select
import sys
import time
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import zodburi

from sheraf import cooperation
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.exceptions import InvalidURIException

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_RESPONSE_TIMEOUT = 30.0


def _operational_error():
    import psycopg2

    return psycopg2.OperationalError


class ResponseTimeout(DatabaseUnavailableException, _operational_error()):
    """PostgreSQL did not answer in time."""


class Bounds:
    """The bounds on waiting of each PostgreSQL server and database this
    process opened, by ``(host, port, database)``."""

    def __init__(self):
        self.by_server = {}

    def set(self, uri, connect_timeout, response_timeout):
        parts = urlsplit(uri)
        key = (parts.hostname or "", str(parts.port or 5432), parts.path[1:])
        self.by_server[key] = (connect_timeout, response_timeout)

    def of(self, connection):
        info = connection.info
        key = (info.host or "", str(info.port), info.dbname)
        return self.by_server.get(
            key, (DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT)
        )


_bounds = Bounds()


def wait(connection):
    """psycopg2's wait callback: poll ``connection`` until its operation is
    done, within its bound (see :class:`Bounds`)."""
    from psycopg2 import extensions

    connect_timeout, response_timeout = _bounds.of(connection)
    connecting = connection.status == extensions.STATUS_SETUP
    bound = connect_timeout if connecting else response_timeout
    deadline = None if not bound else time.monotonic() + bound
    cooperative = cooperation.threads_are_greenlets() and not _in_critical_phase(
        connection
    )
    while True:
        state = connection.poll()
        if state == extensions.POLL_OK:
            return
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            what = "accept a connection" if connecting else "answer"
            raise ResponseTimeout(
                f"PostgreSQL at {connection.info.host}:{connection.info.port} did "
                f"not {what} in {bound:g} s."
            )
        _wait_for(
            connection.fileno(), state == extensions.POLL_READ, remaining, cooperative
        )


def _in_critical_phase(connection):
    """Whether RelStorage holds its commit lock on ``connection``: other
    greenlets must not run then."""
    is_in_critical_phase = getattr(connection, "is_in_critical_phase", None)
    return is_in_critical_phase is not None and is_in_critical_phase()


def _wait_for(fd, reading, timeout, cooperative):
    """Wait until ``fd`` is ready, ``timeout`` seconds at most; with gevent's
    patched :mod:`select` when ``cooperative``, with the original one
    otherwise."""
    wait_select = select.select
    if not cooperative and cooperation.threads_are_greenlets():
        wait_select = sys.modules["gevent.monkey"].get_original("select", "select")
    if reading:
        wait_select([fd], [], [], timeout)
    else:
        wait_select([], [fd], [], timeout)


def install_wait():
    """Make :func:`wait` psycopg2's wait callback (again: gevent's patching
    makes RelStorage install its own)."""
    from psycopg2 import extensions

    if extensions.get_wait_callback() is not wait:
        extensions.set_wait_callback(wait)


def resolve_postgres(uri):
    """What opens the RelStorage of a ``postgres://`` URI, with its waits
    bounded, and the :class:`ZODB.DB` settings the URI carries."""
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    connect_timeout = _seconds(uri, query, "connect_timeout", DEFAULT_CONNECT_TIMEOUT)
    response_timeout = _seconds(
        uri, query, "response_timeout", DEFAULT_RESPONSE_TIMEOUT
    )
    open_storage, db_kw = zodburi.resolve_uri(
        urlunsplit(parts._replace(query=urlencode(query)))
    )

    def open_bounded():
        _bounds.set(uri, connect_timeout, response_timeout)
        install_wait()
        return open_storage()

    return open_bounded, db_kw


def _seconds(uri, query, name, default):
    """The number of seconds ``name`` of ``query`` gives (and removes)."""
    value = query.pop(name, default)
    try:
        return float(value)
    except ValueError:
        raise InvalidURIException(
            f"Cannot open {uri!r}: {name} must be a number of seconds, not {value!r}."
        ) from None
