"""Run the saloon: a ZEO server and gunicorn's gevent workers, on 127.0.0.1.

    python -m examples.saloon.launch [--data DIR] [--port PORT] [--workers N]
    python -m examples.saloon.launch --smoke [--requests N] [--concurrency C]
    python -m examples.saloon.launch --database postgres://user:password@host:port/db

Without ``--data``, the ZEO server keeps its FileStorage in a temporary
folder, deleted at the end. ``SALOON_ZEO_OPTIONS`` is the query string of
the workers' ZEO URI, their bounds on waiting for the server
(``wait_timeout=5`` by default; see :mod:`sheraf.zeo`). Ctrl-C (or
SIGTERM) stops gunicorn, then the ZEO server. ``--smoke`` drives a bounded
load instead of waiting: it prints the requests per second, checks that
every practice was counted, and stops everything.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

from sheraf.servers import AppServer
from sheraf.servers import drive
from sheraf.servers import exchange  # noqa: F401 (the saloon's tests use it)
from sheraf.servers import request

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


#: The saloon's WSGI application, as gunicorn imports it.
APPLICATION = "examples.saloon.app:application"


class Saloon(AppServer):
    """A running ZEO server and gunicorn serving the saloon, stopped by
    :meth:`stop`. With ``database_uri`` (RelStorage's ``postgres://...`` for
    instance), gunicorn alone, on that database. ``app`` is the WSGI
    application gunicorn serves (the bench serves the saloon with endpoints
    of its own beside it)."""

    def __init__(
        self,
        data_dir,
        port=None,
        workers=2,
        worker_class="gevent",
        preload=False,
        log_path=None,
        database_uri=None,
        app=APPLICATION,
    ):
        super().__init__(
            app,
            data_dir,
            "SALOON_DATABASE",
            port=port,
            workers=workers,
            worker_class=worker_class,
            preload=preload,
            log_path=log_path,
            database_uri=database_uri,
            # How long a request waits for the ZEO server to come back, or
            # to answer.
            zeo_options=os.environ.get("SALOON_ZEO_OPTIONS", "wait_timeout=5"),
            cwd=PROJECT,
        )


def smoke(saloon, requests, concurrency):
    """Practice one cowboy ``requests`` times, ``concurrency`` at a time,
    and check that every practice was counted. Return a report line and
    whether it passed."""
    status, cowboy = request(
        saloon.url, "POST", "/api/cowboys", {"name": f"Smoke {time.time()}"}
    )
    assert status == 201, (status, cowboy)
    path = f"/api/cowboys/{cowboy['id']}/practice"
    statuses, seconds = drive(saloon.url, "POST", path, requests, concurrency)
    successes = statuses.count(200)
    final = request(saloon.url, "GET", f"/api/cowboys/{cowboy['id']}")[1]["gunskill"]
    passed = successes == requests and final == requests
    report = (
        f"{requests} practice requests, {concurrency} at a time: {successes} succeeded in "
        f"{seconds:.2f} s ({requests / seconds:.0f} requests/s); final gunskill {final}: "
        + ("every practice was counted." if passed else "MISMATCH.")
    )
    return report, passed


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", help="folder of the ZEO server's data (a temporary one by default)"
    )
    parser.add_argument(
        "--database",
        help="a database URI for the workers, instead of a ZEO server of its own",
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (8000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--preload", action="store_true", help="import the app in gunicorn's master"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="drive a bounded load, then stop"
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="smoke requests (2000)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=20, help="smoke concurrency (20)"
    )
    args = parser.parse_args(argv)

    data_dir = args.data or tempfile.mkdtemp(prefix="saloon-")
    os.makedirs(data_dir, exist_ok=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    saloon = Saloon(
        data_dir,
        port=args.port if not args.smoke else None,
        workers=args.workers,
        preload=args.preload,
        database_uri=args.database,
    )
    passed = True
    try:
        where = (
            f"ZEO on 127.0.0.1:{saloon.zeo_port}, data in {data_dir}"
            if saloon.zeo
            else "on --database"
        )
        print(f"The saloon is open at {saloon.url} ({where}).", flush=True)
        if args.smoke:
            report, passed = smoke(saloon, args.requests, args.concurrency)
            print(report, flush=True)
        else:
            print("Ctrl-C to close it.", flush=True)
            while not stopping.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(
                signum, signal.SIG_IGN
            )  # a second Ctrl-C must not cut the stop short
        saloon.stop()
        if args.data is None:
            shutil.rmtree(data_dir, ignore_errors=True)
        print("The saloon is closed.", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
