"""What this sheraf does differently from sheraf 0.6.0, on purpose
(CHANGELOG.md, "Upgrading from sheraf 0.6"), on a FileStorage and through
a real ZEO server."""

import datetime

import pytest
from ZODB.POSException import ConflictError

import sheraf


class Saloon(sheraf.Model):
    table = "differences_saloons"
    prices = sheraf.SmallDictAttribute()
    drinks = sheraf.CounterAttribute()
    seats = sheraf.IntegerAttribute(default=12)
    stored_seats = sheraf.IntegerAttribute(default=12, store_default_value=True)
    open = sheraf.BooleanAttribute()
    name = sheraf.StringAttribute()
    opened_at = sheraf.DateTimeAttribute()


@pytest.fixture(params=["filestorage", "zeo"])
def database(request, tmp_path):
    """A database on a real storage, whose connections nest, so that a test
    can run two overlapping transactions."""
    if request.param == "filestorage":
        uri = f"file://{tmp_path}/Data.fs"
    else:
        _, port = request.getfixturevalue("sheraf_zeo_server")
        uri = f"zeo://127.0.0.1:{port}"
    database = sheraf.Database(uri, nestable=True)
    yield database
    database.close()


def saloon_id(**values):
    with sheraf.connection(commit=True):
        return Saloon.create(**values).id


def overlapping(saloon_id, first, second):
    """Run ``first`` and ``second`` on the saloon in two overlapping
    transactions; ``second`` commits first. ``None``, or the
    ``ConflictError`` of ``first``'s commit."""
    try:
        with sheraf.connection(commit=True):
            outer = Saloon.read(saloon_id)
            outer.mapping._p_activate()
            with sheraf.connection(commit=True):
                second(Saloon.read(saloon_id))
            first(outer)
    except ConflictError as error:
        return error
    return None


def read(saloon_id, name):
    with sheraf.connection():
        value = getattr(Saloon.read(saloon_id), name)
        if isinstance(value, sheraf.types.Counter):
            return value.value
        return dict(value.items()) if hasattr(value, "items") else value


def test_equal_concurrent_writes_of_one_key_conflict(database):
    saloon = saloon_id(prices={"whisky": 5, "beer": 2})

    def whisky_at_6(saloon):
        saloon.prices["whisky"] = 6

    error = overlapping(saloon, whisky_at_6, whisky_at_6)
    assert isinstance(error, ConflictError)
    assert read(saloon, "prices") == {"whisky": 6, "beer": 2}


def test_concurrent_writes_of_different_keys_merge(database):
    saloon = saloon_id(prices={"whisky": 5, "beer": 2})
    assert (
        overlapping(
            saloon,
            lambda s: s.prices.__setitem__("whisky", 6),
            lambda s: s.prices.__setitem__("beer", 3),
        )
        is None
    )
    assert read(saloon, "prices") == {"whisky": 6, "beer": 3}


def test_concurrent_writes_of_different_keys_of_a_nested_dict_merge(database):
    saloon = saloon_id(prices={"bottles": {"whisky": 30, "beer": 4}})

    def priced(name, price):
        def change(saloon):
            bottles = dict(saloon.prices["bottles"], **{name: price})
            saloon.prices["bottles"] = bottles

        return change

    assert overlapping(saloon, priced("whisky", 32), priced("beer", 5)) is None
    assert read(saloon, "prices") == {"bottles": {"whisky": 32, "beer": 5}}
    error = overlapping(saloon, priced("beer", 6), priced("beer", 6))
    assert isinstance(error, ConflictError)


def test_a_conversion_that_loses_data_is_refused(database):
    saloon = saloon_id(seats=20)
    with pytest.raises(ValueError, match=r"Saloon.seats .* cannot hold 51.5"):
        with sheraf.connection(commit=True):
            Saloon.read(saloon).seats = 51.5
    assert read(saloon, "seats") == 20
    with sheraf.connection(commit=True):
        Saloon.read(saloon).seats = 51.0
    assert read(saloon, "seats") == 51


@pytest.mark.parametrize(
    "name, value", [("open", "false"), ("open", 2), ("name", ["Lucky", "Saloon"])]
)
def test_a_value_is_not_converted_by_guessing(database, name, value):
    saloon = saloon_id()
    with pytest.raises(TypeError, match=rf"Saloon.{name} .* cannot hold"):
        with sheraf.connection(commit=True):
            setattr(Saloon.read(saloon), name, value)
    with sheraf.connection():
        assert name not in Saloon.read(saloon).mapping


def test_an_aware_datetime_is_stored_as_its_utc_time(database):
    paris = datetime.timezone(datetime.timedelta(hours=2))
    opened = datetime.datetime(2020, 1, 1, 12, 0, tzinfo=paris)
    saloon = saloon_id(opened_at=opened)
    assert read(saloon, "opened_at") == datetime.datetime(2020, 1, 1, 10, 0)


def test_a_constant_default_is_not_written_on_read(database):
    saloon = saloon_id()
    with sheraf.connection(commit=True):
        instance = Saloon.read(saloon)
        assert instance.seats == 12 and instance.stored_seats == 12
    with sheraf.connection():
        record = Saloon.read(saloon).mapping
        assert "seats" not in record and record["stored_seats"] == 12


def test_counter_additions_merge(database):
    saloon = saloon_id(drinks=10)

    def add(amount):
        def change(saloon):
            saloon.drinks += amount

        return change

    assert overlapping(saloon, add(5), add(3)) is None
    assert overlapping(saloon, lambda s: s.drinks.increment(2), add(-1)) is None
    assert read(saloon, "drinks") == 19
    with sheraf.connection():
        assert Saloon.read(saloon).drinks.nb_editions == 0


def test_setting_a_counter_value_conflicts_with_a_concurrent_change(database):
    saloon = saloon_id(drinks=10)

    def set_value(saloon):
        saloon.drinks.value = 0

    error = overlapping(saloon, set_value, lambda s: s.drinks.increment(1))
    assert isinstance(error, ConflictError)
    assert read(saloon, "drinks") == 11
    assert overlapping(saloon, set_value, lambda s: None) is None
    with sheraf.connection():
        drinks = Saloon.read(saloon).drinks
        assert drinks.value == 0 and drinks.nb_editions == 1


def test_a_counter_is_hashed_by_identity(database):
    with sheraf.connection():
        drinks = Saloon.create(drinks=1).drinks
        counted = {drinks}
        drinks += 41
        assert drinks in counted and 42 not in counted and drinks == 42
