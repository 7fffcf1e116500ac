"""This tree's saloon (examples/saloon) side by side with the saloon of
another revision, both on 2 gunicorn gevent workers and a ZEO server of
their own: what one costs per request more than the other.

    python -m bench.saloon_versus REVISION [--rounds 6] [--seconds 3]

From the project root. REVISION's tree (``git archive``) goes to a temporary
folder and is served by its own launcher. Each round loads every endpoint
of both saloons in turn (the saloon that starts alternates), with the load
of ``python -m bench``; the CPU time of each saloon's workers, from /proc,
gives the CPU time per request, which other work on a shared machine
inflates less than the requests per second.

Then each saloon's WSGI application is called in a process of its own,
without gunicorn, on ``memory://``: the CPU time of the application alone.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.http_load import load
from bench.http_load import workers_cpu_seconds
from bench.workers import ROOT
from sheraf.servers import free_port

CONNECTIONS = 16
IN_PROCESS_CALLS = 3000

# The saloon's endpoints, in both revisions: ``(key, title, method, path)``,
# the path given the cowboy's id by ``str.format``.
ENDPOINTS = [
    ("empty", "`GET /health` (no database)", "GET", "/health"),
    ("read", "`GET /api/cowboys/<id>`", "GET", "/api/cowboys/{}"),
    (
        "increment",
        "`POST /api/cowboys/<id>/practice`",
        "POST",
        "/api/cowboys/{}/practice",
    ),
]

# Run in each tree: the median CPU time of its saloon's application per
# call, in µs, by endpoint, as JSON.
IN_PROCESS = f"""
import json, statistics, sys, time
from werkzeug.test import EnvironBuilder
from examples.saloon.app import application

def call(method, path, body=b""):
    environ = EnvironBuilder(method=method, path=path, data=body).get_environ()
    return b"".join(application(environ, lambda *_: None))

cowboy = json.loads(call("POST", "/api/cowboys", b'{{"name": "Versus"}}'))
times = {{}}
for key, _title, method, path in {ENDPOINTS!r}:
    path = path.format(cowboy["id"])
    rounds = []
    for _ in range(3):
        environs = [
            EnvironBuilder(method=method, path=path).get_environ()
            for _ in range({IN_PROCESS_CALLS})
        ]
        started = time.process_time()
        for environ in environs:
            b"".join(application(environ, lambda *_: None))
        rounds.append((time.process_time() - started) / len(environs) * 1e6)
    times[key] = statistics.median(rounds)
json.dump(times, sys.stdout)
"""


class Launched:
    """``python -m examples.saloon.launch`` of the tree ``root``, until
    :meth:`stop`."""

    def __init__(self, root, name):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "examples.saloon.launch", "--port", str(self.port)],
            cwd=root,
            env=dict(os.environ, PYTHONPATH=str(root)),
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not self._serves():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"The saloon of {name} did not start.")
            time.sleep(0.2)

    def _serves(self):
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1):
                return True
        except OSError:
            return False

    def gunicorn_pid(self):
        """gunicorn's master: the launcher's child that runs gunicorn."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and b"gunicorn" in command:
                return int(stat.parent.name)
        raise RuntimeError(f"No gunicorn under the launcher of {self.name}.")

    def hire(self):
        request = urllib.request.Request(
            self.url + "/api/cowboys",
            data=json.dumps({"name": "Versus"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["id"]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)


def measure(saloons, rounds, seconds):
    """``{(saloon, endpoint): [(requests/s, CPU µs per request), ...]}``."""
    cowboys = {saloon.name: saloon.hire() for saloon in saloons}
    masters = {saloon.name: saloon.gunicorn_pid() for saloon in saloons}
    samples = {}
    for round_number in range(rounds):
        order = saloons if round_number % 2 == 0 else saloons[::-1]
        for saloon in order:
            for key, _title, method, path in ENDPOINTS:
                path = path.format(cowboys[saloon.name])
                before = workers_cpu_seconds(masters[saloon.name])
                completed, failed, elapsed = load(
                    saloon.url, method, path, seconds, CONNECTIONS
                )
                cpu = workers_cpu_seconds(masters[saloon.name]) - before
                if failed:
                    raise RuntimeError(f"{failed} failed requests on {saloon.name}")
                samples.setdefault((saloon.name, key), []).append(
                    (completed / elapsed, cpu / completed * 1e6)
                )
                print(
                    f"round {round_number + 1}/{rounds} {saloon.name:>12} {key:9} "
                    f"{completed / elapsed:7.0f} requests/s "
                    f"{cpu / completed * 1e6:7.0f} µs CPU per request",
                    flush=True,
                )
    return samples


def in_process(root):
    """``{endpoint: CPU µs per call}`` of the application of the tree ``root``."""
    output = subprocess.run(
        [sys.executable, "-c", IN_PROCESS],
        cwd=root,
        # ``python -c`` imports from its working directory: that tree's saloon.
        env=dict(os.environ, SALOON_DATABASE="memory://"),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return json.loads(output)


def table(samples, alone, names):
    """The medians, as Markdown."""
    this, other = names
    lines = [
        f"| endpoint | requests/s, {other} | requests/s, {this} "
        f"| CPU per request, {other} | CPU per request, {this} | difference "
        f"| application alone, {other} | application alone, {this} | difference |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for key, title, *_ in ENDPOINTS:
        rps = [statistics.median(r for r, _ in samples[name, key]) for name in names]
        cpu = [statistics.median(c for _, c in samples[name, key]) for name in names]
        calls = [alone[name][key] for name in names]
        lines.append(
            f"| {title} | {rps[1]:.0f} | {rps[0]:.0f} | {cpu[1]:.0f} µs "
            f"| {cpu[0]:.0f} µs | {cpu[0] - cpu[1]:+.0f} µs "
            f"| {calls[1]:.1f} µs | {calls[0]:.1f} µs | {calls[0] - calls[1]:+.1f} µs |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.saloon_versus",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("revision", help="the other revision (a commit, a branch)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds (6)")
    parser.add_argument(
        "--seconds", type=int, default=3, help="seconds per endpoint and round (3)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="saloon-versus-") as other_root:
        archive = subprocess.run(
            ["git", "archive", args.revision],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            parser.error(
                f"git archive {args.revision}: {archive.stderr.decode().strip()}"
            )
        subprocess.run(
            ["tar", "-x", "-C", other_root], input=archive.stdout, check=True
        )
        names = ("this tree", args.revision)
        saloons = []
        try:
            saloons.append(Launched(ROOT, names[0]))
            saloons.append(Launched(other_root, names[1]))
            samples = measure(saloons, args.rounds, args.seconds)
        finally:
            for saloon in saloons:
                saloon.stop()
        alone = {names[0]: in_process(ROOT), names[1]: in_process(other_root)}
    print()
    print(table(samples, alone, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
