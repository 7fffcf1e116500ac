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
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import gunicorn

from sheraf.servers import free_port
from sheraf.servers import start_zeo_server
from sheraf.servers import stop_zeo_server

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Saloon:
    """A running ZEO server and gunicorn, stopped by :meth:`stop`. With
    ``database_uri`` (RelStorage's ``postgres://...`` for instance), gunicorn
    alone, on that database. ``app`` is the WSGI application gunicorn serves
    (the bench serves the saloon with endpoints of its own beside it)."""

    def __init__(
        self,
        data_dir,
        port=None,
        workers=2,
        worker_class="gevent",
        preload=False,
        log_path=None,
        database_uri=None,
        app="examples.saloon.app:application",
    ):
        self.data_dir = data_dir
        self.zeo, self.zeo_port = (
            start_zeo_server(data_dir) if database_uri is None else (None, None)
        )
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or os.path.join(data_dir, "gunicorn.log")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:sheraf.green.gunicorn",
            "--worker-class",
            worker_class,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-connections",
            "1000",
            "--graceful-timeout",
            "10",
            "--log-level",
            "info",
        ]
        command += ["--preload"] if preload else []
        if int(gunicorn.__version__.split(".")[0]) >= 27:
            command += [
                "--no-control-socket"
            ]  # one shared path for all instances otherwise
        command += [app]
        # How long a request waits for the ZEO server to come back, or to answer.
        zeo_options = os.environ.get("SALOON_ZEO_OPTIONS", "wait_timeout=5")
        environment = dict(
            os.environ, SALOON_DATABASE=f"zeo://127.0.0.1:{self.zeo_port}?{zeo_options}"
        )
        if database_uri is not None:
            environment["SALOON_DATABASE"] = database_uri
        try:
            with open(self.log_path, "ab") as log:
                self.gunicorn = subprocess.Popen(
                    command,
                    cwd=PROJECT,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._wait_until_serving(timeout=60)
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.gunicorn.returncode}):\n{self.log()[-3000:]}"
                )
            try:
                if request(self.url, "GET", "/health", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn did not serve within {timeout} s:\n{self.log()[-3000:]}"
        )

    def log(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def stop(self, timeout=30):
        """SIGTERM to gunicorn, SIGKILL after ``timeout``; then the ZEO
        server. Return gunicorn's exit code."""
        code = None
        gunicorn = getattr(self, "gunicorn", None)
        if gunicorn is not None and gunicorn.poll() is None:
            if (
                self.zeo is not None and self.zeo.poll() is None
            ):  # a test may have killed it
                os.kill(self.zeo.pid, signal.SIGCONT)
            gunicorn.terminate()
            try:
                code = gunicorn.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
                code = gunicorn.wait()
        if self.zeo is not None:
            stop_zeo_server(self.zeo)
        return code


def exchange(connection, method, path, body=None):
    """Send one request on an :class:`http.client.HTTPConnection`: the
    response, and its body decoded (JSON, or text)."""
    payload = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response, json.loads(data)
    return response, data.decode("utf-8", "replace")


def request(url, method, path, body=None, timeout=30, connection=None):
    """``(status, decoded JSON or text)`` of one request, on a new connection
    unless one is given."""
    conn = connection or http.client.HTTPConnection(
        url.split("//", 1)[1], timeout=timeout
    )
    try:
        response, data = exchange(conn, method, path, body)
        return response.status, data
    finally:
        if connection is None:
            conn.close()


def drive(url, method, path, total, concurrency, timeout=60):
    """Send ``total`` requests, ``concurrency`` at a time over keep-alive
    connections; return their statuses and the seconds it took."""
    local = threading.local()
    host_port = url.split("//", 1)[1]

    def one(_):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(host_port, timeout=timeout)
        try:
            return request(url, method, path, connection=local.connection)[0]
        except (OSError, http.client.HTTPException):
            local.connection.close()
            del local.connection
            return None

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(one, range(total)))
    return statuses, time.perf_counter() - started


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
