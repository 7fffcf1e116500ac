import contextvars
import gc
import threading

import greenlet
import pytest

import sheraf
from sheraf.contexts import ContextVarProvider
from sheraf.contexts import GreenletProvider
from sheraf.contexts import ThreadProvider
from sheraf.exceptions import ConnectionLeftOpenWarning


class Bottle(sheraf.Model):
    table = "context_bottles"
    level = sheraf.IntegerAttribute()


@pytest.fixture
def provider():
    previous = sheraf.get_context_provider()
    yield
    sheraf.set_context_provider(previous)


def test_default_provider_keys_by_greenlet():
    assert isinstance(sheraf.get_context_provider(), GreenletProvider)


def test_threads_sharing_a_database_each_get_their_own_connection(db):
    barrier = threading.Barrier(4)
    seen = {}

    def work(name):
        with sheraf.connection() as connection:
            barrier.wait(5)  # all four connections are open at once
            seen[name] = (connection, connection.transaction_manager)
            assert sheraf.Database.current_connection() is connection
            barrier.wait(5)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    connections = {id(c) for c, _ in seen.values()}
    managers = {id(m) for _, m in seen.values()}
    assert len(connections) == len(managers) == 4


def test_a_thread_started_inside_a_connection_context_is_not_connected(db):
    errors = []

    def practice():
        try:
            Bottle.create()
        except sheraf.NotConnectedException as exc:
            errors.append(str(exc))

    with sheraf.connection():
        thread = threading.Thread(target=practice)
        thread.start()
        thread.join(5)
    assert len(errors) == 1
    assert "Bottle needs an open connection" in errors[0]
    assert "does not share it" in errors[0]
    assert "1 other thread(s) or greenlet(s) have one open" in errors[0]


def test_greenlets_switching_inside_their_contexts_never_share(db):
    """Plain greenlets, no gevent: each keeps its connection and transaction
    while the other runs."""
    with sheraf.connection(commit=True):
        Bottle.create().delete()  # the table exists before they both write
    seen = {}

    def work(name, other_name):
        with sheraf.connection(commit=True) as connection:
            bottle = Bottle.create(level=len(seen))
            seen[name] = (connection, connection.transaction_manager.get(), bottle.id)
            peer = greenlets[other_name]
            if not peer.dead:
                peer.switch()  # switch away while our context is open
            assert sheraf.Database.current_connection() is connection
            assert connection.transaction_manager.get() is seen[name][1]

    greenlets = {}
    greenlets["a"] = greenlet.greenlet(lambda: work("a", "b"))
    greenlets["b"] = greenlet.greenlet(lambda: work("b", "a"))
    greenlets["a"].switch()
    while not all(g.dead for g in greenlets.values()):
        for g in greenlets.values():
            if not g.dead:
                g.switch()

    (conn_a, txn_a, id_a), (conn_b, txn_b, id_b) = seen["a"], seen["b"]
    assert conn_a is not conn_b
    assert txn_a is not txn_b
    assert sheraf.Database.current_connection() is None
    with sheraf.connection():
        assert Bottle.count() == 2
        assert {Bottle.read(id_a).level, Bottle.read(id_b).level} == {0, 1}


def test_a_greenlet_that_raises_aborts_and_returns_its_connection(db):
    def work():
        with sheraf.connection(commit=True):
            Bottle.create()
            greenlet.getcurrent().parent.switch()
            raise RuntimeError("boom")

    worker = greenlet.greenlet(work)
    worker.switch()
    assert len(db.pool) == 1
    with pytest.raises(RuntimeError):
        worker.switch()
    assert len(db.pool) == 0
    with sheraf.connection():
        assert Bottle.count() == 0


def test_a_greenlet_left_suspended_in_its_context_is_cleaned_when_collected(db):
    def work():
        with sheraf.connection(commit=True):
            Bottle.create()
            greenlet.getcurrent().parent.switch()

    worker = greenlet.greenlet(work)
    worker.switch()
    assert len(db.pool) == 1
    del worker
    gc.collect()
    assert len(db.pool) == 0
    with sheraf.connection():
        assert Bottle.count() == 0


def test_a_connection_left_open_when_its_greenlet_ends_is_reported_and_closed(db):
    def leave_it_open():
        db.connection().__enter__()
        Bottle.create()

    worker = greenlet.greenlet(leave_it_open)
    with pytest.warns(
        ConnectionLeftOpenWarning, match="was left open when its greenlet"
    ):
        worker.switch()
        del worker
        gc.collect()
    assert len(db.pool) == 0
    with sheraf.connection():
        assert Bottle.count() == 0


def test_thread_provider_shares_contexts_between_greenlets_of_a_thread(db, provider):
    sheraf.set_context_provider(ThreadProvider())
    with sheraf.connection() as connection:
        inside = greenlet.greenlet(sheraf.Database.current_connection).switch()
    assert inside is connection


def test_contextvar_provider_separates_contexts(db, provider):
    sheraf.set_context_provider(ContextVarProvider())
    with sheraf.connection() as connection:
        assert sheraf.Database.current_connection() is connection
        in_new_context = contextvars.Context().run(sheraf.Database.current_connection)
        in_copy = contextvars.copy_context().run(sheraf.Database.current_connection)
    assert in_new_context is None
    assert in_copy is connection


def test_provider_cannot_change_while_connections_are_open(db, provider):
    with sheraf.connection():
        with pytest.raises(RuntimeError, match="while 1 execution context"):
            sheraf.set_context_provider(ThreadProvider())


def test_provider_must_be_a_provider(provider):
    with pytest.raises(TypeError, match="ContextProvider"):
        sheraf.set_context_provider(object())
