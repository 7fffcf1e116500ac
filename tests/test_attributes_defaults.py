"""Defaults, laziness, memoization and keys of attributes."""

import pytest

import sheraf


class Cowboy(sheraf.Model):
    table = "defaults_test_cowboys"
    name = sheraf.StringAttribute(default="John Doe")
    age = sheraf.IntegerAttribute(default=30, lazy=False)
    nickname = sheraf.StringAttribute(default=lambda: "Kid")
    title = sheraf.StringAttribute(default=lambda cowboy: f"Sir {cowboy.name}")
    scores = sheraf.SmallListAttribute(
        sheraf.IntegerAttribute(), default=lambda: [1, 2]
    )
    email = sheraf.StringAttribute(key="mail")
    renamed = sheraf.StringAttribute(key=["new_key", "old_key"])


class Decorated(sheraf.Model):
    table = "defaults_test_decorated"
    gunskill = sheraf.IntegerAttribute()

    @gunskill.default
    def default_gunskill(self):
        return 7


def test_defaults_are_values_or_callables(db):
    with sheraf.connection():
        cowboy = Cowboy.create()
        assert (cowboy.name, cowboy.age, cowboy.nickname) == ("John Doe", 30, "Kid")
        assert cowboy.title == "Sir John Doe" and cowboy.scores == [1, 2]
        assert Decorated.create().gunskill == 7
        assert Cowboy.create(name="George").title == "Sir George"


def test_lazy_defaults_are_stored_when_first_needed(db):
    with sheraf.connection():
        cowboy = Cowboy.create()
        assert "age" in cowboy.mapping
        assert "nickname" not in cowboy.mapping and "scores" not in cowboy.mapping
        assert cowboy.nickname == "Kid" and cowboy.scores == [1, 2]
        assert "nickname" in cowboy.mapping and "scores" in cowboy.mapping
        assert cowboy.name == "John Doe" and "name" not in cowboy.mapping


def test_keys_say_where_values_are_stored(db):
    with sheraf.connection():
        cowboy = Cowboy.create(email="george@abitbol.com", renamed="value")
        assert cowboy.mapping["mail"] == "george@abitbol.com"
        assert cowboy.mapping["new_key"] == "value"
        older = Cowboy.create()
        older.mapping["old_key"] = "old value"
        assert older.renamed == "old value"


def test_write_memoization_keeps_values_readable_after_the_connection(db):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(name="George")
    assert cowboy.name == "George"


def test_read_memoization(db):
    with sheraf.connection(commit=True):
        cowboy_id = Cowboy.create(name="George").id
    sheraf.set_read_memoization(True)
    try:
        with sheraf.connection():
            cowboy = Cowboy.read(cowboy_id)
            assert cowboy.name == "George"
            cowboy.mapping["name"] = "changed behind its back"
            assert cowboy.name == "George"
    finally:
        sheraf.set_read_memoization(False)
    with sheraf.connection():
        cowboy = Cowboy.read(cowboy_id)
        assert cowboy.name == "George"
        cowboy.mapping["name"] = "Peter"
        assert cowboy.name == "Peter"


def test_without_write_memoization_values_are_read_again(db):
    sheraf.set_write_memoization(False)
    try:
        with sheraf.connection():
            cowboy = Cowboy.create(name="George")
            assert "name" not in cowboy.__dict__
            assert cowboy.name == "George"
    finally:
        sheraf.set_write_memoization(True)


def test_reset_and_delete_give_the_default_back(db):
    with sheraf.connection():
        cowboy = Cowboy.create(name="George", age=50)
        cowboy.reset("age")
        del cowboy.name
        assert (cowboy.name, cowboy.age) == ("John Doe", 30)


def test_unknown_attributes_are_refused(db):
    with sheraf.connection():
        with pytest.raises(TypeError, match="Cowboy has no attribute"):
            Cowboy.create(horse="Jolly")
