"""The ``sheraf`` command, run as a user runs it: a subprocess on a real ZEO
server, its exit status and what it prints."""

import os
import signal
import subprocess
import sys
import time

import pytest

import sheraf
from sheraf.servers import free_port
from tests.test_health import CORRUPTIONS
from tests.test_health import PATH
from tests.test_health import Cowboy
from tests.test_health import hire
from tests.test_health import raw_table

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHERAF = os.path.join(os.path.dirname(sys.executable), "sheraf")


def sheraf_command(*args, timeout=120):
    """Run ``sheraf ARGS...`` from the project's folder, output not a
    terminal."""
    return subprocess.run(
        [SHERAF, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def last_transaction(database):
    database.db.storage.sync()
    return database.db.lastTransaction()


def test_check_of_a_healthy_database_exits_0_with_its_tables(sheraf_zeo_database):
    zeo_uri = sheraf_zeo_database.uri
    hire(5)
    result = sheraf_command(zeo_uri, "check", PATH)
    assert result.returncode == 0, result.stderr
    for title in (
        "check_conflict_resolution",
        "check_model_index",
        "check_attributes_index",
    ):
        assert title in result.stdout
    assert "Cowboy: checking: 5/5 in" in result.stderr  # plain progress lines


def test_check_then_fix_then_check_is_clean(sheraf_zeo_database):
    zeo_uri = sheraf_zeo_database.uri
    identifiers = hire(30)
    for corrupt, identifier in zip(CORRUPTIONS, identifiers[3:], strict=False):
        corrupt(identifier)

    found = sheraf_command(zeo_uri, "check", "tests.test_health")
    assert found.returncode == 1, found.stderr
    assert "check_model_index" in found.stdout

    fixed = sheraf_command(zeo_uri, "fix", "tests.test_health", "--batch-size", "7")
    assert fixed.returncode == 0, fixed.stderr
    assert f"{PATH}.name: 1 refiled, 2 dropped" in fixed.stdout
    assert f"{PATH}.town: 29 refiled, 0 dropped" in fixed.stdout

    again = sheraf_command(zeo_uri, "check", "tests.test_health")
    assert again.returncode == 0, again.stdout
    fixed_again = sheraf_command(zeo_uri, "fix", PATH)
    assert f"{PATH}.name: 0 refiled, 0 dropped" in fixed_again.stdout


@pytest.mark.parametrize(
    "options",
    [
        ["--commit", "--batch-size", "4"],
        ["--no-commit"],
        ["--fork", "--batch-size", "6"],
        ["--no-reset", "--commit", "--start", "0", "--end", "30"],
    ],
    ids=["commit", "no-commit", "fork", "no-reset"],
)
def test_rebuild_builds_a_missing_index(sheraf_zeo_database, options):
    zeo_uri = sheraf_zeo_database.uri
    hire(20)
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]
    result = sheraf_command(zeo_uri, "rebuild", PATH, "--index", "town", *options)
    assert result.returncode == 0, result.stderr
    assert f"{PATH}.town: 20 refiled, 0 dropped" in result.stdout
    assert "Cowboy: filing: 20/20 in" in result.stderr
    assert sheraf_command(zeo_uri, "check", PATH).returncode == 0


def test_rebuild_of_part_of_a_table(sheraf_zeo_database):
    zeo_uri = sheraf_zeo_database.uri
    hire(20)
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]
    result = sheraf_command(
        zeo_uri, "rebuild", PATH, "--index", "town", "--start", "5", "--end", "15"
    )
    assert result.returncode == 0, result.stderr
    assert f"{PATH}.town: 10 refiled, 0 dropped" in result.stdout
    assert sheraf_command(zeo_uri, "check", PATH).returncode == 1


def test_ctrl_c_stops_between_batches_and_keeps_what_was_committed(sheraf_zeo_database):
    zeo_uri = sheraf_zeo_database.uri
    for start in range(0, 3000, 1000):
        hire(1000, start)
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]
    process = subprocess.Popen(
        [SHERAF, zeo_uri, "rebuild", PATH, "--index", "town", "--commit"]
        + ["--batch-size", "2"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The (empty) index's entries first, then 2 s of filing.
        assert "Cowboy.town: dropping stale entries: 0/0" in process.stderr.readline()
        assert "Cowboy: filing:" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert "Stopped: Cowboy: filing: stopped after" in stderr
    assert "the batches already committed are kept" in stderr
    assert "Traceback" not in stderr
    with sheraf.connection() as connection:
        connection.sync()
        filed = sum(len(bucket) for bucket in raw_table(connection)["town"].values())
    done = int(stderr.split("stopped after ")[1].split(";")[0])
    assert 0 < filed == done < 3000


# Bad input: one line on the standard error, exit status 2, nothing written.


def _bad_inputs(zeo_uri):
    unreachable = f"zeo://127.0.0.1:{free_port()}?wait_timeout=1"
    return [
        (
            ["nosuch://here", "check", PATH],
            "no installed resolver knows the scheme 'nosuch'",
        ),
        (["not a uri", "check", PATH], "Cannot open 'not a uri'"),
        ([zeo_uri, "check", "tests.nosuch"], "No module or model named 'tests.nosuch'"),
        ([zeo_uri, "fix", "tests.test_health.Nobody"], "'tests.test_health.Nobody'"),
        ([zeo_uri, "rebuild", PATH, "--index", "nope"], "has no index 'nope'"),
        ([zeo_uri, "rebuild", PATH, "--batch-size", "0"], "--batch-size"),
        ([zeo_uri, "rebuild", PATH, "--start", "-1"], "--start"),
        ([zeo_uri, "rebuild"], "Missing argument 'MODELS...'"),
        ([zeo_uri, "fix"], "Missing argument 'MODELS...'"),
        ([zeo_uri, "nosuch"], "No such command 'nosuch'"),
        ([zeo_uri], "Missing command"),
        (["memory://", "rebuild", PATH, "--fork"], "--fork needs a database server"),
        ([unreachable, "check", PATH], "Cannot open database 'unnamed'"),
        ([unreachable, "fix", PATH], "Cannot open database 'unnamed'"),
    ]


def test_bad_input_is_one_line_with_exit_status_2_and_nothing_written(
    sheraf_zeo_database,
):
    zeo_uri = sheraf_zeo_database.uri
    hire(3)
    with sheraf.connection(commit=True) as connection:
        del raw_table(connection)["town"]
    before = last_transaction(sheraf_zeo_database)
    for args, message in _bad_inputs(zeo_uri):
        result = sheraf_command(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("sheraf: error: "), lines
        assert message in lines[0], (args, lines[0])
        assert result.stdout == "", args
    assert last_transaction(sheraf_zeo_database) == before
    with sheraf.connection():
        assert Cowboy.outdated_indexes() == ["town"]


def test_an_unreachable_database_fails_in_bounded_time():
    started = time.monotonic()
    result = sheraf_command(f"zeo://127.0.0.1:{free_port()}?wait_timeout=1", "check")
    assert result.returncode == 2
    assert time.monotonic() - started < 30


def test_help_names_the_commands():
    result = sheraf_command("--help")
    assert result.returncode == 0
    for command in ("check", "fix", "rebuild"):
        assert command in result.stdout
    rebuild = sheraf_command("zeo://x:1", "rebuild", "--help")
    for option in (
        "--index",
        "--batch-size",
        "--commit / --no-commit",
        "--reset / --no-reset",
        "--fork / --no-fork",
        "--start",
        "--end",
    ):
        assert option in rebuild.stdout
