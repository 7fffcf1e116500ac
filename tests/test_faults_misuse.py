"""Misuse, answered with clear errors and without harm: a database used in
a forked child, a connection left open when a greenlet ends, a nested
connection where the database is not nestable.

tests/test_databases.py and tests/test_contexts.py test the messages in the
simple cases; here, with a real ZEO server, what the misuse must not do.
"""

import json
import os
import subprocess
import sys
import time

import pytest

import sheraf
from sheraf.exceptions import ConnectionAlreadyOpened

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Cowboy(sheraf.Model):
    table = "faults_misuse_cowboys"
    name = sheraf.StringAttribute()


@pytest.fixture
def zeo_database(sheraf_zeo_server):
    _, port = sheraf_zeo_server
    # A child that used its parent's ZEO connection would wait this long.
    database = sheraf.Database(
        f"zeo://127.0.0.1:{port}?response_timeout=10&wait_timeout=10"
    )
    try:
        yield database
    finally:
        database.close()


def run_in_child(child):
    """Fork; ``child()`` returns a dict that the parent gets back. Whatever
    happens in the child, it exits there."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read_end)
            try:
                result = child()
            except BaseException as exc:
                result = {"escaped": f"{type(exc).__name__}: {exc}"}
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        report = reader.read()
    os.waitpid(pid, 0)
    return json.loads(report)


def outcome(function):
    """What calling ``function`` raised (its class name and message), and
    how long it took."""
    started = time.monotonic()
    try:
        function()
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    return {"error": error, "seconds": time.monotonic() - started}


def test_a_child_forked_inside_a_connection_context_cannot_use_it(zeo_database):
    """The child inherits the open connection context, but the connection
    is its parent's, on the parent's socket: using it (with models, or by
    committing at the end of the block) raises ForkedDatabaseException at
    once, and writes nothing."""
    with sheraf.connection(commit=True):
        george_id = Cowboy.create(name="George").id

    def in_the_child():
        report = {"create": outcome(lambda: Cowboy.create(name="Child"))}
        report["read"] = outcome(lambda: Cowboy.read(george_id))
        report["leave"] = outcome(lambda: context.__exit__(None, None, None))
        report["open"] = outcome(lambda: zeo_database.connection().__enter__())
        report["default"] = outcome(lambda: sheraf.connection().__enter__())
        return report

    with sheraf.connection(commit=True) as connection:
        context = next(iter(sheraf.Database.get().pool.contexts))
        assert Cowboy.read(george_id).name == "George"
        report = run_in_child(in_the_child)
        # Meanwhile the parent's connection is as it was, and commits.
        Cowboy.read(george_id).name = "Georgy"
    assert "escaped" not in report, report
    for step in ("create", "read", "leave", "open"):
        error = report[step]["error"] or ""
        assert error.startswith("ForkedDatabaseException: Database 'unnamed'"), (
            step,
            error,
        )
        assert "forked from it" in error and "reset()" in error
        assert report[step]["seconds"] < 2, (step, report[step])
    assert report["default"]["error"].startswith("KeyError")
    assert "forked from process" in report["default"]["error"]

    zeo_database.storage.ping()
    with sheraf.connection():
        assert [cowboy.name for cowboy in Cowboy.all()] == ["Georgy"]
    assert connection.opened is None  # closed by the parent, once


def test_a_connection_left_open_by_a_gevent_greenlet_is_reported_and_gives_its_place_back(
    sheraf_zeo_server,
):
    """Under gevent, with ZEO: a greenlet that ends with its connection open
    is reported with a ConnectionLeftOpenWarning, its transaction aborted,
    and its place in the pool (of one) given back."""
    _, port = sheraf_zeo_server
    script = f"""
import gc, json, time, warnings
from gevent import monkey; monkey.patch_all()
import gevent
import sheraf
from sheraf.exceptions import ConnectionLeftOpenWarning

class Cowboy(sheraf.Model):
    table = "faults_misuse_gevent_cowboys"
    name = sheraf.StringAttribute()

database = sheraf.Database(
    "zeo://127.0.0.1:{port}", db_args={{"pool_size": 1, "open_timeout": 2}}
)

def leave_it_open():
    sheraf.connection().__enter__()
    Cowboy.create(name="Forgotten")

# The hub frees an ended greenlet when it next runs: the report comes then.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    gevent.spawn(leave_it_open).join()
    gc.collect()
    started = time.monotonic()
    with sheraf.connection(commit=True):  # the only place of the pool
        Cowboy.create(name="Remembered")
    waited = time.monotonic() - started
with sheraf.connection():
    names = [cowboy.name for cowboy in Cowboy.all()]
print(json.dumps({{
    "warnings": [str(w.message) for w in caught if w.category is ConnectionLeftOpenWarning],
    "waited": waited,
    "names": names,
    "open": len(database.pool),
}}))
database.close()
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(report["warnings"]) == 1, report
    assert "was left open when its greenlet" in report["warnings"][0]
    assert "aborted its transaction" in report["warnings"][0]
    assert report["waited"] < 1, report
    assert report["names"] == ["Remembered"]
    assert report["open"] == 0


def test_a_refused_nested_connection_takes_no_place_and_leaves_the_outer_one_usable(
    zeo_database,
):
    """ConnectionAlreadyOpened comes at once, names where the open
    connection was opened, and costs nothing: the outer connection goes on
    and commits, and the pool keeps its places."""
    database = sheraf.Database(
        zeo_database.uri,
        db_args={"database_name": "single", "pool_size": 1, "open_timeout": 3},
    )
    try:
        with sheraf.connection("single", commit=True) as outer:
            line = sys._getframe().f_lineno - 1
            Cowboy.create(name="Outer")
            started = time.monotonic()
            with pytest.raises(ConnectionAlreadyOpened) as refused:
                with sheraf.connection("single"):
                    pass  # pragma: no cover
            assert time.monotonic() - started < 1
            assert f"test_faults_misuse.py:{line}" in str(refused.value)
            assert "database 'single' is not nestable" in str(refused.value)
            assert sheraf.Database.current_connection() is outer
            Cowboy.create(name="After")
        assert len(database.pool) == 0
        with sheraf.connection("single"):  # the place is free
            assert sorted(c.name for c in Cowboy.all()) == ["After", "Outer"]
    finally:
        database.close()
