"""Faults under load, against the saloon example on real gunicorn gevent
workers and a real ZEO server: the ZEO server killed and started again,
a worker killed in the middle of its commits."""

import collections
import re
import time

import pytest

from tests.saloon_load import Load
from tests.saloon_load import call
from tests.saloon_load import hire
from tests.saloon_load import kill_zeo
from tests.saloon_load import read_cowboy
from tests.saloon_load import restart_zeo
from tests.saloon_load import wait_for_workers
from tests.saloon_load import worker_pids

# The workers' bounds: how long a request waits for a connection of the
# pool, then for the ZEO server to come back.
OPEN_TIMEOUT = 2
WAIT_TIMEOUT = 2
BOUND = OPEN_TIMEOUT + WAIT_TIMEOUT
MARGIN = 1.5  # for the work of the request itself, on a busy 2-CPU machine
OUTAGE = 6  # longer than the bound: requests must not wait for the server
RECOVERY = 5  # the workers serve again within this many seconds of its return


def creations(client, number):
    return "POST", "/api/cowboys", {"name": f"Cowboy {client}-{number}"}


@pytest.mark.timeout(180)
def test_a_killed_zeo_server_fails_requests_fast_and_loses_no_acknowledged_write(
    saloon_factory,
):
    saloon = saloon_factory(
        workers=2,
        environment={
            "SALOON_ZEO_OPTIONS": f"wait_timeout={WAIT_TIMEOUT}",
            "SALOON_OPEN_TIMEOUT": str(OPEN_TIMEOUT),
        },
    )
    workers = wait_for_workers(saloon, 2)

    with Load(saloon.url, clients=20, request=creations) as load:
        load.wait_for(lambda r: len(r) >= 200, 60, "no load before the outage")
        killed = kill_zeo(saloon)
        time.sleep(OUTAGE)
        back = restart_zeo(saloon)
        load.wait_for(
            lambda r: sum(x.started > back + RECOVERY for x in r) >= 100,
            60,
            "no load after the outage",
        )
    responses = load.responses
    statuses = collections.Counter(r.status for r in responses)
    report = f"{statuses}, gunicorn log:\n{saloon.log()[-3000:]}"

    # Nothing but successes and clear 503s; none waited past the bound.
    assert set(statuses) <= {201, 503}, report
    unavailable = [r for r in responses if r.status == 503]
    assert all("The database cannot be reached" in r.body for r in unavailable)
    slowest = max(responses, key=lambda r: r.latency)
    assert slowest.latency < BOUND + MARGIN, (slowest, report)

    # Before the outage, all succeed; during it, all fail.
    before = [r for r in responses if r.ended < killed]
    during = [r for r in responses if r.started > killed + 0.5 and r.ended < back]
    assert before and all(r.status == 201 for r in before), [
        r for r in before if r.status != 201
    ]
    assert len(during) >= 20 and all(r.status == 503 for r in during), report

    # Within RECOVERY seconds of the server's return, both workers, the
    # same ones, serve again.
    first = min(
        (r for r in responses if r.started > back and r.status == 201),
        key=lambda r: r.ended,
    )
    assert first.ended - back < RECOVERY
    after = [r for r in responses if r.started > back + RECOVERY]
    assert all(r.status == 201 for r in after), report
    assert {r.worker for r in after} == workers == worker_pids(saloon)

    # Every acknowledged write is there, and only what was sent.
    acknowledged = {r.request[2]["name"] for r in responses if r.status == 201}
    listing = call(saloon.url, "GET", "/api/cowboys")
    assert listing.status == 200
    stored = collections.Counter(cowboy["name"] for cowboy in listing.body)
    assert max(stored.values()) == 1
    assert acknowledged <= set(stored) <= {r.request[2]["name"] for r in responses}
    print(
        f"\n{len(responses)} requests: {statuses[201]} acknowledged, {statuses[503]} "
        f"answered 503; {len(stored)} cowboys stored. Slowest request "
        f"{slowest.latency:.2f} s (bound {BOUND} s); during the outage, 503 in "
        f"{max(r.latency for r in during):.2f} s at most; first success "
        f"{first.ended - back:.2f} s after the server's return."
    )


