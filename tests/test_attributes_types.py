"""The persistent structures of sheraf.types."""

import sys

import pytest
import ZODB.broken
from ZODB.POSException import ConflictError

import sheraf
from sheraf.types import Counter
from sheraf.types import LargeDict
from sheraf.types import LargeList


@pytest.mark.parametrize(
    "module, name, expected",
    [
        ("sheraf.types", "SmallDict", sheraf.types.SmallDict),
        ("sheraf.types.largedict", "LargeDict", LargeDict),
        ("sheraf.types.largelist", "LargeList", LargeList),
        ("sheraf.types.counter", "Counter", Counter),
        ("sheraf.types", "LargeList", LargeList),
    ],
)
def test_the_paths_of_sheraf_0_6_records_still_load(module, name, expected):
    assert ZODB.broken.find_global(module, name) is expected


def test_records_name_the_types_where_sheraf_0_6_finds_them():
    # After a rollback to sheraf 0.6, it loads what this sheraf wrote.
    assert Counter.__module__ == "sheraf.types.counter"
    assert {LargeDict.__module__, LargeList.__module__} == {"sheraf.types"}
    assert sheraf.types.SmallDict.__module__ == "sheraf.types"


def test_state_layouts_of_sheraf_0_6_load():
    counter = Counter.__new__(Counter)
    counter.__setstate__((12, 0))
    assert counter == 12
    legacy_list = LargeList.__new__(LargeList)
    legacy_list.__setstate__(LargeList(["a", "b"]).__getstate__())
    assert list(legacy_list) == ["a", "b"] and legacy_list.get(-1) == 2


def test_a_large_list_behaves_like_a_list():
    items = LargeList([1, 2, 3])
    items.append(4)
    items.insert(0, 0)
    items.insert(-1, 3.5)
    items.insert(100, 5)
    assert items == [0, 1, 2, 3, 3.5, 4, 5] and len(items) == 7
    assert (
        items[0] == 0
        and items[-1] == 5
        and items[2:4] == [2, 3]
        and items[::3] == [0, 3, 5]
    )
    assert items[5:2] == [] and items[::-2] == [5, 3.5, 2, 0]
    assert items.pop() == 5 and items.pop(0) == 0 and items.pop(-2) == 3.5
    assert items == [1, 2, 3, 4]
    del items[1]
    items.remove(3)
    items[0] = "one"
    assert list(items) == ["one", 4] and list(reversed(items)) == [4, "one"]
    assert 4 in items and 9 not in items and items.index(4) == 1 and items.count(4) == 1
    assert items + [5] == ["one", 4, 5] and repr(items) == "LargeList(['one', 4])"
    with pytest.raises(IndexError):
        items[2]
    with pytest.raises(IndexError):
        items[-3] = 0
    with pytest.raises(ValueError):
        items.remove("nope")
    items.clear()
    assert not items and len(items) == 0 and list(items) == []
    with pytest.raises(IndexError):
        items.pop()


def test_a_large_dict_slices_between_keys():
    numbers = LargeDict({3: "three", 1: "one", 2: "two", 4: "four"})
    assert list(numbers.keys()) == [1, 2, 3, 4]
    assert list(numbers[2:3]) == ["two", "three"]
    assert list(numbers[:2]) == ["one", "two"]
    assert list(numbers[3:]) == ["three", "four"]
    assert list(numbers[::2]) == ["one", "three"]
    assert list(numbers[::-1]) == ["four", "three", "two", "one"]
    assert list(numbers[1:3:-1]) == ["three", "two", "one"]
    assert numbers[4] == "four"


def _overlapping(db, first, second):
    """Change the root's ``"structure"`` in two overlapping transactions,
    the second committing first; return the error of the first, if any."""
    with db.connection() as one:
        with db.connection(commit=True) as two:
            second(two.root()["structure"])
        first(one.root()["structure"])
        try:
            one.transaction_manager.commit()
        except ConflictError as error:
            one.transaction_manager.abort()
            return error
    return None


@pytest.fixture
def nestable(db):
    db.nestable = True
    return db


def _store(db, structure):
    with db.connection(commit=True) as connection:
        connection.root()["structure"] = structure


def _stored(db, read):
    with db.connection() as connection:
        return read(connection.root()["structure"])


def test_concurrent_counter_increments_merge(nestable):
    _store(nestable, Counter(5))
    assert (
        _overlapping(nestable, lambda c: c.increment(3), lambda c: c.decrement(1))
        is None
    )
    assert _stored(nestable, int) == 7


def test_a_counter_set_concurrently_conflicts(nestable):
    _store(nestable, Counter(5))
    assert isinstance(
        _overlapping(nestable, lambda c: c.set(1), lambda c: c.increment()),
        ConflictError,
    )
    assert _stored(nestable, int) == 6


def test_concurrent_appends_to_a_large_list_conflict(nestable):
    _store(nestable, LargeList([1]))
    error = _overlapping(
        nestable, lambda items: items.append(2), lambda items: items.append(3)
    )
    assert isinstance(error, ConflictError)
    assert _stored(nestable, list) == [1, 3]


def test_concurrent_writes_of_different_large_dict_keys_merge(nestable):
    _store(nestable, LargeDict({"a": 1}))
    assert (
        _overlapping(
            nestable, lambda d: d.__setitem__("b", 2), lambda d: d.__setitem__("c", 3)
        )
        is None
    )
    assert _stored(nestable, lambda d: dict(d.items())) == {"a": 1, "b": 2, "c": 3}


class Saddle(sheraf.types.SmallDict):
    """A subclass, with attributes of its own."""


def test_a_small_dict_holds_its_values_alone_and_stores_them_as_before(db):
    with sheraf.connection(commit=True) as connection:
        root = connection.root()
        record = root["small"] = sheraf.types.SmallDict({"name": "George"})
        root["mixed"] = sheraf.types.SmallDict({"name": "Peter", 7: "seven"})
        saddle = root["saddle"] = Saddle({"color": "brown"})
        saddle.maker = "Smith"
        assert not hasattr(record, "__dict__")
        assert record.__getstate__() == {"data": {"name": "George"}}
    with sheraf.connection() as connection:
        connection.cacheMinimize()  # everything loads again
        root = connection.root()
        (key,) = root["small"]
        assert key == "name" and key is sys.intern(key)  # shared, as loaded
        assert dict(root["mixed"]) == {"name": "Peter", 7: "seven"}
        saddle = root["saddle"]
        assert (dict(saddle), saddle.maker) == ({"color": "brown"}, "Smith")
