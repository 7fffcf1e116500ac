"""Soak: 20 000 requests, 200 connections at a time, against the saloon on
gunicorn gevent workers and a ZEO server. Nothing may pile up in the
workers: database connections stay within the pool, resident memory grows
less than 10 %, file descriptors and greenlets come back to what they were.

It takes a minute or two, so it is marked slow and left out of the default
run (see setup.cfg); run it with::

    python -m pytest -m slow tests/test_soak.py -s

or, for its figures alone (``--requests``, ``--concurrency``)::

    python -m tests.test_soak
"""

import argparse
import collections
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.saloon_load import call
from tests.saloon_load import hire
from tests.saloon_load import proc_figures
from tests.saloon_load import wait_for_workers
from tests.saloon_load import worker_pids
from tests.saloon_load import worker_states

REQUESTS = 20_000
CONCURRENCY = 200
WARMUP = 3_000
COWBOYS = 50


class Mix:
    """The requests of the soak: reads of one cowboy, practices (writes that
    sometimes conflict), listings, and health checks."""

    def __init__(self, cowboy_ids):
        self.cowboy_ids = cowboy_ids

    def __call__(self, number):
        cowboy = self.cowboy_ids[number * 7 % len(self.cowboy_ids)]
        kind = number % 20
        if kind < 10:
            return "GET", f"/api/cowboys/{cowboy}"
        if kind < 17:
            return "POST", f"/api/cowboys/{cowboy}/practice"
        if kind < 19:
            return "GET", "/api/cowboys"
        return "GET", "/health"


def drive(url, mix, total, concurrency, first=0):
    """Send requests ``first`` to ``first + total`` of ``mix``,
    ``concurrency`` at a time, each client thread on its own keep-alive
    connection; their statuses by kind, their latencies, and the seconds it
    took. The connections are closed at the end."""
    local = threading.local()
    connections = []
    lock = threading.Lock()

    def one(number):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(
                url.split("//", 1)[1], timeout=60
            )
            with lock:
                connections.append(local.connection)
        method, path = mix(number)
        response = call(url, method, path, connection=local.connection)
        if response.worker is None:  # the connection failed: a new one next time
            del local.connection
        return method, path, response

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(first, first + total)))
    seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return results, seconds


def sample_states(saloon, pids, stop, samples):
    """Until ``stop`` is set, ask the workers what they hold, twice a second."""
    while not stop.wait(0.5):
        response = call(saloon.url, "GET", "/debug/state", timeout=10)
        if response.status == 200 and response.worker in pids:
            samples.append(response.body)


def measure(saloon, pids):
    """What each worker holds, once the clients are gone: its greenlets and
    database connections (from /debug/state), then, once that request's own
    connection is closed too, its memory and file descriptors (from /proc;
    the least of three readings, 0.2 s apart)."""
    time.sleep(1)  # the servers' greenlets of closed connections end
    states = worker_states(saloon, pids)
    time.sleep(0.5)
    readings = {pid: [] for pid in pids}
    for _ in range(3):
        for pid in pids:
            readings[pid].append(proc_figures(pid))
        time.sleep(0.2)
    return {
        pid: {
            "rss_kb": min(r["rss_kb"] for r in readings[pid]),
            "fds": min(r["fds"] for r in readings[pid]),
            "greenlets": state["greenlets"],
            "alive": state["connections_alive"],
        }
        for pid, state in states.items()
    }