def hung_commit_holder(saloon, timeout=20):
    """The worker that says it holds the commit lock, once it does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.findall(
            r"saloon debug: worker (\d+) holds the commit lock", saloon.log()
        )
        if found:
            return int(found[-1])
        time.sleep(0.05)
    raise AssertionError(f"no worker held the commit lock:\n{saloon.log()[-3000:]}")


def zeo_log(saloon):
    with open(f"{saloon.data_dir}/zeo.log", errors="replace") as log:
        return log.read()


@pytest.mark.timeout(180)
def test_a_worker_killed_while_it_holds_the_commit_lock(saloon_factory):
    """SIGKILL to a worker whose transaction the ZEO server has voted, and
    holds the commit lock for: the transaction is not written, the server
    serves the other worker at once, and gunicorn's new worker opens its
    own database (``--preload``) and writes."""
    import os
    import signal
    import threading

    saloon = saloon_factory(workers=2, preload=True)
    workers = wait_for_workers(saloon, 2)
    winner, loser = hire(saloon, "Winner"), hire(saloon, "Loser")

    hung = []
    hanging = threading.Thread(
        target=lambda: hung.append(
            call(
                saloon.url,
                "POST",
                f"/debug/duel/{winner}/{loser}?hang_in_commit=60",
                timeout=90,
            )
        )
    )
    hanging.start()
    try:
        holder = hung_commit_holder(saloon)
        assert holder in workers
        # Meanwhile, the other worker's commits wait for the lock.
        waiting = []
        blocked = [
            threading.Thread(
                target=lambda: waiting.append(
                    call(
                        saloon.url,
                        "POST",
                        f"/api/cowboys/{winner}/practice",
                        timeout=60,
                    )
                )
            )
            for _ in range(4)
        ]
        for thread in blocked:
            thread.start()
        time.sleep(1)
        killed = time.monotonic()
        os.kill(holder, signal.SIGKILL)
    finally:
        hanging.join(90)
    for thread in blocked:
        thread.join(60)

    # The killed worker's request got no answer; the server says it aborted
    # a transaction it held the lock for.
    assert hung[0].status not in (200, 201), hung
    assert "disconnected during locked transaction" in zeo_log(saloon)

    # The commits that waited for the lock went through once it was freed,
    # those that the killed worker had were lost with it, unanswered.
    served = [r for r in waiting if r.status == 200]
    assert all(r.ended > killed for r in served), waiting
    assert all(r.status == 200 or r.worker is None for r in waiting), waiting
    print(
        "WAITING",
        [(r.status, r.worker, round(r.ended - killed, 2)) for r in waiting],
        holder,
    )

    # The server serves writes at once.
    started = time.monotonic()
    response = call(saloon.url, "POST", f"/api/cowboys/{loser}/practice", timeout=10)
    assert response.status == 200 and time.monotonic() - started < 2, response

    # Nothing of the killed transaction was written: the duel moved no point.
    assert read_cowboy(saloon, winner)["gunskill"] == len(served)
    assert read_cowboy(saloon, loser)["gunskill"] == 1

    # gunicorn replaced the worker; the new one opened its own database
    # through the hooks, and writes.
    new_workers = wait_for_workers(saloon, 2)
    (replacement,) = new_workers - workers
    assert f"Worker {replacement} opened database 'unnamed' again" in saloon.log()
    deadline = time.monotonic() + 20
    while True:
        response = call(saloon.url, "POST", f"/api/cowboys/{loser}/practice")
        assert response.status == 200, response
        if response.worker == replacement:
            break
        assert time.monotonic() < deadline, "the new worker did not write"


CLIENTS = 20  # one pair each: the kills, not conflicts, are under test here


@pytest.mark.timeout(180)
def test_workers_killed_under_a_write_load_leave_no_partial_transaction(saloon_factory):
    """Duels write two cowboys in one transaction: whatever the moment a
    worker is killed, each pair's gunskills still add up to zero, and every
    acknowledged duel is counted."""
    import os
    import random
    import signal

    saloon = saloon_factory(workers=2, preload=True)
    wait_for_workers(saloon, 2)
    pairs = [
        (hire(saloon, f"Winner {n}"), hire(saloon, f"Loser {n}"))
        for n in range(CLIENTS)
    ]

    def duels(client, number):
        winner, loser = pairs[client]
        # Each commit holds the server's commit lock a little longer than
        # it would: a worker is in the middle of a commit most of the time.
        return "POST", f"/debug/duel/{winner}/{loser}?hang_in_commit=0.02", None

    rnd = random.Random(8)
    killed = []
    with Load(saloon.url, clients=CLIENTS, request=duels) as load:
        for _ in range(3):
            workers = wait_for_workers(saloon, 2)
            count = len(load.responses)
            load.wait_for(lambda r, count=count: len(r) >= count + 100, 60, "no load")
            victim = rnd.choice(sorted(workers))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        workers = wait_for_workers(saloon, 2)
        count = len(load.responses)
        load.wait_for(lambda r: len(r) >= count + 100, 60, "no load after the kills")
    responses = load.responses
    statuses = collections.Counter(r.status for r in responses)

    # Only successes, and the requests of the killed workers, unanswered.
    answered = [r for r in responses if r.status != 200 and r.worker is not None]
    assert statuses[200] > 300 and not answered, (statuses, answered[:3])
    # The kills cut transactions short: the server aborted them.
    assert "disconnected during" in zeo_log(saloon)
    for n, (winner, loser) in enumerate(pairs):
        path = f"/debug/duel/{winner}/{loser}?hang_in_commit=0.02"
        acknowledged = sum(r.status == 200 for r in responses if r.request[1] == path)
        unanswered = sum(r.status != 200 for r in responses if r.request[1] == path)
        wins, losses = (
            read_cowboy(saloon, winner)["gunskill"],
            read_cowboy(saloon, loser)["gunskill"],
        )
        assert wins == -losses, (n, wins, losses)
        assert acknowledged <= wins <= acknowledged + unanswered, (
            n,
            wins,
            acknowledged,
            unanswered,
        )

    # Each new worker opened its own database, and the last ones serve.
    log = saloon.log()
    assert log.count("opened database 'unnamed' again") == 2 + len(killed)
    assert {r.worker for r in responses[-50:]} <= workers
    cut = zeo_log(saloon).count("disconnected during")
    print(f"\n{statuses} with {len(killed)} workers killed, {cut} in a transaction")
