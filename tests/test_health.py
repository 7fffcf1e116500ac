"""sheraf.health on a real ZEO server: corruption made by hand through
ZODB, found by the checks, repaired by the fixes, and a clean check after.

The corruptions are what a crash, a bug or an index added to a model
without a rebuild leave behind:

- an instance filed under a stale key (its name changed, the index did
  not follow);
- an entry whose instance is gone (removed from the table, not from the
  index);
- a missing index table (an index added to a table that held instances).
"""

import io
import os
import subprocess
import sys
import threading
import time

import pytest
import rich.console

import sheraf
from sheraf import health
from sheraf.health.fixes import Batches
from sheraf.health.fixes import Interrupted
from sheraf.health.progress import NoProgress
from sheraf.servers import free_port
from sheraf.servers import stop_zeo_server


class Cowboy(sheraf.Model):
    table = "health_test_cowboys"
    name = sheraf.StringAttribute().index(unique=True)
    town = sheraf.StringAttribute().index()
    gunskill = sheraf.IntegerAttribute(default=0)


PATH = "tests.test_health.Cowboy"
TOWNS = ["Yuma", "Tombstone", "Dodge"]


@pytest.fixture
def database(sheraf_zeo_database):
    """The default database, on a real ZEO server."""
    return sheraf_zeo_database


def hire(count, start=0):
    with sheraf.connection(commit=True):
        return [
            Cowboy.create(name=f"cowboy{n}", town=TOWNS[n % 3]).id
            for n in range(start, start + count)
        ]


def raw_table(connection):
    """The table of Cowboy as ZODB stores it: index name -> BTree."""
    return connection.root()[Cowboy.table]


# Corruptions, each made by hand in one transaction. Each returns, by index,
# what the checks must count as KO, ``(instances missing from the index,
# wrong keys)``, and what the fix must do, ``(refiled, dropped)``.


def refile_under_a_stale_key(identifier):
    """The instance stays named "cowboyN"; its unique entry moves to
    "Jorge", and its multiple entry to a town it is not in."""
    with sheraf.connection(commit=True) as connection:
        table = raw_table(connection)
        cowboy = Cowboy.read(identifier)
        record = table["name"].pop(cowboy.name)
        table["name"]["Jorge"] = record
        table["town"][cowboy.town].pop(identifier)
        if not table["town"][cowboy.town]:
            del table["town"][cowboy.town]
        table["town"]["Nowhere"] = type(table["town"])({identifier: record})
    return {"name": (1, 1), "town": (1, 1)}, {"name": (1, 1), "town": (1, 1)}


def remove_the_instance_only(identifier):
    """The instance goes from the table; its index entries stay."""
    with sheraf.connection(commit=True) as connection:
        table = raw_table(connection)
        del table["id"][identifier]
        table["__length__"].change(-1)
    return {"name": (0, 1), "town": (0, 1)}, {"name": (0, 1), "town": (0, 1)}


def drop_an_index_table(identifier):
    """The whole "town" index is gone."""
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]
    with sheraf.connection():
        count = Cowboy.count()
    return {"name": (0, 0), "town": (count, 0)}, {"name": (0, 0), "town": (count, 0)}


CORRUPTIONS = [refile_under_a_stale_key, remove_the_instance_only, drop_an_index_table]


def ko_counts(report):
    """``{index: (instances KO, keys KO)}`` of a check_health report."""
    instances = report["check_attributes_index"][PATH]
    keys = report["check_model_index"][PATH]
    return {
        name: (instances[name]["ko"], keys.get(name, {"ko": 0})["ko"])
        for name in ("name", "town")
    }


def check():
    with sheraf.connection():
        return health.check_health(Cowboy)


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_check_finds_each_corruption_and_fix_repairs_it(database, corrupt):
    identifiers = hire(12)
    assert health.is_healthy(check())
    found, repaired = corrupt(identifiers[4])

    report = check()
    assert ko_counts(report) == found
    assert not health.is_healthy(report)

    with sheraf.connection():
        fixed = health.fix_health(Cowboy)[PATH]
    assert {
        name: (counts["refiled"], counts["dropped"]) for name, counts in fixed.items()
    } == repaired
    report = check()
    assert health.is_healthy(report), report
    assert ko_counts(report) == {"name": (0, 0), "town": (0, 0)}

    with sheraf.connection():
        again = health.fix_health(Cowboy)[PATH]
    assert again == {
        "name": {"refiled": 0, "dropped": 0},
        "town": {"refiled": 0, "dropped": 0},
    }


