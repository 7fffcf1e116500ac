"""sheraf.tools, the helpers of sheraf 0.6 that its users import, and the
typed attributes."""

import datetime
import decimal

import pytest
from ZODB.POSException import ConflictError

import sheraf
from sheraf.tools.dicttools import DictConflictException
from sheraf.tools.dicttools import merge
from sheraf.tools.dicttools import pr_eq
from sheraf.tools.more_itertools import unique_everseen


def test_merge_keeps_the_changes_of_both_sides():
    old = {"kept": 1, "changed": 2, "deleted": 3, "nested": {"a": 1, "b": 2}}
    a = {"kept": 1, "changed": 20, "nested": {"a": 10, "b": 2}, "added": 4}
    b = {"kept": 1, "changed": 2, "deleted": 3, "nested": {"a": 1, "b": 20}}
    assert merge(old, a, b) == {
        "kept": 1,
        "changed": 20,
        "nested": {"a": 10, "b": 20},
        "added": 4,
    }
    assert merge(old, b, a) == merge(old, a, b)


@pytest.mark.parametrize(
    "a, b",
    [
        ({"k": 2}, {"k": 2}),
        ({"k": 2}, {"k": 3}),
        ({"k": 2}, {}),
        ({}, {}),
        ({"k": 1, "new": 1}, {"k": 1, "new": 1}),
        ({"k": {"x": 1}}, {"k": {"x": 1}}),
    ],
)
def test_merge_refuses_two_changes_of_one_key(a, b):
    old = {"k": 1} if not isinstance(a.get("k"), dict) else {"k": {"x": 0}}
    with pytest.raises(DictConflictException):
        merge(old, a, b)
    assert issubclass(DictConflictException, ConflictError)


class Unorderable:
    def __eq__(self, other):
        raise ValueError("no comparison")


def test_pr_eq_says_whether_two_values_are_the_same():
    assert pr_eq(1, 1) and pr_eq("a", "a") and pr_eq({"a": [1]}, {"a": [1]})
    assert not pr_eq(1, 1.0) and not pr_eq(1, True) and not pr_eq(1, 2)
    value = Unorderable()
    assert pr_eq(value, value) and not pr_eq(value, Unorderable())


def test_unique_everseen_keeps_the_first_of_each():
    assert list(unique_everseen([3, 1, 3, 2, 1])) == [3, 1, 2]
    assert list(unique_everseen(["a", "A", "b"], key=str.lower)) == ["a", "b"]
    assert list(unique_everseen([])) == []


class DecimalAttribute(sheraf.TypedAttribute):
    type = decimal.Decimal


class Cowboy(sheraf.Model):
    table = "tools_test_cowboys"
    debt = DecimalAttribute()
    born = sheraf.DateTimeAttribute()


def test_a_typed_attribute_converts_with_its_type(db):
    assert sheraf.attributes.simples.TypedAttribute.type is object
    assert [
        attribute.type
        for attribute in (
            sheraf.IntegerAttribute(),
            sheraf.FloatAttribute(),
            sheraf.StringAttribute(),
            sheraf.BooleanAttribute(),
        )
    ] == [int, float, str, bool]
    with sheraf.connection():
        george = Cowboy.create(debt="12.5")
        assert george.debt == decimal.Decimal("12.5")
        assert Cowboy.create().debt == decimal.Decimal(0)
        assert Cowboy.create(debt=None).debt is None
        with pytest.raises(
            TypeError, match=r"Cowboy.debt \(DecimalAttribute\) cannot hold \{\}"
        ):
            Cowboy.create(debt={})
        with pytest.raises(ValueError, match=r"cannot hold 'abc': not a Decimal"):
            Cowboy.create(debt="abc")
        assert Cowboy.count() == 3


def test_a_datetime_is_stored_as_its_timestamp(db):
    born = datetime.datetime(1970, 1, 2, 0, 0, 1)
    assert Cowboy.born.datetime_to_timestamp(born) == 86401.0
    with sheraf.connection():
        george = Cowboy.create(born=born)
        assert george.mapping["born"] == 86401.0 and george.born == born
