import logging
import threading
import time

import pytest
from transaction.interfaces import TransientError
from ZODB.POSException import ConflictError

import sheraf
from sheraf.transactions import RETRY_TURN_TIMEOUT
from sheraf.transactions import RetryLane
from sheraf.transactions import lanes_of


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


class Records(logging.Handler):
    """The records of sheraf.transactions' logger during a test."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    handler = Records()
    logger = logging.getLogger("sheraf.transactions")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def test_what_attempt_gives_up_on_says_how_each_attempt_went(db, records):
    raised = []

    def always():
        raised.append(ConflictError())
        raise raised[-1]

    with sheraf.connection():
        with pytest.raises(ConflictError) as info:
            sheraf.attempt(always, attempts=3, on_failure=None)
    assert info.value is raised[-1]
    lines = info.value.extra_info.splitlines()
    assert [line.split(" failed")[0] for line in lines] == [
        f"{always.__qualname__}: attempt {number} of 3" for number in (1, 2, 3)
    ]
    # sheraf 0.6's record: a warning with the traceback, and what log
    # pipelines read in its extra fields.
    assert [record.levelno for record in records] == [logging.WARNING] * 3
    assert [record.attempt for record in records] == [1, 2, 3]
    assert [record.exception for record in records] == raised
    assert all(record.exc_info[1] is record.exception for record in records)
    assert all(record.stack is True for record in records)
    assert all(0 <= record.total_time < 5 for record in records)
    assert not any(hasattr(record, "commit_time") for record in records)
    assert records[-1].getMessage() == lines[-1]


def test_a_conflict_at_commit_is_logged_with_the_commit_time(db, records):
    with sheraf.connection(commit=True):
        counter = Counter.create()

    def concurrent_bump():
        with sheraf.connection(commit=True):
            Counter.read(counter.id).value += 10

    def bump():
        Counter.read(counter.id).value += 1
        if not records:  # another transaction commits first, once
            thread = threading.Thread(target=concurrent_bump)
            thread.start()
            thread.join(10)

    with sheraf.connection():
        sheraf.attempt(bump, on_failure=None)
    with sheraf.connection():
        assert Counter.read(counter.id).value == 11
    (record,) = records
    assert isinstance(record.exception, ConflictError)
    assert 0 <= record.commit_time <= record.total_time
    assert "of it committing" in record.getMessage()


def test_attempt_logs_nothing_without_log_exceptions(db, records):
    flaky = iter([ConflictError(), None])

    def once():
        exc = next(flaky)
        if exc:
            raise exc

    with sheraf.connection():
        sheraf.attempt(once, log_exceptions=False, on_failure=None)
    assert records == []


def test_transient_errors_are_retried_and_an_unreachable_database_is_not(db):
    calls = []

    def transient():
        calls.append(1)
        if len(calls) == 1:
            raise TransientError("try again")

    with sheraf.connection():
        sheraf.attempt(transient, on_failure=None, log_exceptions=False)
        assert len(calls) == 2

        def unreachable():
            calls.append(1)
            raise sheraf.DatabaseUnavailableException("the server is gone")

        calls.clear()
        with pytest.raises(sheraf.DatabaseUnavailableException) as info:
            sheraf.attempt(unreachable, on_failure=None)
        assert len(calls) == 1
        assert not hasattr(info.value, "extra_info")  # it was not retried


def test_on_failure_gets_the_index_of_each_failed_attempt(db):
    failures = []

    def always():
        raise ConflictError()

    with sheraf.connection():
        with pytest.raises(ConflictError):
            sheraf.attempt(
                always, attempts=4, on_failure=failures.append, log_exceptions=False
            )
    assert failures == [0, 1, 2]  # none after the last


def test_attempts_must_be_at_least_one(db):
    with sheraf.connection():
        with pytest.raises(ValueError, match="attempts must be 1 or more, not 0"):
            sheraf.attempt(lambda: None, attempts=0)


def test_each_database_has_its_own_retry_lanes(db):
    other = sheraf.Database(db_args={"database_name": "other"})
    assert lanes_of(db) is lanes_of(db)
    assert lanes_of(db) is not lanes_of(other)


def test_a_retry_waits_for_the_turn_of_the_object_that_conflicted(db):
    """While one unit of work retries after a conflict on an object, another
    one that conflicted on it waits for its turn, RETRY_TURN_TIMEOUT at
    most; one that conflicted on another object does not wait."""
    holder = RetryLane(db)
    holder.wait_turn(ConflictError(oid=b"cowboy"))
    waited = {}

    def retry(oid):
        lane = RetryLane(db)
        started = time.monotonic()
        lane.wait_turn(ConflictError(oid=oid))
        waited[oid] = time.monotonic() - started
        lane.leave()

    same = threading.Thread(target=retry, args=(b"cowboy",))
    other = threading.Thread(target=retry, args=(b"horse",))
    same.start(), other.start()
    other.join(5)
    time.sleep(0.3)
    holder.leave()
    same.join(5)
    assert waited[b"horse"] < 0.2
    assert 0.25 < waited[b"cowboy"] < RETRY_TURN_TIMEOUT