def test_every_corruption_at_once_is_found_and_repaired(database):
    identifiers = hire(30)
    for corrupt, identifier in zip(CORRUPTIONS, identifiers[3:], strict=False):
        corrupt(identifier)
    assert not health.is_healthy(check())
    with sheraf.connection():
        health.fix_health("tests.test_health")
    assert health.is_healthy(check())
    with sheraf.connection():
        assert Cowboy.count() == 29
        assert {c.name for c in Cowboy.search(town="Yuma")} == {
            f"cowboy{n}" for n in range(0, 30, 3) if n != 4
        }
        assert Cowboy.read(name="cowboy3").id == identifiers[3]


def _start_zeo_server_without_sheraf(data_dir):
    """A ZEO server whose Python cannot import sheraf."""
    port = free_port()
    config = os.path.join(data_dir, "zeo.conf")
    with open(config, "w") as file:
        file.write(
            f"<zeo>\n  address 127.0.0.1:{port}\n</zeo>\n"
            f"<filestorage>\n  path {data_dir}/Data.fs\n</filestorage>\n"
        )
    code = (
        "import sys; sys.modules['sheraf'] = None; from ZEO.runzeo import main; main()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "-C", config],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process, port


def test_conflict_resolution_is_ok_when_the_server_imports_sheraf(database):
    with sheraf.connection():
        assert health.check_conflict_resolution() is True
        assert health.check_health(other_checks=["check_conflict_resolution"]) == {
            "check_conflict_resolution": True
        }
    with sheraf.connection() as connection:
        assert health.checks.CONFLICT_CHECK_KEY not in connection.root()


def test_conflict_resolution_is_ko_when_the_server_cannot_import_sheraf(tmp_path):
    process, port = _start_zeo_server_without_sheraf(str(tmp_path))
    try:
        database = sheraf.Database(f"zeo://127.0.0.1:{port}?wait_timeout=30")
        try:
            with sheraf.connection():
                assert health.check_conflict_resolution() is False
            with sheraf.connection() as connection:
                assert health.checks.CONFLICT_CHECK_KEY not in connection.root()
        finally:
            database.close()
    finally:
        stop_zeo_server(process)


def test_print_health_prints_a_table_per_check(database):
    identifiers = hire(6)
    remove_the_instance_only(identifiers[0])
    out = io.StringIO()
    with sheraf.connection():
        report = health.print_health(
            Cowboy, console=rich.console.Console(file=out, width=120)
        )
    printed = out.getvalue()
    assert not health.is_healthy(report)
    for title in (
        "check_conflict_resolution",
        "check_model_index",
        "check_attributes_index",
    ):
        assert title in printed
    rows = [" ".join(line.strip("│ ").split()) for line in printed.splitlines()]
    # Keys: the orphan's name, and the town it is in, among 6 + 3 keys.
    assert "tests.test_health.Cowboy │ 2 │ 7" in rows
    assert "- name │ 1 │ 5" in rows
    assert "tests.test_health.Cowboy │ 0 │ 10" in rows  # the 5 instances
    assert "check_conflict_resolution │ OK" in rows


def test_the_checks_can_be_chosen(database):
    hire(3)
    with sheraf.connection():
        report = health.check_health(Cowboy, model_checks=["index"])
    assert list(report) == ["check_model_index"]


def test_models_are_found_from_modules_paths_and_classes():
    found = {path for path, _ in health.discover_models("tests.test_health")}
    assert PATH in found
    assert health.discover_models(PATH) == {(PATH, Cowboy)}
    assert health.discover_models(Cowboy) == {(PATH, Cowboy)}
    assert "examples.saloon.models.Cowboy" in {
        path for path, _ in health.discover_models("examples.saloon")
    }
    with pytest.raises(health.UnknownModelError, match="'tests.nosuch'"):
        health.discover_models("tests.nosuch")
    with pytest.raises(
        health.UnknownModelError,
        match="No module or model named 'tests.test_health.Nobody'",
    ):
        health.discover_models("tests.test_health.Nobody")
    with pytest.raises(health.UnknownModelError, match="'TOWNS' is not a model"):
        health.discover_models("tests.test_health.TOWNS")


def test_rebuild_files_only_the_positions_asked_and_reset_drops(database):
    hire(20)
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]
        raw_table(connection)["name"]["Jorge"] = next(
            iter(raw_table(connection)["id"].values())
        )
    with sheraf.connection():
        report = health.rebuild(Cowboy, "town", reset=False, start=5, end=12)
    assert report == {"town": {"refiled": 7, "dropped": 0}}
    with sheraf.connection() as connection:
        identifiers = list(raw_table(connection)["id"].keys())
        filed = {
            identifier
            for bucket in raw_table(connection)["town"].values()
            for identifier in bucket.keys()
        }
        assert filed == set(identifiers[5:12])
        assert "Jorge" in raw_table(connection)["name"]
    with sheraf.connection():
        assert health.rebuild(Cowboy, "name", reset=True) == {
            "name": {"refiled": 0, "dropped": 1}
        }
        assert health.rebuild(Cowboy) == {
            "name": {"refiled": 0, "dropped": 0},
            "town": {"refiled": 13, "dropped": 0},
        }
    assert health.is_healthy(check())


