"""The gates that bound the open connections, the retry lanes, and the
calls that waiting callers share."""

import subprocess
import sys
import threading
import time

import pytest

from sheraf.gates import Gate
from sheraf.gates import Lanes
from sheraf.gates import SharedCall


def in_thread(function, *args):
    """Run ``function(*args)`` in a new thread; a list that gets what it
    returned or raised, and the thread."""
    outcome = []

    def run():
        try:
            outcome.append(function(*args))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return outcome, thread


class Holder:
    """A thread that holds a place of ``gate`` and lives until :meth:`end`
    (a thread that ended may give its identity to the next one)."""

    def __init__(self, gate):
        self.entered, self.ending = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.hold, args=(gate,))
        self.thread.start()
        assert self.entered.wait(5)

    def hold(self, gate):
        self.ticket = gate.enter(1)
        self.entered.set()
        self.ending.wait(10)

    def end(self):
        self.ending.set()
        self.thread.join(5)


def test_a_gate_lets_size_holders_through_and_the_next_one_waits_its_timeout():
    gate = Gate(2)
    holders = [Holder(gate) for _ in range(2)]
    assert all(holder.ticket is not None for holder in holders)
    started = time.monotonic()
    outcome, thread = in_thread(gate.enter, 0.3)
    thread.join(5)
    waited = time.monotonic() - started
    assert isinstance(outcome[0], TimeoutError)
    assert "no place came free in 0.3 s" in str(outcome[0])
    assert 0.25 < waited < 2
    for holder in holders:
        gate.leave(holder.ticket)
        holder.end()


def test_a_waiter_gets_the_place_a_holder_gives_back_from_another_thread():
    gate = Gate(1)
    holder = Holder(gate)
    waiter, waiting = in_thread(gate.enter, 5)
    time.sleep(0.1)
    assert waiter == []  # still waiting
    gate.leave(holder.ticket)  # given back by this thread, not the holder's
    waiting.join(5)
    assert waiter == [waiting.ident]
    gate.leave(waiter[0])
    holder.end()


def test_a_thread_that_holds_a_place_goes_through_without_one():
    gate = Gate(1)
    ticket = gate.enter(1)
    started = time.monotonic()
    assert gate.enter(10) is None  # it could never leave while waiting
    assert time.monotonic() - started < 1
    gate.leave(ticket)


def test_a_lane_holds_one_caller_per_key_and_keys_are_independent():
    lanes = Lanes()
    turn = lanes.enter("cowboy", 1)
    other_key, thread = in_thread(lanes.enter, "horse", 1)
    thread.join(5)
    assert other_key[0] is not None  # another key: no wait
    same_key, thread = in_thread(lanes.enter, "cowboy", 0.2)
    thread.join(5)
    assert isinstance(same_key[0], TimeoutError)
    lanes.leave(turn)
    lanes.leave(other_key[0])
    assert lanes.wait_until_empty(0)  # the timed-out waiter left no lane


def test_a_lane_comes_free_in_turn_and_wait_until_empty_waits_for_it():
    lanes = Lanes()
    turn = lanes.enter("cowboy", 1)
    assert not lanes.wait_until_empty(0.05)
    waiter, thread = in_thread(lanes.enter, "cowboy", 5)
    time.sleep(0.1)
    assert waiter == []
    lanes.leave(turn)
    thread.join(5)
    assert waiter[0] is not None
    emptied, watcher = in_thread(lanes.wait_until_empty, 5)
    time.sleep(0.1)
    assert emptied == []
    lanes.leave(waiter[0])
    watcher.join(5)
    assert emptied == [True]


