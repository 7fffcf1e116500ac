"""A ZEO server killed (SIGKILL) and started again on the same data and
port, seen from sheraf's own ZEO client in this process.

The same outage under gunicorn, with the example application, is in
tests/test_faults_gunicorn.py.
"""

import os
import signal
import time

import pytest
from ZEO.Exceptions import ClientDisconnected

import sheraf
from sheraf.servers import start_zeo_server
from sheraf.servers import stop_zeo_server


class Cowboy(sheraf.Model):
    table = "faults_zeo_cowboys"
    name = sheraf.StringAttribute()


class Server:
    """A ZEO server that a test can kill and start again; stopped at the end."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.process, self.port = start_zeo_server(data_dir)

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def restart(self):
        self.process, _ = start_zeo_server(self.data_dir, self.port)

    def stop(self):
        stop_zeo_server(self.process)


@pytest.fixture
def server(tmp_path):
    server = Server(str(tmp_path))
    try:
        yield server
    finally:
        server.stop()


def open_database(server, name, wait_timeout=5):
    return sheraf.Database(
        f"zeo://127.0.0.1:{server.port}?wait_timeout={wait_timeout}",
        db_args={"database_name": name},
    )


def wait_until(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def create_cowboys(database_name, names):
    # Catch up with the other client's commits first.
    sheraf.Database.get(database_name).storage.ping()
    with sheraf.connection(database_name, commit=True):
        records = [Cowboy.create(name=name).mapping for name in names]
    return [record._p_oid for record in records]


def test_a_restarted_server_gives_no_oid_twice(server):
    """A killed server forgets the object ids it gave out and that no
    transaction stored; clients must not use the ones they still hold."""
    first, second = open_database(server, "first"), open_database(server, "second")
    try:
        # Each client takes a batch of 100 ids from the server and keeps
        # most of them: the server gave out 200 ids, and stored a few.
        oids = create_cowboys("first", ["George"]) + create_cowboys("second", ["Harry"])
        server.kill()
        server.restart()
        wait_until(
            lambda: first.storage.is_connected() and second.storage.is_connected(),
            15,
            "the clients did not reconnect",
        )
        # The first client uses up its batch and takes another one: the
        # restarted server gives out ids of the second client's batch again.
        oids += create_cowboys("first", [f"First {n:03}" for n in range(150)])
        oids += create_cowboys("second", [f"Second {n}" for n in range(5)])
        assert len(set(oids)) == len(oids) == 157
        first.storage.ping()  # catch up with the second client's commits
        with sheraf.connection("first"):
            assert Cowboy.count() == 157
            assert {cowboy.name for cowboy in Cowboy.all()} >= {
                "Harry",
                "Second 4",
                "First 149",
            }
    finally:
        first.close()
        second.close()


def test_a_commit_while_the_server_is_down_fails_without_waiting_twice(server):
    """A commit that cannot reach the server fails with one of sheraf's
    DatabaseUnavailableException (still a ZEO ClientDisconnected) once
    ``wait_timeout`` is over, at most: aborting it does not wait for the
    server again, since the server forgets the transactions of a connection
    it lost."""
    database = open_database(server, "unnamed", wait_timeout=3)
    try:
        with sheraf.connection(commit=True):
            cowboy_id = Cowboy.create(name="George").id
        with sheraf.connection() as connection:
            Cowboy.read(cowboy_id).name = "Georgy"
            server.kill()
            wait_until(
                lambda: not database.storage.is_connected(), 10, "no disconnection"
            )
            started = time.monotonic()
            with pytest.raises(sheraf.DatabaseUnavailableException) as info:
                connection.transaction_manager.commit()
            assert isinstance(info.value, ClientDisconnected)
            failed_after = time.monotonic() - started
        assert failed_after < 1.5, f"the commit failed after {failed_after:.2f} s"

        server.restart()
        wait_until(database.storage.is_connected, 15, "no reconnection")
        with sheraf.connection(commit=True):
            assert Cowboy.read(cowboy_id).name == "George"
            Cowboy.read(cowboy_id).name = "Georgy"
        with sheraf.connection():
            assert Cowboy.read(cowboy_id).name == "Georgy"
    finally:
        database.close()


def test_attempt_does_not_retry_a_server_that_is_down(server):
    """A server that cannot be reached is no conflict: sheraf.attempt fails
    at the end of the first ``wait_timeout``, with sheraf's exception."""
    database = open_database(server, "unnamed", wait_timeout=1)
    try:
        with sheraf.connection(commit=True):
            cowboy_id = Cowboy.create(name="George").id
        server.kill()
        wait_until(lambda: not database.storage.is_connected(), 10, "no disconnection")
        calls = []

        def rename():
            calls.append(1)
            Cowboy.read(cowboy_id).name = "Georgy"

        started = time.monotonic()
        with sheraf.connection():
            with pytest.raises(
                sheraf.DatabaseUnavailableException, match="not connected"
            ):
                sheraf.attempt(rename, attempts=5)
        failed_after = time.monotonic() - started
        # Never run twice; with ZEO's server_sync, the transaction's begin
        # already asks the server, and fails before running it at all.
        assert calls in ([], [1])
        assert failed_after < 3, f"attempt failed after {failed_after:.2f} s"
    finally:
        database.close()