def hire_without_the_town_index(count):
    hire(count)
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]


def stop_after(batches):
    """An ``interrupted()`` that asks to stop after ``batches`` batches."""
    asked = []

    def interrupted():
        asked.append(True)
        return len(asked) > batches

    return interrupted


def test_batches_are_committed_one_by_one_and_stop_when_asked(database):
    hire_without_the_town_index(50)
    batches = Batches(10, interrupted=stop_after(3))
    with sheraf.connection():
        with pytest.raises(Interrupted, match="Cowboy: filing: stopped after 30"):
            health.rebuild(Cowboy, "town", reset=False, batches=batches)
    with sheraf.connection() as connection:
        assert sum(len(b) for b in raw_table(connection)["town"].values()) == 30


def test_without_commit_nothing_is_written_when_stopped(database):
    hire_without_the_town_index(30)
    batches = Batches(10, commit=False, interrupted=stop_after(2))
    with sheraf.connection():
        with pytest.raises(Interrupted):
            sheraf.attempt(
                health.rebuild, args=(Cowboy, "town"), kwargs={"batches": batches}
            )
    with sheraf.connection() as connection:
        assert "town" not in raw_table(connection)


class CacheWatch(NoProgress):
    """Progress that notes the most objects the caches held, after each
    batch."""

    def __init__(self, database):
        self.database = database
        self.most = 0

    def task(self, label, total):
        task = super().task(label, total)
        advance = task.advance

        def advance_and_watch(steps):
            advance(steps)
            self.most = max(self.most, self.database.db.cacheSize())

        task.advance = advance_and_watch
        return task


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "one transaction"])
def test_memory_stays_flat_the_cache_is_trimmed_between_batches(
    sheraf_zeo_server, commit
):
    _, port = sheraf_zeo_server
    database = sheraf.Database(f"zeo://127.0.0.1:{port}", db_args={"cache_size": 200})
    try:
        for start in range(0, 3000, 500):
            hire(500, start)
        with sheraf.connection(commit=True) as connection:
            del raw_table(connection)["town"]
        watch = CacheWatch(database)
        with sheraf.connection():
            sheraf.attempt(
                health.rebuild,
                args=(Cowboy,),
                kwargs={"batches": Batches(100, commit=commit, progress=watch)},
            )
        # Each instance is two records, and the indexes hold more: never
        # trimmed, the cache would end with well over 6000 objects.
        assert 0 < watch.most < 1500
        assert health.is_healthy(check())
    finally:
        database.close()


def test_a_rebuild_loses_no_concurrent_write_and_leaves_nothing_stale(database):
    """Writers rename, move, create and delete cowboys while a fix runs in
    small batches, and each conflict runs a batch or a write again."""
    identifiers = hire(300)
    with sheraf.connection(commit=True) as connection:
        table = raw_table(connection)
        for name in list(table["name"].keys())[::7]:
            table["name"][f"stale {name}"] = table["name"].pop(name)
        for town in TOWNS:
            for identifier in list(table["town"][town].keys())[::5]:
                del table["town"][town][identifier]
    stop = threading.Event()
    acknowledged = {}
    deleted = set()
    errors = []

    def write(writer):
        number = 0
        while not stop.is_set():
            number += 1
            target = identifiers[(writer * 37 + number * 11) % len(identifiers)]

            def change(target=target, number=number):
                if target in deleted or not Cowboy.exists(target):
                    return "gone"
                cowboy = Cowboy.read(target)
                if number % 10 == 0:
                    cowboy.delete()
                    return "deleted"
                cowboy.name = f"w{writer}-{number}"
                cowboy.town = TOWNS[number % 3]
                return cowboy.name

            def create(number=number):
                return Cowboy.create(name=f"new{writer}-{number}", town="Yuma").id

            try:
                with sheraf.connection():
                    outcome = sheraf.attempt(change, attempts=50)
                    if outcome == "deleted":
                        deleted.add(target)
                    elif outcome != "gone":
                        acknowledged[target] = outcome
                    new = sheraf.attempt(create, attempts=50)
                    acknowledged[new] = f"new{writer}-{number}"
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(0.2)
        with sheraf.connection():
            report = health.fix_health(Cowboy, batches=Batches(15))[PATH]
        time.sleep(0.2)
    finally:
        stop.set()
        for writer in writers:
            writer.join(60)
    assert not errors, errors
    assert report["town"]["refiled"] > 20  # the writers filed the others
    assert report["name"]["dropped"] > 10
    assert len(acknowledged) > 50

    assert health.is_healthy(check())
    with sheraf.connection():
        for identifier, name in acknowledged.items():
            if identifier in deleted:
                assert not Cowboy.exists(identifier)
                continue
            cowboy = Cowboy.read(identifier)
            assert cowboy.name == name
            assert Cowboy.read(name=name) == cowboy
            assert cowboy in Cowboy.search(town=cowboy.town)


