"""sheraf on RelStorage, against a real PostgreSQL server.

The server is given by ``SHERAF_TEST_POSTGRESQL``, a libpq URI
(``postgresql://user:password@host:port/database``) of a user allowed to
create databases. ``.ci/run`` starts one with ``.ci/postgresql.sh``; so does

    bash .ci/postgresql.sh .venv/bin/python -m pytest tests/test_relstorage.py

Without it, these tests are skipped. The server must accept 250 sessions
at once (``max_connections``): 100 greenlets each hold a ZODB connection,
and a RelStorage connection may use two sessions. Each test works in a
database of its own, created for it and dropped at its end. sheraf opens RelStorage through
its zodburi scheme, ``postgres://``.
"""

import json
import os
import subprocess
import sys
import threading
import uuid
from collections import Counter
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import pytest

import sheraf
from examples.saloon.launch import Saloon
from examples.saloon.launch import drive
from examples.saloon.launch import request
from tests import test_green

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSTGRESQL = os.environ.get("SHERAF_TEST_POSTGRESQL")

pytestmark = pytest.mark.skipif(
    not POSTGRESQL,
    reason="SHERAF_TEST_POSTGRESQL is not set, so there is no PostgreSQL server for the "
    "RelStorage tests: `bash .ci/postgresql.sh .venv/bin/python -m pytest tests/test_relstorage.py` "
    "starts one and runs them",
)


def relstorage_uri(database, **query):
    """The RelStorage URI of ``database`` on the server of SHERAF_TEST_POSTGRESQL."""
    parts = urlsplit(POSTGRESQL)
    query_string = "&".join(f"{key}={value}" for key, value in query.items())
    return urlunsplit(("postgres", parts.netloc, f"/{database}", query_string, ""))


@pytest.fixture
def pg_database():
    """The name of a new, empty PostgreSQL database, dropped at the end."""
    import psycopg2

    name = f"sheraf_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRESQL, connect_timeout=10)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_uri(pg_database):
    return relstorage_uri(pg_database)


class Cowboy(sheraf.Model):
    table = "relstorage_cowboys"
    name = sheraf.StringAttribute().index(unique=True)
    gunskill = sheraf.IntegerAttribute()
    cheers = sheraf.CounterAttribute()


def test_a_postgres_uri_opens_a_relstorage_that_keeps_the_data(pg_uri):
    from relstorage.storage import RelStorage

    database = sheraf.Database(pg_uri)
    assert isinstance(database.storage, RelStorage)
    with sheraf.connection(commit=True):
        Cowboy.create(name="George", gunskill=3)
    database.close()

    sheraf.Database(pg_uri)
    with sheraf.connection():
        george = Cowboy.filter(name="George").get()
        assert (george.name, george.gunskill) == ("George", 3)


def test_two_databases_on_one_postgresql_see_each_others_commits(pg_uri):
    """Two app machines, as two Database objects of one process."""
    sheraf.Database(pg_uri)
    sheraf.Database(pg_uri, db_args={"database_name": "other machine"})
    with sheraf.connection(commit=True):
        cowboy_id = Cowboy.create(name="George", gunskill=1).id
    with sheraf.connection("other machine", commit=True):
        Cowboy.read(cowboy_id).gunskill += 1
    with sheraf.connection():
        assert Cowboy.read(cowboy_id).gunskill == 2


def test_the_uri_carries_zodb_and_relstorage_settings(pg_uri):
    database = sheraf.Database(
        f"{pg_uri}?database_name=saloon&connection_pool_size=3&keep_history=false&cache_local_mb=0"
    )
    assert sheraf.Database.get("saloon") is database
    assert database.db.getPoolSize() == 3
    assert database.storage.keep_history is False
    with sheraf.connection("saloon", commit=True):
        Cowboy.create(name="George")
    with sheraf.connection("saloon"):
        assert Cowboy.count() == 1


def test_the_libpq_scheme_is_refused_with_the_right_one_named(pg_database):
    uri = relstorage_uri(pg_database).replace("postgres://", "postgresql://", 1)
    with pytest.raises(sheraf.exceptions.InvalidURIException, match=r"'postgresql'.*postgres,"):
        sheraf.Database(uri)


@pytest.mark.parametrize(
    "check",
    [
        test_green.test_writes_of_the_same_key_conflict_even_with_equal_values,
        test_green.test_writes_of_different_keys_merge,
    ],
    ids=["same-key-conflicts", "different-keys-merge"],
)
def test_conflicts_as_on_zeo(pg_uri, check):
    """The conflict tests of test_green.py: RelStorage resolves conflicts
    in the client, with sheraf's rules."""
    check(sheraf.Database(pg_uri, nestable=True))