def soak(saloon, requests=REQUESTS, concurrency=CONCURRENCY, warmup=WARMUP):
    """Warm up, measure, soak, measure: the figures, as a dict."""
    pids = wait_for_workers(saloon, 2)
    cowboy_ids = [hire(saloon, f"Cowboy {n}") for n in range(COWBOYS)]
    mix = Mix(cowboy_ids)
    warm, _ = drive(saloon.url, mix, warmup, concurrency)
    before = measure(saloon, pids)

    stop, samples = threading.Event(), []
    sampler = threading.Thread(target=sample_states, args=(saloon, pids, stop, samples))
    sampler.start()
    try:
        results, seconds = drive(saloon.url, mix, requests, concurrency, first=warmup)
    finally:
        stop.set()
        sampler.join(30)
    after = measure(saloon, pids)

    practices = sum(
        1
        for _, path, r in warm + results
        if path.endswith("/practice") and r.status == 200
    )
    gunskills = sum(
        cowboy["gunskill"] for cowboy in call(saloon.url, "GET", "/api/cowboys").body
    )
    latencies = sorted(r.latency for _, _, r in results)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": seconds,
        "per_second": requests / seconds,
        "statuses": collections.Counter(r.status for _, _, r in results),
        "latency_median": statistics.median(latencies),
        "latency_p99": latencies[int(len(latencies) * 0.99)],
        "latency_max": latencies[-1],
        "practices": practices,
        "gunskills": gunskills,
        "before": before,
        "after": after,
        "pool_size": samples[0]["pool_size"] if samples else None,
        "samples": len(samples),
        "most_open": max((s["connections_open"] for s in samples), default=None),
        "most_alive": max((s["connections_alive"] for s in samples), default=None),
        "workers_before": pids,
        "workers_after": worker_pids(saloon),
    }


def report(figures):
    lines = [
        f"{figures['requests']} requests, {figures['concurrency']} connections at a time: "
        f"{figures['seconds']:.1f} s, {figures['per_second']:.0f} requests/s; "
        f"statuses {dict(figures['statuses'])}; latency median "
        f"{figures['latency_median'] * 1000:.0f} ms, p99 {figures['latency_p99'] * 1000:.0f} ms, "
        f"max {figures['latency_max'] * 1000:.0f} ms",
        f"{figures['practices']} practices acknowledged, gunskills add up to {figures['gunskills']}",
        f"connections of the pool ({figures['pool_size']}) in {figures['samples']} samples: "
        f"at most {figures['most_open']} open, {figures['most_alive']} alive",
    ]
    for pid, before in figures["before"].items():
        after = figures["after"].get(pid, {})
        growth = (after.get("rss_kb", 0) - before["rss_kb"]) / before["rss_kb"] * 100
        lines.append(
            f"worker {pid}: RSS {before['rss_kb']} -> {after.get('rss_kb')} kB ({growth:+.1f} %), "
            f"fds {before['fds']} -> {after.get('fds')}, greenlets {before['greenlets']} -> "
            f"{after.get('greenlets')}, connections alive {before['alive']} -> {after.get('alive')}"
        )
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_20000_requests_at_200_connections_leave_nothing_behind(saloon_factory):
    saloon = saloon_factory(workers=2)
    figures = soak(saloon)
    print("\n" + report(figures))
    log = saloon.log()

    assert figures["statuses"] == {200: REQUESTS}, report(figures)
    assert (
        figures["practices"] == figures["gunskills"]
    )  # no update lost, none counted twice
    assert figures["workers_after"] == figures["workers_before"]  # none restarted
    assert figures["samples"] > 10
    assert figures["most_open"] <= figures["pool_size"]
    assert figures["most_alive"] <= figures["pool_size"]
    assert "open connections with a pool_size" not in log  # ZODB's warning
    assert "Traceback" not in log, log[-3000:]
    for pid, before in figures["before"].items():
        after = figures["after"][pid]
        assert after["rss_kb"] < before["rss_kb"] * 1.10, (pid, before, after)
        assert after["fds"] <= before["fds"], (pid, before, after)
        assert after["greenlets"] <= before["greenlets"], (pid, before, after)
        assert after["alive"] <= figures["pool_size"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    import os

    from examples.saloon.launch import Saloon

    os.environ["SALOON_DEBUG"] = "1"
    with tempfile.TemporaryDirectory(prefix="sheraf-soak-") as data_dir:
        saloon = Saloon(data_dir, workers=2)
        try:
            figures = soak(saloon, args.requests, args.concurrency)
        finally:
            saloon.stop()
    if args.json:
        print(
            json.dumps(
                {
                    **figures,
                    "statuses": dict(figures["statuses"]),
                    "workers_before": sorted(figures["workers_before"]),
                    "workers_after": sorted(figures["workers_after"]),
                },
                default=str,
            )
        )
    else:
        print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
