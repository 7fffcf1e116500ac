"""Every wait on PostgreSQL is bounded: connecting, a statement, a server
that stops answering (its processes frozen with SIGSTOP). The wait ends in
DatabaseUnavailableException (a 503 from the middleware), and service comes
back once the server answers again (SIGCONT).

A real PostgreSQL server (see tests/test_relstorage.py); skipped without
one.
"""

import contextlib
import os
import signal
import time
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import pytest

import sheraf
from sheraf.relstorage import ResponseTimeout
from tests.saloon_load import call
from tests.saloon_load import hire
from tests.saloon_load import read_cowboy
from tests.saloon_load import saloon_factory  # noqa: F401 (a fixture)

BOUNDS = "response_timeout=2&connect_timeout=1"


class Cowboy(sheraf.Model):
    table = "relstorage_bounds_cowboys"
    name = sheraf.StringAttribute()
    gunskill = sheraf.IntegerAttribute(default=0)


def _parent(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _with_children(pid):
    """``pid`` and the processes it started."""
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [pid, *map(int, children.read().split())]


def _signal(pids, signum):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a session that ended
            os.kill(pid, signum)


@pytest.fixture
def freeze(pg_database):
    """Freeze the whole PostgreSQL server (SIGSTOP) for the time of a block;
    it is always thawed (SIGCONT)."""
    import psycopg2

    from tests.conftest import POSTGRESQL

    with contextlib.closing(psycopg2.connect(POSTGRESQL, connect_timeout=10)) as admin:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            postmaster = _parent(cursor.fetchone()[0])

    @contextlib.contextmanager
    def frozen():
        pids = _with_children(postmaster)
        try:
            _signal(pids, signal.SIGSTOP)
            yield
        finally:
            _signal(pids, signal.SIGCONT)

    return frozen


def _elapsed(function):
    started = time.monotonic()
    try:
        function()
    except Exception as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


def test_a_frozen_server_ends_every_wait_and_service_comes_back(pg_uri, freeze):
    sheraf.Database(f"{pg_uri}?{BOUNDS}")
    with sheraf.connection(commit=True):
        cowboy_id = Cowboy.create(name="George").id

    def read():
        with sheraf.connection():
            Cowboy.read(cowboy_id).name

    def write():
        with sheraf.connection(commit=True):
            Cowboy.read(cowboy_id).gunskill += 1

    def open_another():
        sheraf.Database(f"{pg_uri}?{BOUNDS}", db_args={"database_name": "another"})

    with freeze():
        outcomes = {
            name: _elapsed(function)
            for name, function in [
                ("read", read),
                ("write", write),
                ("open", open_another),
            ]
        }
    for name, (exc, elapsed) in outcomes.items():
        assert isinstance(exc, sheraf.DatabaseUnavailableException), (name, exc)
        # A statement's bound (2 s), then RelStorage's one reconnection (1 s).
        assert elapsed < 8, (name, elapsed)
    assert "PostgreSQL at 127.0.0.1" in str(outcomes["read"][0])

    write()
    with sheraf.connection():
        assert Cowboy.read(cowboy_id).gunskill == 1


def test_connecting_to_a_frozen_server_is_bounded(pg_uri, freeze):
    with freeze():
        exc, elapsed = _elapsed(lambda: sheraf.Database(f"{pg_uri}?{BOUNDS}"))
    assert isinstance(exc, sheraf.DatabaseUnavailableException)
    assert isinstance(exc.__cause__, ResponseTimeout)
    assert "did not accept a connection in 1 s" in str(exc)
    assert elapsed < 5


def test_a_statement_that_takes_too_long_is_bounded(pg_database, pg_uri):
    """A lock held by another session: the statement waits on the server."""
    import psycopg2

    from tests.conftest import POSTGRESQL

    sheraf.Database(f"{pg_uri}?{BOUNDS}")
    with sheraf.connection(commit=True):
        cowboy_id = Cowboy.create(name="George").id
    parts = urlsplit(POSTGRESQL)
    locker = psycopg2.connect(urlunsplit(parts._replace(path=f"/{pg_database}")))
    try:
        with locker.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE object_state, current_object, transaction "
                "IN ACCESS EXCLUSIVE MODE"
            )

        def read():
            with sheraf.connection():
                Cowboy.read(cowboy_id).name

        exc, elapsed = _elapsed(read)
    finally:
        locker.rollback()
        locker.close()
    assert isinstance(exc, ResponseTimeout), exc
    assert 1.5 < elapsed < 8
    with sheraf.connection():
        assert Cowboy.read(cowboy_id).name == "George"


def test_the_bounds_are_numbers(pg_uri):
    with pytest.raises(
        sheraf.exceptions.InvalidURIException,
        match=r"response_timeout must be a number of seconds, not 'soon'",
    ):
        sheraf.Database(f"{pg_uri}?response_timeout=soon")
    assert dict(sheraf.Database.all()) == {}


def test_the_middleware_answers_503_while_the_server_is_frozen(
    pg_uri,
    freeze,
    saloon_factory,  # noqa: F811
):
    saloon = saloon_factory(workers=1, database_uri=f"{pg_uri}?{BOUNDS}")
    cowboy_id = hire(saloon, "George")
    with freeze():
        response = call(saloon.url, "GET", f"/api/cowboys/{cowboy_id}", timeout=30)
    assert response.status == 503, response
    assert response.latency < 10
    deadline = time.monotonic() + 30
    while call(saloon.url, "GET", f"/api/cowboys/{cowboy_id}").status != 200:
        assert time.monotonic() < deadline, "the service did not come back"
        time.sleep(0.2)
    assert read_cowboy(saloon, cowboy_id)["name"] == "George"
    assert (
        "The database cannot be reached. (ResponseTimeout: PostgreSQL at"
        in saloon.log()
    )
