"""Indexes: what they file, how they follow edition and deletion, what
they refuse, how they are rebuilt, and how concurrent writes meet."""

import threading
import warnings

import pytest
from ZODB.POSException import ConflictError

import sheraf
from sheraf.exceptions import IndexationWarning


class Cowboy(sheraf.Model):
    table = "indexes_cowboys"
    name = sheraf.StringAttribute().index()
    email = sheraf.StringAttribute().index(unique=True)
    age = sheraf.IntegerAttribute().index(key="decade", values=lambda age: age // 10)
    motto = (
        sheraf.StringAttribute()
        .index(values=str.lower)
        .index(key="motto_words", values=lambda motto: motto.lower().split())
    )


def names_index():
    return dict(Cowboy.indexes["name"].table().items())


def test_a_multiple_index_files_instances_by_key(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com")
        peter = Cowboy.create(name="Peter", email="peter@abitbol.com")
        steven = Cowboy.create(name="Peter", email="steven@abitbol.com")
    with sheraf.connection():
        assert Cowboy.count("name") == 2
        assert set(Cowboy.filter(name="Peter")) == {peter, steven}
        assert Cowboy.filter(name="George").get() == george
        with pytest.raises(sheraf.MultipleIndexException):
            Cowboy.read(name="Peter")


def test_a_unique_index_reads_an_instance_by_key(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com")
    with sheraf.connection():
        assert Cowboy.read(email="george@abitbol.com") == george
        assert Cowboy.exists(email="george@abitbol.com")
        assert not Cowboy.exists(email="nobody@abitbol.com")
        with pytest.raises(
            sheraf.ModelObjectNotFoundException,
            match="'nobody' not found in Cowboy, 'email' index",
        ):
            Cowboy.read(email="nobody")
        with pytest.raises(
            sheraf.InvalidIndexException, match="'town' is not an index of Cowboy"
        ):
            Cowboy.read(town="Dodge City")


def test_a_unique_violation_at_creation_writes_nothing(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com")

    with sheraf.connection(commit=True):
        with pytest.raises(
            sheraf.UniqueIndexException,
            match="The key 'george@abitbol.com' is already present in the index 'email'",
        ):
            Cowboy.create(name="Impostor", email="george@abitbol.com", age=30)
        # The transaction is still usable, and commits nothing of the impostor.
        peter = Cowboy.create(name="Peter", email="peter@abitbol.com")

    with sheraf.connection():
        assert set(Cowboy.all()) == {george, peter}
        assert Cowboy.count() == 2
        assert set(names_index()) == {"George", "Peter"}
        assert Cowboy.count("decade") == 1
        assert Cowboy.read(email="george@abitbol.com").name == "George"


def test_a_unique_violation_at_edition_puts_the_value_back(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com")
        peter = Cowboy.create(name="Peter", email="peter@abitbol.com")

    with sheraf.connection(commit=True):
        peter = Cowboy.read(peter.id)
        with pytest.raises(sheraf.UniqueIndexException):
            peter.email = "george@abitbol.com"
        assert peter.email == "peter@abitbol.com"
        peter.email = "peter@abitbol.com"  # its own key is no violation

    with sheraf.connection():
        assert Cowboy.read(peter.id).email == "peter@abitbol.com"
        assert Cowboy.read(email="peter@abitbol.com") == peter
        assert Cowboy.read(email="george@abitbol.com") == george


def test_indexes_follow_edition(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com", age=52)
        george.name = "Georges"
        george.email = "georges@abitbol.com"
        george.age = 61

    with sheraf.connection():
        assert set(names_index()) == {"Georges"}
        assert Cowboy.read(email="georges@abitbol.com") == george
        assert not Cowboy.exists(email="george@abitbol.com")
        assert Cowboy.filter(decade=6).get() == george
        assert not Cowboy.filter(decade=5)


def test_indexes_follow_attribute_deletion(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com")
        del george.name
        del george.email
    with sheraf.connection():
        assert names_index() == {}
        assert Cowboy.count("email") == 0
        assert Cowboy.filter(name="").get() == george


def test_indexes_follow_deletion(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(
            name="George", email="george@abitbol.com", age=52, motto="Hi"
        )
        peter = Cowboy.create(name="George", email="peter@abitbol.com", age=53)
        george.delete()
    with sheraf.connection():
        assert Cowboy.count() == 1
        assert [key for key, _ in Cowboy.indexes["name"].table().items()] == ["George"]
        assert list(Cowboy.indexes["name"].table()["George"].keys()) == [
            peter.raw_identifier
        ]
        assert not Cowboy.exists(email="george@abitbol.com")
        assert Cowboy.count("motto") == 0 and Cowboy.count("motto_words") == 0
        Cowboy.read(peter.id).delete()
        assert all(Cowboy.count(name) == 0 for name in Cowboy.indexes)


def test_several_indexes_on_one_attribute_with_key_and_values(db):
    with sheraf.connection():
        george = Cowboy.create(motto="Never Give Up", age=52)
        assert (
            Cowboy.indexes["motto"].attributes
            == Cowboy.indexes["motto_words"].attributes
        )
        assert george.index_keys("motto") == {"never give up"}
        assert george.index_keys("motto_words") == {"never", "give", "up"}
        assert george.index_keys("decade") == {5}
        assert Cowboy.search(motto_words="GIVE").get() == george
        assert Cowboy.search(motto="NEVER give UP").get() == george
        assert Cowboy.filter(decade=5).get() == george
        assert Cowboy.search_keys(motto_words="Give In") == {"give", "in"}
        assert george.is_indexed_with(motto_words="up", decade=52)
        assert not george.is_indexed_with(motto_words="down")


def test_index_functions_may_take_the_model_first(db):
    class Horse(sheraf.Model):
        table = "indexes_horses"
        name = sheraf.StringAttribute()
        size = sheraf.IntegerAttribute()
        tagged = sheraf.Index("name", "size")

        @tagged.index_keys_func()
        def tag(self, value):
            return f"{self.__class__.__name__}:{value}"

        @tagged.search_keys_func
        def tag_search(model_class, value):
            return f"{model_class.__name__}:{value}"

    with sheraf.connection():
        jolly = Horse.create(name="Jolly", size=150)
        assert jolly.index_keys("tagged") == {"Horse:Jolly", "Horse:150"}
        assert Horse.search(tagged=150).get() == jolly
        assert Horse.filter(tagged="Horse:Jolly").get() == jolly


class Person(sheraf.Model):
    table = "indexes_people"
    first_name = sheraf.StringAttribute()
    last_name = sheraf.StringAttribute()
    nickname = sheraf.StringAttribute()
    names = sheraf.Index(first_name, "last_name", nickname)

    @names.index_keys_func
    def lowercase(self, value):
        return value.lower()

    @names.index_keys_func(first_name, "last_name")
    def full_name(self, first, last):
        return {f"{first} {last}".lower(), f"{last} {first}".lower()}


def test_an_index_over_several_attributes_with_a_function_per_group(db):
    with sheraf.connection():
        george = Person.create(
            first_name="George", last_name="Abitbol", nickname="Georgy"
        )
        peter = Person.create(first_name="Peter", last_name="Abitbol")
        assert george.index_keys("names") == {
            "george abitbol",
            "abitbol george",
            "georgy",
        }
        assert Person.search(names="GEORGY").get() == george
        assert Person.search(names="Abitbol George").get() == george
        assert Person.search(names="peter abitbol").get() == peter
        assert not Person.search(names="abitbol")

        george.last_name = "Abitbol-Jr"
        assert not Person.search(names="george abitbol")
        assert Person.search(names="george abitbol-jr").get() == george


def test_an_index_names_attributes_of_the_model():
    with pytest.raises(AttributeError, match="Index 'broken' names 'nope'"):

        class Broken(sheraf.Model):
            table = "indexes_broken"
            broken = sheraf.Index("nope")


class Saddle(sheraf.Model):
    table = "indexes_saddles"
    label = sheraf.StringAttribute().index()
    label_with_empty = sheraf.StringAttribute().index(nullok=True)
    label_with_none = sheraf.StringAttribute().index(nullok=False, noneok=True)
    weight = sheraf.SimpleAttribute().index()
    weight_with_none = sheraf.SimpleAttribute().index(noneok=True)


def test_nullok_and_noneok_say_which_empty_keys_are_indexed(db):
    with sheraf.connection():
        for value in ("", None, "brown"):
            Saddle.create(label=value, label_with_empty=value, label_with_none=value)
        for value in (0, None, 5):
            Saddle.create(weight=value, weight_with_none=value)
        keys = {
            name: set(dict(Saddle.indexes[name].table().items()))
            for name in Saddle.indexes
        }
        assert keys["label"] == {"brown"}
        assert keys["label_with_empty"] == {"", "brown"}
        assert keys["label_with_none"] == {None, "brown"}
        assert keys["weight"] == {0, 5}
        assert keys["weight_with_none"] == {0, None, 5}


class Horse(sheraf.Model):
    table = "indexes_horses_by_name"
    name = sheraf.StringAttribute()


class HorseAttribute(sheraf.Attribute):
    """Stores a horse as its identifier, like a model attribute does."""

    def serialize(self, horse):
        return None if horse is None else horse.id

    def deserialize(self, identifier):
        return None if identifier is None else Horse.read(identifier)


class Rider(sheraf.Model):
    table = "indexes_riders"
    horse = HorseAttribute().index()


class Gunslinger(sheraf.Model):
    table = "indexes_gunslingers"
    colors = sheraf.ListAttribute(sheraf.StringAttribute()).index()
    horse = sheraf.ModelAttribute(Horse).index()


@pytest.mark.parametrize("rider_class", [Rider, Gunslinger])
def test_an_index_over_an_attribute_that_refers_to_a_model(db, rider_class):
    with sheraf.connection():
        jolly = Horse.create(name="Jolly Jumper")
        polly = Horse.create(name="Polly")
        luke = rider_class.create(horse=jolly)
        lucky = rider_class.create(horse=jolly)
        joe = rider_class.create(horse=polly)
        assert luke.index_keys("horse") == {jolly.id}
        assert set(rider_class.filter(horse=jolly)) == {luke, lucky}
        assert rider_class.search(horse=polly).get() == joe
        joe.horse = jolly
        assert not rider_class.filter(horse=polly)
        assert rider_class.filter(horse=jolly).count() == 3
        assert rider_class.filter(horse=None).count() == 0


def test_a_model_attribute_is_found_by_identifier_too(db):
    with sheraf.connection():
        jolly = Horse.create(name="Jolly Jumper")
        luke = Gunslinger.create(horse=jolly)
        assert Gunslinger.filter(horse=jolly.id).get() == luke
        assert Gunslinger.search(horse=jolly.id).get() == luke


def test_an_index_over_a_list_files_its_items(db):
    with sheraf.connection():
        george = Gunslinger.create(colors=["red", "green"])
        peter = Gunslinger.create(colors=["green"])
        assert george.index_keys("colors") == {"red", "green"}
        assert Gunslinger.search(colors="red").get() == george
        assert set(Gunslinger.filter(colors="green")) == {george, peter}
        george.colors.append("blue")
        george.colors.remove("red")
        assert Gunslinger.filter(colors="blue").get() == george
        assert not Gunslinger.filter(colors="red")


def test_the_primary_key_cannot_change(db):
    with sheraf.connection():
        george = Cowboy.create()
        george.id = george.id
        with pytest.raises(
            sheraf.SherafException, match="primary index and cannot be edited"
        ):
            george.id = "00000000-0000-0000-0000-000000000000"
        with pytest.raises(sheraf.UniqueIndexException, match="already used"):
            Cowboy.create(id=george.id)


class Stone(sheraf.Model):
    table = "indexes_stones"
    name = sheraf.StringAttribute().index(unique=True)
    weight = sheraf.SimpleAttribute().index()
    carats = sheraf.IntegerAttribute().index(noneok=True)


def test_a_key_an_index_cannot_hold_writes_nothing(db):
    with sheraf.connection(commit=True):
        ruby = Stone.create(name="Ruby", weight=3, carats=5)
        with pytest.raises(
            TypeError, match="The index 'weight' cannot hold the key 'heavy'"
        ):
            Stone.create(name="Diamond", weight="heavy")
        with pytest.raises(
            TypeError, match="The index 'carats' cannot hold the key None"
        ):
            ruby.carats = None
        assert ruby.carats == 5

    with sheraf.connection():
        assert list(Stone.all()) == [ruby]
        assert not Stone.exists(name="Diamond")
        assert Stone.filter(carats=5).get() == ruby


def test_copy_recreates_unique_values(db):
    with sheraf.connection():
        george = Cowboy.create(name="George", email="george@abitbol.com")
        copy = george.copy()
        assert copy.id != george.id
        assert copy.email == "" and copy.name == "George"
        assert set(Cowboy.filter(name="George")) == {george, copy}


# An index added to a table that already holds instances.


def define_mount(**indexes):
    namespace = {
        "table": "indexes_mounts",
        "name": sheraf.StringAttribute(),
        "size": sheraf.IntegerAttribute(),
    }
    for name, index in indexes.items():
        namespace[name] = namespace[name].index(**index)
    return type("Mount", (sheraf.Model,), namespace)


def test_a_new_index_is_out_of_date_until_rebuilt(db):
    Mount = define_mount()
    with sheraf.connection(commit=True):
        jolly = Mount.create(name="Jolly", size=150)
        polly = Mount.create(name="Polly", size=150)

    Mount = define_mount(name={"unique": True}, size={})
    with sheraf.connection(commit=True):
        assert sorted(Mount.outdated_indexes()) == ["name", "size"]
        with pytest.warns(
            IndexationWarning, match=r"Mount.name is a new index .* out of date"
        ):
            assert Mount.read(name="Polly") == polly
        # Queries stay right, by reading every instance.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert set(Mount.filter(size=150)) == {jolly, polly}
        with pytest.warns(IndexationWarning):
            molly = Mount.create(name="Molly", size=120)

    with sheraf.connection(commit=True):
        Mount.index_table_rebuild("name")
        assert Mount.outdated_indexes() == ["size"]
        assert Mount.read(name="Molly") == molly
        Mount.index_table_rebuild()
        assert Mount.outdated_indexes() == []

    with sheraf.connection(commit=True):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            dolly = Mount.create(name="Dolly", size=120)
        assert set(Mount.filter(size=120)) == {molly, dolly}
        assert Mount.count("size") == 2


def test_a_rebuild_that_breaks_a_unique_index_changes_nothing(db):
    Mount = define_mount()
    with sheraf.connection(commit=True):
        Mount.create(name="Jolly")
        Mount.create(name="Jolly")

    Mount = define_mount(name={"unique": True})
    with sheraf.connection(commit=True):
        with pytest.raises(sheraf.UniqueIndexException, match="'Jolly'"):
            Mount.index_table_rebuild("name")
        assert Mount.outdated_indexes() == ["name"]
        with pytest.raises(sheraf.InvalidIndexException):
            Mount.index_table_rebuild("nope")


def test_a_rebuild_in_chunks_with_a_callback(db):
    Mount = define_mount()
    with sheraf.connection(commit=True):
        mounts = [Mount.create(name=f"Horse {i}", size=i % 3) for i in range(10)]

    Mount = define_mount(size={})
    seen = []
    with sheraf.connection(commit=True):
        Mount.index_table_rebuild("size", reset=False, start=0, end=4)
        assert (
            sum(len(bucket) for bucket in Mount.indexes["size"].table().values()) == 4
        )
    with sheraf.connection(commit=True):
        Mount.index_table_rebuild(
            "size",
            reset=False,
            start=4,
            callback=lambda position, mount: seen.append(mount),
        )
    with sheraf.connection():
        assert len(seen) == 6
        for size in range(3):
            assert set(Mount.filter(size=size)) == {m for m in mounts if m.size == size}


def test_a_rebuild_callback_can_stop_it(db):
    Mount = define_mount()
    with sheraf.connection(commit=True):
        for i in range(5):
            Mount.create(name=f"Horse {i}")

    Mount = define_mount(name={})
    with sheraf.connection():
        Mount.index_table_rebuild(callback=lambda position, mount: position < 2)
        assert Mount.count("name") == 3


# Concurrent writes.


def create_in_two_threads(database, first, second):
    """Create two cowboys in two threads, each in its own transaction, both
    creations done before either commits; return what each commit gave."""
    ready = threading.Barrier(2)
    results = {}

    def create(label, fields):
        try:
            with database.connection(commit=True):
                Cowboy.create(**fields)
                ready.wait(timeout=30)
            results[label] = "committed"
        except (ConflictError, sheraf.UniqueIndexException) as exc:
            results[label] = exc

    threads = [
        threading.Thread(target=create, args=(label, fields))
        for label, fields in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture(params=["memory", "zeo"])
def database(request):
    if request.param == "memory":
        return request.getfixturevalue("sheraf_database")
    return request.getfixturevalue("sheraf_zeo_database")


def test_two_transactions_filing_one_unique_key_cannot_both_commit(database):
    with database.connection(commit=True):
        Cowboy.create(name="Nobody")  # the table exists before the race

    results = create_in_two_threads(
        database, {"email": "george@abitbol.com"}, {"email": "george@abitbol.com"}
    )

    assert sorted(map(str, results)) == ["first", "second"]
    assert list(results.values()).count("committed") == 1
    failure = next(r for r in results.values() if r != "committed")
    assert isinstance(failure, ConflictError)
    with database.connection():
        assert Cowboy.filter(email="george@abitbol.com").count() == 1
        assert Cowboy.count() == 2


def test_attempt_turns_the_conflict_into_a_unique_violation(sheraf_zeo_database):
    with sheraf_zeo_database.connection(commit=True):
        Cowboy.create(name="Nobody")
    ready = threading.Barrier(2)
    outcomes = []

    def create():
        calls = []

        def create_george():
            calls.append(1)
            Cowboy.create(email="george@abitbol.com")
            if len(calls) == 1:
                ready.wait(timeout=30)

        try:
            sheraf.attempt(create_george, on_failure=None)
            outcomes.append("committed")
        except sheraf.UniqueIndexException:
            outcomes.append("refused")

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["committed", "refused"]
    with sheraf_zeo_database.connection():
        assert Cowboy.filter(email="george@abitbol.com").count() == 1


def test_two_transactions_filing_different_keys_both_commit(database):
    with database.connection(commit=True):
        Cowboy.create(name="Nobody")

    results = create_in_two_threads(
        database,
        {"name": "George", "email": "george@abitbol.com"},
        {"name": "Peter", "email": "peter@abitbol.com"},
    )

    assert results == {"first": "committed", "second": "committed"}
    with database.connection():
        assert Cowboy.count() == 3
        assert {c.email for c in Cowboy.all()} == {
            "",
            "george@abitbol.com",
            "peter@abitbol.com",
        }
        assert Cowboy.read(email="peter@abitbol.com").name == "Peter"


def test_an_index_declared_in_one_model_stays_out_of_another():
    shared = sheraf.StringAttribute()

    class First(sheraf.Model):
        table = "indexes_first"
        name = shared
        by_name = sheraf.Index("name")

    class Second(sheraf.Model):
        table = "indexes_second"
        name = shared

    assert "by_name" in First.indexes
    assert "by_name" not in Second.indexes
