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
import os
import sys
import time

import flask
import greenlet

import sheraf
from examples.saloon.models import Cowboy

# Routes that run in a request's connection context, and routes outside any.
in_transaction = flask.Blueprint("debug_in_transaction", __name__)
outside = flask.Blueprint("debug_outside", __name__)


def signed(app):
    """The WSGI application ``app``, its responses (the middleware's own
    included) carrying the ``X-Saloon-Worker`` header."""

    def signed_app(environ, start_response):
        def start_signed_response(status, headers, exc_info=None):
            return start_response(
                status, [*headers, ("X-Saloon-Worker", str(os.getpid()))], exc_info
            )

        return app(environ, start_signed_response)

    return signed_app


@outside.get("/debug/state")
def state():
    """What this worker holds."""
    gc.collect()
    greenlets = sum(
        1 for o in gc.get_objects() if isinstance(o, greenlet.greenlet) and not o.dead
    )
    database = sheraf.Database.get()
    return {
        "pid": os.getpid(),
        "greenlets": greenlets,
        "fds": len(os.listdir("/proc/self/fd")),
        "rss_kb": _rss_kb(),
        "connections_open": len(database.pool),
        "connections_alive": len(database.db.pool.all),
        "pool_size": database.db.getPoolSize(),
    }


@in_transaction.post("/debug/duel/<winner>/<loser>")
def duel(winner, loser):
    """Two writes, one transaction."""
    winner, loser = Cowboy.read(winner), Cowboy.read(loser)
    winner.gunskill += 1
    loser.gunskill -= 1
    seconds = flask.request.args.get("hang_in_commit", 0.0, type=float)
    if seconds:
        manager = sheraf.Database.current_connection().transaction_manager
        manager.get().join(_HangAfterVote(manager, seconds))
    return {"winner": winner.as_json(), "loser": loser.as_json()}


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