def test_a_write_that_missed_an_index_being_built_runs_again_and_files(database):
    """A writer that found no town index (and filed nothing there) commits
    after a rebuild built it: its transaction conflicts, and its second
    attempt files the instance."""
    hire_without_the_town_index(5)
    attempts = []

    def hire_while_the_index_is_built():
        attempts.append(True)
        if len(attempts) > 1:
            return Cowboy.create(name="George", town="Yuma").id
        with pytest.warns(sheraf.exceptions.IndexationWarning):  # no town index
            george = Cowboy.create(name="George", town="Yuma")
        health.checks.in_own_context(rebuild_in_own_connection)  # commits it
        return george.id

    def rebuild_in_own_connection():
        with sheraf.connection():
            health.rebuild(Cowboy, "town")

    with sheraf.connection():
        george_id = sheraf.attempt(hire_while_the_index_is_built)
    assert len(attempts) == 2
    assert health.is_healthy(check())
    with sheraf.connection():
        assert Cowboy.read(name="George") in Cowboy.search(town="Yuma")
        assert Cowboy.read(george_id).town == "Yuma"


def unfile_by_hand(identifier):
    """The instance stays in the table; its name and town entries go, as
    if lost (a key left empty goes too)."""
    with sheraf.connection(commit=True) as connection:
        table = raw_table(connection)
        cowboy = Cowboy.read(identifier)
        del table["name"][cowboy.name]
        del table["town"][cowboy.town][identifier]
        if not table["town"][cowboy.town]:
            del table["town"][cowboy.town]


def attempts_of_a_change_during_a_rebuild(identifier, change):
    """How many attempts ``change(cowboy)`` takes, in a transaction begun
    before a rebuild of Cowboy's indexes commits (in the first attempt)."""
    attempts = []

    def change_while_the_indexes_are_rebuilt():
        attempts.append(True)
        cowboy = Cowboy.read(identifier)
        if len(attempts) == 1:
            health.checks.in_own_context(rebuild_in_own_connection)  # commits
        change(cowboy)

    def rebuild_in_own_connection():
        with sheraf.connection():
            changes = health.rebuild(Cowboy)
        assert any(count for counts in changes.values() for count in counts.values())

    with sheraf.connection():
        sheraf.attempt(change_while_the_indexes_are_rebuilt)
    return len(attempts)


def move_and_rename(cowboy):
    cowboy.name = "Jorge"
    cowboy.town = "Dodge"


@pytest.mark.parametrize("change", [move_and_rename, Cowboy.delete])
@pytest.mark.parametrize("count", [1, 120], ids=["alone", "among others"])
def test_a_write_that_found_no_entry_to_remove_runs_again_after_a_refile(
    database, change, count
):
    """A writer moves (or deletes) a cowboy that the indexes miss, in a
    transaction begun before a rebuild filed the cowboy again: the writer
    found no entry to remove, so its commit conflicts with the rebuild's,
    and its second attempt removes the entries the rebuild made. (Else they
    would stay: stale, or orphans.) Alone, the cowboy's keys are gone from
    the indexes; among others, its town's bucket is split in several."""
    george = hire(count)[0]  # cowboy0, in Yuma
    unfile_by_hand(george)
    assert attempts_of_a_change_during_a_rebuild(george, change) == 2
    assert health.is_healthy(check())
    with sheraf.connection():
        assert Cowboy.count() == count - (change is Cowboy.delete)
        assert not Cowboy.exists(name="cowboy0")
        assert sorted(c.id for c in Cowboy.search(town="Yuma")) == sorted(
            Cowboy.read(name=f"cowboy{n}").id for n in range(3, count, 3)
        )


def test_a_write_that_found_its_entry_already_filed_runs_again_after_a_drop(
    database,
):
    """A writer moves a cowboy to the town a stale entry files it under, in
    a transaction begun before a rebuild dropped that entry: the writer
    found the entry it would add already there, so its commit conflicts
    with the rebuild's, and its second attempt files the cowboy again.
    (Else the cowboy would be missing from its town.)"""
    george = hire(3)[0]  # cowboy0, in Yuma
    with sheraf.connection(commit=True) as connection:
        towns = raw_table(connection)["town"]
        towns["Dodge"][george] = towns["Yuma"][george]

    def move(cowboy):
        cowboy.town = "Dodge"

    assert attempts_of_a_change_during_a_rebuild(george, move) == 2
    assert health.is_healthy(check())
    with sheraf.connection():
        assert Cowboy.read(george) in Cowboy.search(town="Dodge")
