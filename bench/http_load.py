"""Requests per second of the saloon (examples/saloon) on gunicorn's gevent
workers: the empty endpoint, the read endpoint and the increment endpoint.

The load comes from ``wrk`` when it is installed, else from
:func:`python_load`, a Python driver on one thread that keeps its
connections busy with as little work per request as it can.
"""

import os
import re
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from examples.saloon.launch import Saloon
from examples.saloon.launch import request

WARM_UP_SECONDS = 1
WORKERS = 2


def endpoints(ids):
    """``(key, title, method, path)`` of the endpoints measured; ``ids``
    holds the identifiers in their paths: ``cowboy`` (the saloon's),
    ``raw_cowboy`` and ``tally``."""
    return [
        ("empty", "`GET /health` (no database)", "GET", "/health"),
        (
            "read",
            "`GET /api/cowboys/<id>` (the saloon)",
            "GET",
            f"/api/cowboys/{ids['cowboy']}",
        ),
        (
            "raw_read",
            "`GET /raw/cowboys/<id>` (raw ZODB by hand)",
            "GET",
            f"/raw/cowboys/{ids['raw_cowboy']}",
        ),
        (
            "increment",
            "`POST /api/cowboys/<id>/practice` (IntegerAttribute += 1)",
            "POST",
            f"/api/cowboys/{ids['cowboy']}/practice",
        ),
        (
            "counter",
            "`POST /bench/tallies/<id>/cheer` (CounterAttribute.increment(1))",
            "POST",
            f"/bench/tallies/{ids['tally']}/cheer",
        ),
    ]


#: The endpoints that write to one object: the identifier of the object,
#: where to read it, and the field that counts the writes.
HOT_ENDPOINTS = {
    "increment": ("cowboy", "/api/cowboys/{}", "gunskill"),
    "counter": ("tally", "/bench/tallies/{}", "cheers"),
}


