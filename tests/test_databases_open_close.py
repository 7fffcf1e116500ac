"""sheraf 0.6's ways to open a connection besides ``with``: the decorator,
``connection_open()``, ``connection_close()`` and ``last_connection()``; a
connection opened any way belongs to the thread or greenlet that opened it."""

import greenlet
import pytest

import sheraf
from sheraf.exceptions import ConnectionLeftOpenWarning


class Cowboy(sheraf.Model):
    table = "open_close_cowboys"
    name = sheraf.StringAttribute()


# Decorated at import time, before any database exists, as sheraf 0.6's
# tutorial does.
@sheraf.connection(commit=True)
def hire(name):
    return Cowboy.create(name=name).id


@sheraf.connection()
def names():
    return sorted(cowboy.name for cowboy in Cowboy.all())


def test_connection_decorates_a_function_defined_before_the_database(db):
    hire("George")
    hire("Peter")
    assert names() == ["George", "Peter"]
    assert sheraf.Database.current_connection() is None  # each call closed its own


def test_a_decorated_function_that_raises_aborts(db):
    @sheraf.connection(commit=True)
    def hire_and_fail():
        Cowboy.create(name="Ghost")
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        hire_and_fail()
    assert names() == []


def test_the_method_decorates_too_and_greenlets_get_their_own_connection(db):
    seen = []

    @db.connection()
    def work():
        seen.append(sheraf.Database.current_connection())
        greenlet.getcurrent().parent.switch()
        seen.append(sheraf.Database.current_connection())

    first, second = greenlet.greenlet(work), greenlet.greenlet(work)
    first.switch(), second.switch(), first.switch(), second.switch()
    assert seen[0] is not seen[1]
    assert seen[2:] == seen[:2]


def test_reuse_in_a_decorator_uses_the_callers_connection(db):
    @sheraf.connection(reuse=True)
    def current():
        return sheraf.Database.current_connection()

    with sheraf.connection() as connection:
        assert current() is connection


def test_connection_open_and_close_outside_a_with_block(db):
    connection = db.connection_open()
    assert sheraf.Database.current_connection() is connection
    assert sheraf.Database.last_connection() is connection
    assert sheraf.Database.last_connection(db) is connection
    Cowboy.create(name="George")
    connection.transaction_manager.commit()
    Cowboy.create(name="Ghost")  # not committed: closing aborts it
    db.connection_close()
    assert not connection.opened
    assert sheraf.Database.last_connection() is None
    assert names() == ["George"]


def test_last_connection_of_a_database_and_closing_a_given_connection():
    first = sheraf.Database(nestable=True)
    second = sheraf.Database(db_args={"database_name": "second"}, nestable=True)
    outer = first.connection_open()
    inner = second.connection_open()
    assert sheraf.Database.last_connection() is inner
    assert sheraf.Database.last_connection(first) is outer
    first.connection_close(outer)
    assert not outer.opened and inner.opened
    assert sheraf.Database.last_connection(first) is None
    second.connection_close(inner)
    assert sheraf.Database.last_connection() is None


def test_a_second_connection_open_on_a_database_that_is_not_nestable(db):
    db.connection_open()
    with pytest.raises(sheraf.ConnectionAlreadyOpened, match="is not nestable"):
        db.connection_open()
    db.connection_close()


def test_only_the_opener_closes_its_connection(db):
    connection = db.connection_open()

    def close_it():
        with pytest.raises(sheraf.NotConnectedException, match="belongs to the"):
            db.connection_close(connection)
        with pytest.raises(sheraf.NotConnectedException, match="no connection"):
            db.connection_close()
        return sheraf.Database.last_connection()

    assert greenlet.greenlet(close_it).switch() is None
    assert connection.opened
    db.connection_close(connection)
    assert not connection.opened


def test_a_connection_opened_by_a_greenlet_that_ends_is_closed(db):
    def open_it():
        return db.connection_open()

    with pytest.warns(ConnectionLeftOpenWarning, match="left open"):
        connection = greenlet.greenlet(open_it).switch()  # then freed
    assert not connection.opened
    assert len(db.pool) == 0


def test_connection_open_and_close_on_a_zeo_server(sheraf_zeo_database):
    database = sheraf_zeo_database
    connection = database.connection_open()
    cowboy_id = Cowboy.create(name="George").id
    connection.transaction_manager.commit()
    database.connection_close(connection)

    def read():
        with database.connection():
            return Cowboy.read(cowboy_id).name

    assert greenlet.greenlet(read).switch() == "George"
