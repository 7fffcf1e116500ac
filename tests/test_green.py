"""sheraf under greenlets and gevent, against a real ZEO server, and
against RelStorage on PostgreSQL when one is given (see conftest.py).

Each gevent scenario runs in a fresh interpreter (tests/green_scenarios.py)
so that gevent patches exactly when the scenario says.
"""

import json
import os
import subprocess
import sys

import pytest
from ZODB.POSException import ConflictError

import sheraf

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_scenario(target, scenario, patching, timeout=180):
    """Run a scenario against ``target``: a database URI, or a ZEO server's
    ``(process, port)`` for the scenarios that stop it."""
    if isinstance(target, tuple):
        process, port = target
        target = [str(port), str(process.pid)]
    else:
        target = [target]
    result = subprocess.run(
        [sys.executable, "-m", "tests.green_scenarios", scenario, patching, *target],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("patching", ["plain", "first", "after"])
def test_50_greenlets_x_4_increments_lose_no_update(storage_uri, patching):
    result = run_scenario(storage_uri, "increments", patching)
    assert result["total"] == 200
    assert result["conflicts"] > 0  # they did collide, and attempt resolved it


@pytest.mark.parametrize("patching", ["plain", "first", "after"])
def test_100_concurrent_counter_increments_merge_with_no_retry(storage_uri, patching):
    result = run_scenario(storage_uri, "cheers", patching)
    assert result == {"total": 100, "retries": 0}


def test_other_greenlets_run_while_one_waits_on_a_stopped_server(sheraf_zeo_server):
    result = run_scenario(sheraf_zeo_server, "stopped_server", "first")
    assert result["ticks_while_blocked"] > 50  # 1.5 s of 10 ms ticks, give or take
    assert not result["done_while_blocked"]
    assert result["waited"] >= 1.4
    assert result["total"] == 1000


def test_a_server_that_stops_answering_ends_in_a_clear_error(sheraf_zeo_server):
    result = run_scenario(sheraf_zeo_server, "response_timeout", "first")
    assert "did not answer within 1 s" in result["error"]
    assert result["waited"] < 5
    assert result["ticks_while_blocked"] > 30
    assert result["recovered"]


@pytest.mark.parametrize("patching", ["first", "after"])
def test_a_killed_greenlet_writes_nothing_and_returns_its_connection(
    storage_uri, patching
):
    result = run_scenario(storage_uri, "killed_greenlet", patching)
    assert result == {
        "open_during": 1,
        "open_after": 0,
        "gunskill": 0,
        "count": 1,
        "killed": True,
    }


@pytest.mark.parametrize("patching", ["first", "after"])
def test_1000_greenlets_stay_within_the_pool(storage_uri, patching):
    result = run_scenario(storage_uri, "pool", patching)
    assert result["finished"] == 1000
    assert result["warnings"] == 0
    assert result["most_open"] <= result["pool_size"] == 7
    assert result["connections_alive"] <= result["pool_size"]
    assert result["open_after"] == 0


def test_a_client_opened_before_patching_is_opened_again_cooperative(storage_uri):
    result = run_scenario(storage_uri, "created_before_patching", "plain")
    assert result["reopened"]
    assert result["finished"] == 20
    assert result["total"] == 20
    assert result["ticks"] > 0


@pytest.mark.parametrize("patching", ["first", "after"])
def test_two_databases_share_the_hub(storage_uri, patching):
    result = run_scenario(storage_uri, "two_databases", patching)
    assert result["errors"] == []
    assert result["finished"] == 20
    # both databases are the same storage: 20 visits in all
    assert result["visits"] == {"unnamed": 20, "second": 20}


class Cowboy(sheraf.Model):
    table = "green_conflict_cowboys"
    name = sheraf.StringAttribute()
    gunskill = sheraf.IntegerAttribute()


@pytest.fixture
def nestable_db(storage_uri):
    database = sheraf.Database(storage_uri, nestable=True)
    yield database
    database.close()


def concurrent(cowboy_id, first_write, second_write):
    with sheraf.connection() as outer:
        cowboy = Cowboy.read(cowboy_id)
        cowboy.gunskill  # loaded in the outer transaction
        with sheraf.connection(commit=True):
            first_write(Cowboy.read(cowboy_id))
        second_write(cowboy)
        outer.transaction_manager.commit()


def test_writes_of_the_same_key_conflict_even_with_equal_values(nestable_db):
    with sheraf.connection(commit=True):
        cowboy_id = Cowboy.create(name="George", gunskill=1).id

    def set_two(cowboy):
        cowboy.gunskill = 2

    with pytest.raises(ConflictError):
        concurrent(cowboy_id, set_two, set_two)


def test_writes_of_different_keys_merge(nestable_db):
    with sheraf.connection(commit=True):
        cowboy_id = Cowboy.create(name="George", gunskill=1).id

    def rename(cowboy):
        cowboy.name = "Georgy"

    def train(cowboy):
        cowboy.gunskill = 2

    concurrent(cowboy_id, rename, train)
    with sheraf.connection():
        cowboy = Cowboy.read(cowboy_id)
        assert (cowboy.name, cowboy.gunskill) == ("Georgy", 2)