@pytest.mark.parametrize("kind", ["gate", "lane"])
def test_under_gevent_waiting_lets_the_other_greenlets_run(kind):
    script = f"""
from gevent import monkey; monkey.patch_all()
import gevent
from sheraf.gates import Gate, Lanes
if "{kind}" == "gate":
    gate = Gate(1)
    enter, leave = (lambda: gate.enter(5)), gate.leave
else:
    lanes = Lanes()
    enter, leave = (lambda: lanes.enter("key", 5)), lanes.leave
ticks = []
def holder():
    ticket = enter()
    gevent.sleep(0.3)
    leave(ticket)
def waiter():
    leave(enter())
def ticker():
    for _ in range(10):
        ticks.append(1)
        gevent.sleep(0.02)
gevent.joinall([gevent.spawn(holder), gevent.spawn(waiter), gevent.spawn(ticker)], timeout=10)
print(len(ticks))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "10"


class SlowCall:
    """A function for :class:`SharedCall` that notes when each call
    started and ended, and waits for :attr:`go` on its first call."""

    def __init__(self):
        self.starts, self.go, self.running = [], threading.Event(), threading.Event()

    def __call__(self):
        self.starts.append(time.monotonic())
        if len(self.starts) == 1:
            self.running.set()
            assert self.go.wait(5)


def test_callers_that_wait_together_share_the_next_call_that_starts_after_they_asked():
    call = SlowCall()
    shared = SharedCall(call, timeout=5)
    first, first_thread = in_thread(shared)
    assert call.running.wait(5)
    asked = time.monotonic()
    waiters = [in_thread(shared) for _ in range(5)]
    time.sleep(0.1)  # all five wait for the first call to end
    call.go.set()
    for _, thread in [(first, first_thread), *waiters]:
        thread.join(5)
    assert first == [None] and all(outcome == [None] for outcome, _ in waiters)
    # The first call started before the five asked: it serves none of them;
    # one more call, started after they asked, serves all five.
    assert len(call.starts) == 2
    assert call.starts[0] < asked < call.starts[1]


def test_a_failed_shared_call_fails_its_caller_with_its_exception_and_the_others_with_failure():
    call = SlowCall()

    def failing():
        call()
        if len(call.starts) == 2:
            raise ConnectionError("server gone")

    shared = SharedCall(failing, timeout=5, failure=lambda exc: LookupError(str(exc)))
    first, first_thread = in_thread(shared)
    assert call.running.wait(5)
    waiters = [in_thread(shared) for _ in range(3)]
    time.sleep(0.1)
    call.go.set()
    first_thread.join(5)
    for _, thread in waiters:
        thread.join(5)
    outcomes = [outcome[0] for outcome, _ in waiters]
    assert first == [None]
    # One of the three ran the second call and got its exception; the two
    # it served got failure(exc), chained to it.
    assert sorted(type(o).__name__ for o in outcomes) == [
        "ConnectionError",
        "LookupError",
        "LookupError",
    ]
    for outcome in outcomes:
        if isinstance(outcome, LookupError):
            assert str(outcome) == "server gone"
            assert isinstance(outcome.__cause__, ConnectionError)
    shared()  # the next caller runs a call of its own, which succeeds
    assert len(call.starts) == 3


def test_a_caller_that_asked_while_a_call_failed_fails_with_it_without_another_call():
    call = SlowCall()

    def failing():
        call()
        raise ConnectionError("server gone")

    shared = SharedCall(failing, timeout=5, failure=lambda exc: LookupError(str(exc)))
    first, first_thread = in_thread(shared)
    assert call.running.wait(5)
    waiter, waiter_thread = in_thread(shared)
    time.sleep(0.1)
    call.go.set()
    first_thread.join(5), waiter_thread.join(5)
    assert isinstance(first[0], ConnectionError)
    assert isinstance(waiter[0], LookupError) and str(waiter[0]) == "server gone"
    assert len(call.starts) == 1


def test_a_caller_waits_for_the_shared_call_timeout_seconds_at_most():
    call = SlowCall()
    shared = SharedCall(call, timeout=0.2, failure=lambda exc: LookupError(str(exc)))
    first, first_thread = in_thread(shared)
    assert call.running.wait(5)
    started = time.monotonic()
    with pytest.raises(LookupError, match="did not come back within 0.2 s"):
        shared()
    assert time.monotonic() - started < 2
    call.go.set()
    first_thread.join(5)
    assert first == [None]


def test_a_call_interrupted_by_a_base_exception_serves_nobody():
    class Killed(BaseException):
        pass

    starts = []

    def function():
        starts.append(1)
        if len(starts) == 1:
            raise Killed()

    shared = SharedCall(function, timeout=5)
    with pytest.raises(Killed):
        shared()
    shared()
    assert len(starts) == 2


def test_under_gevent_waiting_for_a_shared_call_lets_the_other_greenlets_run():
    script = """
from gevent import monkey; monkey.patch_all()
import gevent
from sheraf.gates import SharedCall
calls, ticks = [], []
shared = SharedCall(lambda: (calls.append(1), gevent.sleep(0.15)), timeout=5)
def ticker():
    for _ in range(10):
        ticks.append(1)
        gevent.sleep(0.02)
callers = [gevent.spawn(shared) for _ in range(4)]
gevent.joinall([*callers, gevent.spawn(ticker)], timeout=10)
print(len(calls), len(ticks), all(c.successful() for c in callers))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # The first caller's call, then one shared by the three others.
    assert result.stdout.split() == ["2", "10", "True"]


def test_a_forked_process_does_not_wait_for_a_shared_call_of_its_parent():
    script = """
import os, threading, time
from sheraf.gates import SharedCall
parent, go = os.getpid(), threading.Event()
def function():
    if os.getpid() == parent:
        go.wait(5)
shared = SharedCall(function, timeout=3)
threading.Thread(target=shared).start()
time.sleep(0.2)  # the parent's call runs, and never ends in the child
pid = os.fork()
if pid == 0:
    started = time.monotonic()
    shared()
    os._exit(0 if time.monotonic() - started < 1 else 1)
go.set()
print(os.waitpid(pid, 0)[1])
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"]
