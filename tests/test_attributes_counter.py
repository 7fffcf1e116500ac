import threading

import pytest
from ZODB.POSException import ConflictError

import sheraf


class Saloon(sheraf.Model):
    table = "counter_saloons"
    drinks = sheraf.CounterAttribute()
    tips = sheraf.CounterAttribute(default=1.5)


def test_a_counter_reads_like_a_number(db):
    with sheraf.connection(commit=True):
        saloon = Saloon.create()
        assert saloon.drinks == 0 and saloon.tips == 1.5
        saloon.drinks.increment(3)
        saloon.drinks += 2
        saloon.drinks.decrement()
        saloon.drinks -= 1
        assert saloon.drinks == 3
        assert (saloon.drinks + 1, 10 - saloon.drinks, saloon.drinks * 2) == (4, 7, 6)
        assert saloon.drinks < 4 and saloon.drinks >= 3 and int(saloon.drinks) == 3
        assert f"{saloon.drinks:03d}" == "003" and str(saloon.drinks) == "3"
        assert repr(saloon.drinks) == "<Counter value=3>"
    with sheraf.connection():
        assert Saloon.read(saloon.id).drinks == 3


def test_assigning_sets_the_counter(db):
    with sheraf.connection(commit=True):
        saloon = Saloon.create(drinks=10)
        saloon.drinks = 7
        assert saloon.drinks == 7
        saloon.drinks *= 2
        assert saloon.drinks == 14
    with sheraf.connection():
        assert Saloon.read(saloon.id).drinks == 14


def test_a_counter_refuses_what_is_not_a_number(db):
    with sheraf.connection():
        with pytest.raises(
            TypeError, match=r"Saloon.drinks \(CounterAttribute\) cannot hold 'ten'"
        ):
            Saloon.create(drinks="ten")
        with pytest.raises(TypeError):
            Saloon.create(drinks=True)
        assert Saloon.count() == 0


def test_a_number_stored_before_becomes_a_counter(db):
    with sheraf.connection():
        saloon = Saloon.create()
        saloon.mapping["drinks"] = 4
        saloon.drinks.increment()
        assert isinstance(saloon.mapping["drinks"], sheraf.types.Counter)
        assert saloon.drinks == 5


def _concurrently(database, saloon_id, first, second):
    """Run ``first`` and ``second`` on the saloon in two transactions that
    overlap; commit the second, then the first."""
    with database.connection(commit=True):
        outer = Saloon.read(saloon_id)
        with database.connection(commit=True):
            second(Saloon.read(saloon_id))
        first(outer)


def test_concurrent_increments_merge(db):
    db.nestable = True
    with sheraf.connection(commit=True):
        saloon_id = Saloon.create().id
    _concurrently(
        db,
        saloon_id,
        lambda s: s.drinks.increment(100),
        lambda s: s.drinks.decrement(10),
    )
    _concurrently(
        db, saloon_id, lambda s: s.drinks.__iadd__(1), lambda s: s.drinks.__isub__(2)
    )
    with sheraf.connection():
        assert Saloon.read(saloon_id).drinks == 89


def test_setting_a_counter_conflicts_with_a_concurrent_change(db):
    db.nestable = True
    with sheraf.connection(commit=True):
        saloon_id = Saloon.create().id

    def setter(value):
        return lambda saloon: setattr(saloon, "drinks", value)

    with pytest.raises(ConflictError):
        _concurrently(db, saloon_id, lambda s: s.drinks.increment(1), setter(10))
    with pytest.raises(ConflictError):
        _concurrently(db, saloon_id, setter(20), lambda s: s.drinks.increment(1))
    with sheraf.connection():
        assert Saloon.read(saloon_id).drinks == 11


def test_ten_threads_increment_a_counter_over_zeo_without_a_conflict(
    sheraf_zeo_database,
):
    threads, increments = 10, 30
    with sheraf.connection(commit=True):
        saloon_id = Saloon.create().id
    attempts, conflicts = [], []
    start = threading.Barrier(threads)

    def drink():
        start.wait()
        for _ in range(increments):
            attempts.append(1)
            try:
                with sheraf.connection(commit=True):
                    Saloon.read(saloon_id).drinks.increment(1)
            except ConflictError as error:  # pragma: no cover - the failure
                conflicts.append(error)

    workers = [threading.Thread(target=drink) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert conflicts == []
    assert len(attempts) == threads * increments
    with sheraf.connection():
        assert Saloon.read(saloon_id).drinks == threads * increments
