"""Helpers of the fault and soak tests: the saloon example on real gunicorn
workers and a real ZEO server, loads of HTTP requests, and what the
processes hold, read from /proc."""

import http.client
import os
import signal
import threading
import time
from dataclasses import dataclass

import pytest

from sheraf.servers import AppServer
from sheraf.servers import exchange
from sheraf.servers import start_zeo_server

#: The example application, as gunicorn imports it (these helpers do not).
SALOON = "examples.saloon.app:application"
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def saloon_factory(tmp_path, monkeypatch):
    """Start the saloon with the debug routes and the given environment;
    everything started is stopped at the end, whatever happens."""
    started = []

    def start(environment=None, **settings):
        monkeypatch.setenv("SALOON_DEBUG", "1")
        for name, value in (environment or {}).items():
            monkeypatch.setenv(name, value)
        if "SALOON_ZEO_OPTIONS" in os.environ:
            settings["zeo_options"] = os.environ["SALOON_ZEO_OPTIONS"]
        saloon = AppServer(
            SALOON, str(tmp_path), "SALOON_DATABASE", cwd=PROJECT, **settings
        )
        started.append(saloon)
        return saloon

    try:
        yield start
    finally:
        for saloon in started:
            saloon.stop()


@dataclass
class Response:
    status: object  # the HTTP status, or the exception's class name
    worker: object  # the pid of the worker that answered
    body: object
    started: float
    ended: float

    @property
    def latency(self):
        return self.ended - self.started


def call(url, method, path, body=None, timeout=30, connection=None):
    """One request, on a new connection unless one is given: a
    :class:`Response`, also when the request failed."""
    conn = connection or http.client.HTTPConnection(
        url.split("//", 1)[1], timeout=timeout
    )
    started = time.monotonic()
    try:
        response, data = exchange(conn, method, path, body)
        worker = response.getheader("X-Saloon-Worker")
        return Response(
            response.status, worker and int(worker), data, started, time.monotonic()
        )
    except (OSError, http.client.HTTPException) as exc:
        if connection is not None:
            connection.close()
        return Response(type(exc).__name__, None, str(exc), started, time.monotonic())
    finally:
        if connection is None:
            conn.close()


class Load:
    """``clients`` threads that each send ``request(client, number)`` (a
    ``(method, path, body)`` tuple) again and again, each on a new
    connection, until :meth:`stop`."""

    def __init__(self, url, clients, request, timeout=30):
        self.url = url
        self.request = request
        self.timeout = timeout
        self.responses = []
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True)
            for n in range(clients)
        ]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _run(self, client):
        number = 0
        while not self._stopping.is_set():
            method, path, body = self.request(client, number)
            response = call(self.url, method, path, body, timeout=self.timeout)
            response.request = (method, path, body)
            self.responses.append(response)
            number += 1

    def wait_for(self, predicate, timeout, message):
        """Wait until ``predicate(responses)`` holds."""
        deadline = time.monotonic() + timeout
        while not predicate(self.responses):
            assert time.monotonic() < deadline, message
            time.sleep(0.05)

    def stop(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        assert not any(thread.is_alive() for thread in self._threads)
        return self.responses


def kill_zeo(saloon):
    """SIGKILL the saloon's ZEO server; return when."""
    killed = time.monotonic()
    os.kill(saloon.zeo.pid, signal.SIGKILL)
    saloon.zeo.wait(10)
    return killed


def restart_zeo(saloon):
    """Start the saloon's ZEO server again, same data and port; return when
    it accepts connections."""
    saloon.zeo, _ = start_zeo_server(saloon.data_dir, saloon.zeo_port)
    return time.monotonic()


def worker_pids(saloon):
    """The pids of gunicorn's workers, children of its master."""
    pid = saloon.gunicorn.pid
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return {int(child) for child in children.read().split()}


def wait_for_workers(saloon, count, timeout=30):
    """Wait until gunicorn runs ``count`` workers that all serve; their pids."""
    deadline = time.monotonic() + timeout
    while True:
        pids = worker_pids(saloon)
        if len(pids) == count and serving_workers(saloon, pids, timeout=1) == pids:
            return pids
        assert time.monotonic() < deadline, (
            f"gunicorn runs workers {pids}, not {count} serving ones"
        )
        time.sleep(0.2)


def serving_workers(saloon, pids, timeout=10):
    """The workers among ``pids`` that answered ``/debug/state`` within
    ``timeout`` seconds (requests on new connections land on any worker)."""
    seen = set()
    deadline = time.monotonic() + timeout
    while not pids <= seen and time.monotonic() < deadline:
        response = call(saloon.url, "GET", "/debug/state", timeout=5)
        if response.status == 200:
            seen.add(response.worker)
    return seen & pids


def worker_states(saloon, pids, timeout=20):
    """``/debug/state`` of each worker, by pid."""
    states = {}
    deadline = time.monotonic() + timeout
    while set(states) != set(pids):
        assert time.monotonic() < deadline, (
            f"no state from workers {set(pids) - set(states)}"
        )
        response = call(saloon.url, "GET", "/debug/state", timeout=5)
        if response.status == 200 and response.worker in pids:
            states[response.worker] = response.body
    return states


def proc_figures(pid):
    """Resident memory (kB) and open file descriptors of a process."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return {"rss_kb": rss, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def hire(saloon, name):
    response = call(saloon.url, "POST", "/api/cowboys", {"name": name})
    assert response.status == 201, response
    return response.body["id"]


def read_cowboy(saloon, cowboy_id):
    response = call(saloon.url, "GET", f"/api/cowboys/{cowboy_id}")
    assert response.status == 200, response
    return response.body