def load_tool():
    """A description of what makes the load."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return "the Python driver of bench/http_load.py (wrk is not installed)"
    banner = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    return f"`{banner.split(' [')[0].strip() or 'wrk'}`, one thread"


def load(url, method, path, seconds, connections):
    """``(completed requests, failed requests, seconds)`` of a load of
    ``seconds`` (a whole number: wrk needs one) with ``connections``
    keep-alive connections."""
    if shutil.which("wrk"):
        return wrk_load(url, method, path, seconds, connections)
    host, port = url.split("//", 1)[1].split(":")
    return python_load(host, int(port), method, path, seconds, connections)


def wrk_load(url, method, path, seconds, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(f'wrk.method = "{method}"\n')
        script.flush()
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            script.name,
            url + path,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60
        ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if done is None:
        raise RuntimeError(f"Cannot read wrk's output:\n{output}")
    elapsed = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    failed = sum(
        int(n)
        for n in re.findall(r"(?:Non-2xx or 3xx responses|timeout): (\d+)", output)
    )
    failed += sum(int(n) for n in re.findall(r"(?:connect|read|write) (\d+)", output))
    return int(done.group(1)), failed, elapsed


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def python_load(host, port, method, path, seconds, connections):
    """The same as wrk: each connection sends a request as soon as the
    answer to its previous one is read, until ``seconds`` have passed."""
    message = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 0\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    completed = failed = 0
    start = time.perf_counter()
    deadline = start + seconds
    try:
        for _ in range(connections):
            sock = socket.create_connection((host, port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(message)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, bytearray())
        while time.perf_counter() < deadline:
            for key, _ in selector.select(
                timeout=max(0.0, deadline - time.perf_counter())
            ):
                sock, buffer = key.fileobj, key.data
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError(
                        f"The server closed a connection after {completed} requests."
                    )
                buffer += chunk
                for status in _complete_responses(buffer):
                    completed += 1
                    failed += not status.startswith(b"2")
                    sock.send(message)
    finally:
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()
    return completed, failed, time.perf_counter() - start


def _complete_responses(buffer):
    """Remove the complete responses from the start of ``buffer``; their
    status codes."""
    statuses = []
    while True:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return statuses
        length = _CONTENT_LENGTH.search(buffer, 0, head_end + 2)
        end = head_end + 4 + (int(length.group(1)) if length else 0)
        if len(buffer) < end:
            return statuses
        statuses.append(bytes(buffer[9:12]))
        del buffer[:end]


def workers_cpu_seconds(master_pid):
    """The CPU time the processes that ``master_pid`` started (gunicorn's
    workers) have used so far, from /proc; ``None`` without /proc."""
    if not os.path.isdir("/proc"):
        return None
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if int(fields[1]) == master_pid:  # fields from the 3rd: state, ppid...
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def raw_commit_rate(port, commits):
    """Raw sequential commits against the ZEO server at ``port``, from this
    process: ``{"completed", "seconds"}``, the rate the hot endpoints are
    compared with (see :meth:`bench.raw_zodb.RawZODB.zeo_commits`)."""
    from bench.raw_zodb import RawZODB
    from bench.worker import Timer

    timer = Timer()
    completed, _score = RawZODB().zeo_commits(timer, port, commits, counter=False)
    return {"completed": completed, "seconds": timer.seconds}


def _hire(url):
    """The objects the endpoints work on: their identifiers, by the names
    :func:`endpoints` takes."""
    ids = {}
    for key, path in (
        ("cowboy", "/api/cowboys"),
        ("raw_cowboy", "/raw/cowboys"),
        ("tally", "/bench/tallies"),
    ):
        status, answer = request(url, "POST", path, {"name": "Bench"})
        if status != 201:
            raise RuntimeError(f"POST {path} answered {status}: {answer}")
        ids[key] = answer["id"]
    return ids


def measure_saloon(sizes, work_dir, progress=print):
    """Start the saloon (with the endpoints of :mod:`bench.http_app`),
    create the objects the endpoints work on, then load each endpoint in
    turn, ``sizes.http_rounds`` times, the order turning each round, and
    after them make ``sizes.commits`` raw sequential commits against the
    same ZEO server. Return the samples: ``{endpoint key: [{"completed",
    "failed", "seconds", "cpu_seconds"}, ...], "raw_commits": [{"completed",
    "seconds"}, ...]}``, ``cpu_seconds`` being the CPU time of the workers;
    and, for each hot endpoint, the writes its object counted, with the
    requests answered with success (it may count a few more: requests
    still on their way when a load ends)."""
    data_dir = Path(work_dir) / "saloon"
    data_dir.mkdir()
    saloon = Saloon(str(data_dir), workers=WORKERS, app="bench.http_app:application")
    try:
        ids = _hire(saloon.url)
        routes = endpoints(ids)
        samples = {key: [] for key, *_ in routes}
        samples["raw_commits"] = []
        answered = dict.fromkeys(HOT_ENDPOINTS, 0)
        for key, _title, method, path in routes:
            completed, failed, _ = load(
                saloon.url, method, path, WARM_UP_SECONDS, sizes.http_connections
            )
            if key in answered:
                answered[key] += completed - failed
        for round_number in range(sizes.http_rounds):
            turn = round_number % len(routes)
            for key, _title, method, path in routes[turn:] + routes[:turn]:
                cpu_before = workers_cpu_seconds(saloon.gunicorn.pid)
                completed, failed, seconds = load(
                    saloon.url, method, path, sizes.http_seconds, sizes.http_connections
                )
                cpu = workers_cpu_seconds(saloon.gunicorn.pid)
                cpu = None if cpu is None else cpu - cpu_before
                samples[key].append(
                    {
                        "completed": completed,
                        "failed": failed,
                        "seconds": seconds,
                        "cpu_seconds": cpu,
                    }
                )
                if key in answered:
                    answered[key] += completed - failed
                progress(
                    f"  http round {round_number + 1}: {key} {completed / seconds:.0f} requests/s"
                )
            commits = raw_commit_rate(saloon.zeo_port, sizes.commits)
            samples["raw_commits"].append(commits)
            progress(
                f"  http round {round_number + 1}: raw sequential commits "
                f"{commits['completed'] / commits['seconds']:.0f}/s"
            )
        counted = {
            key: request(saloon.url, "GET", path.format(ids[name]))[1][field]
            for key, (name, path, field) in HOT_ENDPOINTS.items()
        }
    finally:
        saloon.stop()
    return samples, {
        key: {"counted": counted[key], "answered": answered[key]}
        for key in HOT_ENDPOINTS
    }
