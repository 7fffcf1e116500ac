import threading
import time

import pytest
from ZODB.POSException import ConflictError

import sheraf


class Counter(sheraf.Model):
    table = "transaction_counters"
    value = sheraf.IntegerAttribute()


def test_attempt_retries_on_conflict_and_gives_the_result(db):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConflictError()
        return "done"

    with sheraf.connection():
        assert sheraf.attempt(flaky, on_failure=None) == "done"
    assert len(calls) == 3


def test_attempt_gives_up_after_attempts(db):
    def always():
        raise ConflictError()

    with sheraf.connection():
        with pytest.raises(ConflictError):
            sheraf.attempt(always, attempts=2, on_failure=None)


def test_attempt_also_except_and_other_exceptions(db):
    calls = []

    def fails_once():
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("once")
        return len(calls)

    with sheraf.connection():
        assert sheraf.attempt(fails_once, also_except=KeyError, on_failure=None) == 2
        with pytest.raises(ZeroDivisionError):
            sheraf.attempt(lambda: 1 / 0)


def test_attempt_opens_a_connection_when_none_is_open(db):
    with sheraf.connection(commit=True):
        counter = Counter.create()

    def bump():
        Counter.read(counter.id).value += 1

    sheraf.attempt(bump)
    with sheraf.connection():
        assert Counter.read(counter.id).value == 1


def test_attempt_commit_false_aborts(db):
    with sheraf.connection(commit=True):
        counter = Counter.create()
    with sheraf.connection():
        sheraf.attempt(
            lambda: setattr(Counter.read(counter.id), "value", 5), commit=lambda: False
        )
    with sheraf.connection():
        assert Counter.read(counter.id).value == 0


def test_commit_decorator_and_plain_commit(db):
    @sheraf.commit
    def create():
        return Counter.create(value=7)

    with sheraf.connection():
        counter = create()
    with sheraf.connection():
        Counter.read(counter.id).value = 8
        sheraf.commit()
    with sheraf.connection():
        assert Counter.read(counter.id).value == 8
    with pytest.raises(
        sheraf.NotConnectedException,
        match=r"sheraf.commit\(\) needs an open connection",
    ):
        sheraf.commit()


def test_threads_incrementing_one_attribute_lose_no_update(db):
    with sheraf.connection(commit=True):
        counter = Counter.create()

    def bump():
        Counter.read(counter.id).value += 1

    def work():
        for _ in range(25):
            sheraf.attempt(bump, attempts=100)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with sheraf.connection():
        assert Counter.read(counter.id).value == 200


def test_an_attempt_inside_an_attempt_does_not_wait_for_itself(db):
    with sheraf.connection(commit=True):
        counter = Counter.create()
    conflicts = []

    def inner():
        if len(conflicts) < 2:
            conflicts.append(1)
            raise ConflictError()
        Counter.read(counter.id).value += 1

    outer_calls = []

    def outer():
        outer_calls.append(1)
        if len(outer_calls) == 1:
            raise ConflictError()  # the outer attempt now holds the retry lane
        sheraf.attempt(inner, on_failure=None)

    started = time.monotonic()
    with sheraf.connection():
        sheraf.attempt(outer)
    assert time.monotonic() - started < 1
    with sheraf.connection():
        assert Counter.read(counter.id).value == 1
