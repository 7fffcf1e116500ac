"""sheraf on RelStorage, against a real PostgreSQL server.

The server is given by ``SHERAF_TEST_POSTGRESQL``, a libpq URI
(``postgresql://user:password@host:port/database``) of a user allowed to
create databases. ``.ci/run`` starts one with ``.ci/postgresql.sh``; so does

    bash .ci/postgresql.sh .venv/bin/python -m pytest tests/test_relstorage.py

Without it, these tests are skipped. The server must accept 250 sessions
at once (``max_connections``): 100 greenlets each hold a ZODB connection,
and a RelStorage connection may use two sessions. Each test works in a
database of its own, created for it and dropped at its end. sheraf opens
RelStorage through its zodburi scheme, ``postgres://``.

The concurrency tests of test_green.py run on RelStorage too; these are
the ones that only RelStorage has.
"""

import threading
from collections import Counter

import pytest

import sheraf
from examples.saloon.launch import Saloon
from examples.saloon.launch import drive
from examples.saloon.launch import request
from tests import utils
from tests.conftest import relstorage_uri
from tests.test_green import run_scenario


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


@pytest.mark.parametrize("round_", range(3))
def test_processes_opening_a_new_database_at_once_all_succeed(pg_uri, round_):
    """RelStorage creates its tables when it first opens a database: workers
    that race to do it must not fail (without sheraf's retry, about one
    round in three had a duplicate key error)."""
    assert utils.open_at_once(pg_uri) == ["ok"] * 8


def test_the_libpq_scheme_is_refused_with_the_right_one_named(pg_database):
    uri = relstorage_uri(pg_database).replace("postgres://", "postgresql://", 1)
    with pytest.raises(
        sheraf.exceptions.InvalidURIException, match=r"'postgresql'.*postgres,"
    ):
        sheraf.Database(uri)


def test_history_free_storage_loses_no_update(pg_uri):
    """RelStorage's history-free mode, with the scenario of test_green.py."""
    result = run_scenario(pg_uri + "?keep_history=false", "increments", "first")
    assert result["total"] == 200
    assert result["conflicts"] > 0


@pytest.mark.parametrize("patching", ["first", "after", "late"])
def test_other_greenlets_run_while_one_waits_on_postgresql(pg_uri, patching):
    """The driver is RelStorage's gevent one, also when gevent patched after
    the database was opened (``late``): sheraf opened it again."""
    result = run_scenario(pg_uri, "locked_tables", patching, timeout=60)
    assert result["driver"] == "gevent psycopg2"
    assert result["reopened"] is (patching == "late")
    assert result["ticks_while_blocked"] > 50  # 1.5 s of 10 ms ticks, give or take
    assert not result["done_while_blocked"]
    assert result["waited"] >= 1.4
    assert result["total"] == 1000


# Two app machines: two gunicorn instances, one PostgreSQL database.


def test_two_gunicorn_instances_on_one_database_count_every_increment(pg_uri, tmp_path):
    saloons = []
    try:
        for number, preload in enumerate([False, True]):
            data_dir = tmp_path / f"machine{number}"
            data_dir.mkdir()
            saloons.append(
                Saloon(str(data_dir), workers=2, preload=preload, database_uri=pg_uri)
            )
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
            assert (
                request(saloon.url, "GET", f"/api/cowboys/{cowboy['id']}")[1][
                    "gunskill"
                ]
                == 200
            )
        assert (
            second.log().count("opened database 'unnamed' again") == 2
        )  # the preloaded one
        for saloon in saloons:
            assert "Traceback" not in saloon.log(), saloon.log()[-3000:]
    finally:
        codes = [saloon.stop() for saloon in saloons]
    assert codes == [0, 0]