# The green scenarios of test_green.py, on RelStorage: each in a fresh
# interpreter, so that gevent patches when the scenario says.


def run_scenario(uri, scenario, patching, timeout=180):
    result = subprocess.run(
        [sys.executable, "-m", "tests.green_scenarios", scenario, patching, uri],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "patching, query",
    [("plain", ""), ("first", ""), ("after", ""), ("first", "?keep_history=false")],
    ids=["plain", "first", "after", "first-history-free"],
)
def test_50_greenlets_x_4_increments_lose_no_update(pg_uri, patching, query):
    result = run_scenario(pg_uri + query, "increments", patching)
    assert result["total"] == 200
    assert result["conflicts"] > 0  # they did collide, and attempt resolved it


@pytest.mark.parametrize("patching", ["plain", "first", "after"])
def test_100_concurrent_counter_increments_merge_with_no_retry(pg_uri, patching):
    result = run_scenario(pg_uri, "cheers", patching)
    assert result == {"total": 100, "retries": 0}


@pytest.mark.parametrize("patching", ["first", "after", "late"])
def test_other_greenlets_run_while_one_waits_on_postgresql(pg_uri, patching):
    """The driver is RelStorage's gevent one, also when gevent patched after
    the database was opened (``late``): sheraf opened it again."""
    result = run_scenario(pg_uri, "locked_tables", patching, timeout=60)
    assert result["driver"] == "gevent psycopg2"
    assert result["reopened"] is (patching == "late")
    assert result["ticks_while_locked"] > 50  # 1.5 s of 10 ms ticks, give or take
    assert not result["done_while_locked"]
    assert result["waited"] >= 1.4
    assert result["total"] == 1000


@pytest.mark.parametrize("patching", ["first", "after"])
def test_a_killed_greenlet_writes_nothing_and_returns_its_connection(pg_uri, patching):
    result = run_scenario(pg_uri, "killed_greenlet", patching)
    assert result == {
        "open_during": 1,
        "open_after": 0,
        "gunskill": 0,
        "count": 1,
        "killed": True,
    }


@pytest.mark.parametrize("patching", ["first", "after"])
def test_1000_greenlets_stay_within_the_pool(pg_uri, patching):
    result = run_scenario(pg_uri, "pool", patching)
    assert result["finished"] == 1000
    assert result["warnings"] == 0
    assert result["most_open"] <= result["pool_size"] == 7
    assert result["connections_alive"] <= result["pool_size"]
    assert result["open_after"] == 0


def test_a_storage_opened_before_patching_is_opened_again(pg_uri):
    result = run_scenario(pg_uri, "created_before_patching", "plain")
    assert result["reopened"]
    assert result["errors"] == []
    assert result["finished"] == 20
    assert result["total"] == 20
    assert result["ticks"] > 0


def test_two_databases_share_the_hub(pg_uri):
    result = run_scenario(pg_uri, "two_databases", "first")
    assert result["errors"] == []
    assert result["visits"] == {"unnamed": 20, "second": 20}


# Two app machines: two gunicorn instances, one PostgreSQL database.


def test_two_gunicorn_instances_on_one_database_count_every_increment(pg_uri, tmp_path):
    # RelStorage creates its tables when it first opens a database, and
    # workers doing it at once fail on duplicate keys: create them first,
    # once, as a deployment does.
    sheraf.Database(pg_uri).close()
    saloons = []
    try:
        for number, preload in enumerate([False, True]):
            data_dir = tmp_path / f"machine{number}"
            data_dir.mkdir()
            saloons.append(Saloon(str(data_dir), workers=2, preload=preload, database_uri=pg_uri))
        first, second = saloons
        status, cowboy = request(first.url, "POST", "/api/cowboys", {"name": "George"})
        assert status == 201, cowboy
        path = f"/api/cowboys/{cowboy['id']}/practice"

        results = {}

        def load(saloon):
            results[saloon.url] = drive(saloon.url, "POST", path, 100, 10)[0]

        threads = [threading.Thread(target=load, args=(saloon,)) for saloon in saloons]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        for saloon in saloons:
            statuses = results[saloon.url]
            assert statuses.count(200) == 100, (Counter(statuses), saloon.log()[-3000:])
        for saloon in saloons:
            assert request(saloon.url, "GET", f"/api/cowboys/{cowboy['id']}")[1]["gunskill"] == 200
        assert second.log().count("opened database 'unnamed' again") == 2  # the preloaded one
        for saloon in saloons:
            assert "Traceback" not in saloon.log(), saloon.log()[-3000:]
    finally:
        codes = [saloon.stop() for saloon in saloons]
    assert codes == [0, 0]
