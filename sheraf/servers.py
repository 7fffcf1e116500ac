"""Servers on the loopback interface, for tests, examples and benchmarks:
a ZEO server, and a WSGI application on gunicorn's workers with sheraf's
hooks (:class:`AppServer`); and a small HTTP client to talk to it.

.. code-block:: python

    process, port = start_zeo_server("/tmp/saloon")
    db = sheraf.Database(f"zeo://127.0.0.1:{port}")
    ...
    stop_zeo_server(process)
"""

import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sheraf

_started = set()
_owner_pid = os.getpid()
_SHERAF_PATH = os.path.dirname(os.path.dirname(os.path.abspath(sheraf.__file__)))


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_zeo_server(data_dir, port=None, timeout=30):
    """Start a ZEO server on 127.0.0.1 that keeps its data (a FileStorage
    with a blob folder) in ``data_dir``; return ``(process, port)`` once it
    accepts connections. Started again with the same ``data_dir`` and
    ``port``, it serves the same data.

    The server can import sheraf, which it needs to resolve conflicts on
    sheraf's types. It is stopped at exit if nothing stopped it before.
    """
    port = port or free_port()
    config_path = os.path.join(data_dir, "zeo.conf")
    log_path = os.path.join(data_dir, "zeo.log")
    with open(config_path, "w") as config:
        config.write(
            f"<zeo>\n  address 127.0.0.1:{port}\n</zeo>\n"
            f"<filestorage>\n  path {os.path.join(data_dir, 'Data.fs')}\n"
            f"  blob-dir {os.path.join(data_dir, 'blobs')}\n</filestorage>\n"
        )
    python_path = os.pathsep.join(
        filter(None, [_SHERAF_PATH, os.environ.get("PYTHONPATH")])
    )
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ZEO.runzeo", "-C", config_path],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=python_path),
            start_new_session=True,
        )
    _started.add(process)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_zeo_server(process)
            with open(log_path, errors="replace") as log:
                tail = log.read()[-2000:]
            raise RuntimeError(f"The ZEO server did not start on port {port}:\n{tail}")
        time.sleep(0.05)


def stop_zeo_server(process):
    """Stop a server from :func:`start_zeo_server`, even a paused one:
    SIGTERM, SIGKILL after 5 s, and reap it. Return whether it was still
    running."""
    _started.discard(process)
    if process.poll() is not None:
        return False
    for signum in (signal.SIGCONT, signal.SIGTERM):
        _signal_group(process, signum)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()
    return True


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


@atexit.register
def _stop_forgotten_servers():
    if os.getpid() == _owner_pid:
        for process in list(_started):
            stop_zeo_server(process)


class AppServer:
    """The WSGI application ``app`` (``"module:name"``) served by gunicorn's
    workers on 127.0.0.1 with sheraf's hooks (``-c
    python:sheraf.green.gunicorn``), and, without ``database_uri``, a ZEO
    server for it whose data is in ``data_dir``. The application reads its
    database URI from the environment variable ``database_variable``; a ZEO
    URI gets ``zeo_options`` as its query string. It is serving once
    ``ready_path`` answers 200; :meth:`stop` stops everything.
    """

    def __init__(
        self,
        app: str,
        data_dir: str,
        database_variable: str,
        port: int | None = None,
        workers: int = 2,
        worker_class: str = "gevent",
        preload: bool = False,
        log_path: str | None = None,
        database_uri: str | None = None,
        zeo_options: str = "wait_timeout=5",
        ready_path: str = "/health",
        cwd: str | None = None,
    ) -> None:
        import gunicorn

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
            # one shared path for all instances otherwise
            command += ["--no-control-socket"]
        command += [app]
        environment = dict(os.environ)
        environment[database_variable] = database_uri or (
            f"zeo://127.0.0.1:{self.zeo_port}?{zeo_options}"
        )
        try:
            with open(self.log_path, "ab") as log:
                self.gunicorn = subprocess.Popen(
                    command,
                    cwd=cwd,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._wait_until_serving(ready_path, timeout=60)
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self, ready_path, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.gunicorn.returncode}):\n{self.log()[-3000:]}"
                )
            try:
                if request(self.url, "GET", ready_path, timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn did not serve within {timeout} s:\n{self.log()[-3000:]}"
        )

    def log(self) -> str:
        """What gunicorn logged so far."""
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM to gunicorn, SIGKILL after ``timeout``; then the ZEO
        server. Return gunicorn's exit code."""
        code = None
        gunicorn = getattr(self, "gunicorn", None)
        if gunicorn is not None and gunicorn.poll() is None:
            if self.zeo is not None and self.zeo.poll() is None:
                os.kill(self.zeo.pid, signal.SIGCONT)  # a test may have paused it
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
