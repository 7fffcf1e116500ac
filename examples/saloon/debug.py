"""Routes for the fault and soak tests, served only with ``SALOON_DEBUG=1``;
every response then says which worker served it, in ``X-Saloon-Worker``.

- ``GET /debug/state`` (no database): this worker's pid, its live
  greenlets, open file descriptors and resident memory, and its database
  connections: open in a connection context, alive in the pool, and the
  pool size.
- ``POST /debug/duel/<winner>/<loser>``: one transaction that writes two
  cowboys, the loser's gunskill point going to the winner, so that the
  sum of their gunskills never changes. With ``?hang_in_commit=S``, the
  transaction waits ``S`` seconds once the ZEO server has voted it (the
  server then holds its commit lock), and says so in the log if ``S`` is
  1 or more, for a test to kill the worker there.
"""

import gc
import json
import os
import sys
import time
from urllib.parse import parse_qs

import greenlet

import sheraf


def signed(start_response):
    """``start_response``, adding the ``X-Saloon-Worker`` header."""

    def start_signed_response(status, headers, exc_info=None):
        return start_response(
            status, [*headers, ("X-Saloon-Worker", str(os.getpid()))], exc_info
        )

    return start_signed_response


def state(environ, start_response):
    """``/debug/state``, a WSGI application: what this worker holds."""
    gc.collect()
    greenlets = sum(
        1 for o in gc.get_objects() if isinstance(o, greenlet.greenlet) and not o.dead
    )
    database = sheraf.Database.get()
    body = {
        "pid": os.getpid(),
        "greenlets": greenlets,
        "fds": len(os.listdir("/proc/self/fd")),
        "rss_kb": _rss_kb(),
        "connections_open": len(database.pool),
        "connections_alive": len(database.db.pool.all),
        "pool_size": database.db.getPoolSize(),
    }
    payload = json.dumps(body).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def duel(environ, winner, loser, read_cowboy):
    """``/debug/duel/<winner>/<loser>``: two writes, one transaction."""
    winner, loser = read_cowboy(winner), read_cowboy(loser)
    winner.gunskill += 1
    loser.gunskill -= 1
    seconds = float(
        parse_qs(environ.get("QUERY_STRING", "")).get("hang_in_commit", ["0"])[0]
    )
    if seconds:
        manager = sheraf.Database.current_connection().transaction_manager
        manager.get().join(_HangAfterVote(manager, seconds))
    return "200 OK", {"winner": winner.as_json(), "loser": loser.as_json()}


class _HangAfterVote:
    """A data manager that votes after the ZODB connection (its sort key
    comes last), then sleeps: meanwhile the ZEO server holds the commit lock
    for the transaction."""

    def __init__(self, manager, seconds):
        self.transaction_manager = manager
        self.seconds = seconds

    def sortKey(self):
        return "~saloon-debug-hang-after-vote"

    def tpc_vote(self, transaction):
        if self.seconds >= 1:
            print(
                f"saloon debug: worker {os.getpid()} holds the commit lock",
                file=sys.stderr,
                flush=True,
            )
        time.sleep(self.seconds)

    def abort(self, transaction):
        pass

    tpc_begin = commit = tpc_finish = tpc_abort = abort


def _rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None
