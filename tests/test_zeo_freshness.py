"""A connection context sees every transaction the ZEO server acknowledged
before it opened, whichever client committed it: the commit of another
process (a gunicorn worker, a child process) is not missed because its
invalidation is still on its way to this client."""

import subprocess
import sys
import threading

import pytest

import sheraf

ROUNDS = 300


def open_clients(port, query=""):
    writer = sheraf.Database(
        f"zeo://127.0.0.1:{port}{query}", db_args={"database_name": "writer"}
    )
    reader = sheraf.Database(
        f"zeo://127.0.0.1:{port}{query}", db_args={"database_name": "reader"}
    )
    return writer, reader


def stale_reads(port, query=""):
    """Commit a new value with one client, read it at once with another,
    ROUNDS times; the rounds where the reader saw an older value."""
    writer, reader = open_clients(port, query)
    stale = []
    try:
        for value in range(ROUNDS):
            with sheraf.connection("writer", commit=True) as connection:
                connection.root()["value"] = value
            with sheraf.connection("reader") as connection:
                seen = connection.root().get("value")
            if seen != value:
                stale.append((value, seen))
    finally:
        writer.close()
        reader.close()
    return stale


@pytest.mark.timeout(120)
def test_a_connection_sees_what_another_client_committed_before(sheraf_zeo_server):
    _, port = sheraf_zeo_server
    assert stale_reads(port) == []


@pytest.mark.timeout(120)
def test_threads_of_two_clients_see_each_other_s_commits(sheraf_zeo_server):
    """The same, with the reader's invalidations competing with a busy
    thread of the reading process."""
    _, port = sheraf_zeo_server
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            sum(range(10_000))

    spinner = threading.Thread(target=busy)
    spinner.start()
    try:
        assert stale_reads(port) == []
    finally:
        stop.set()
        spinner.join(10)


def test_server_sync_must_be_a_boolean(sheraf_zeo_server):
    _, port = sheraf_zeo_server
    with pytest.raises(sheraf.exceptions.InvalidURIException, match="server_sync"):
        sheraf.Database(f"zeo://127.0.0.1:{port}?server_sync=maybe")


GREENLETS_SHARING = """
from gevent import monkey; monkey.patch_all()
import gevent, sheraf
port = int(__import__("sys").argv[1])
writer = sheraf.Database(f"zeo://127.0.0.1:{port}", db_args={"database_name": "writer"})
reader = sheraf.Database(
    f"zeo://127.0.0.1:{port}", db_args={"database_name": "reader", "pool_size": 10}
)
storage = reader.storage
pings = []
ping = storage.ping
storage.ping = lambda: (pings.append(1), ping())[1]
stale = reads = 0
def read(value):
    global stale, reads
    with sheraf.connection("reader") as connection:
        reads += 1
        stale += connection.root().get("value") != value
for value in range(50):
    with sheraf.connection("writer", commit=True) as connection:
        connection.root()["value"] = value
    gevent.joinall([gevent.spawn(read, value) for _ in range(10)], timeout=30)
print(reads, stale, len(pings))
"""


@pytest.mark.timeout(120)
def test_greenlets_that_open_at_once_share_the_round_trip_and_see_the_commit(
    sheraf_zeo_server,
):
    _, port = sheraf_zeo_server
    result = subprocess.run(
        [sys.executable, "-c", GREENLETS_SHARING, str(port)],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert result.returncode == 0, result.stderr
    reads, stale, pings = map(int, result.stdout.split())
    assert (reads, stale) == (500, 0)
    # The first greenlet of a round pings alone; the nine that open while
    # its round trip is on its way share the next one.
    assert pings <= 3 * 50, pings
