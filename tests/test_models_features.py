"""Model classes and what every model instance can do."""

import pytest

import sheraf


class Horse(sheraf.InlineModel):
    name = sheraf.StringAttribute()
    age = sheraf.IntegerAttribute()


class Cowboy(sheraf.Model):
    table = "features_cowboys"
    name = sheraf.StringAttribute()
    age = sheraf.IntegerAttribute()
    horse = sheraf.InlineModelAttribute(Horse)
    email = sheraf.StringAttribute().index(unique=True)


class Tag(sheraf.Model):
    table = "features_tags"


def test_model_variants_and_their_identifiers(db):
    class RandomInt(sheraf.IntIndexedNamedAttributesModel):
        table = "features_random_ints"

    class Ordered(sheraf.IntOrderedNamedAttributesModel):
        table = "features_ordered"
        name = sheraf.StringAttribute()

    class Uuid(sheraf.UUIDIndexedNamedAttributesModel):
        table = "features_uuids"

    class Compact(sheraf.IntIndexedIntAttributesModel):
        table = "features_compact"
        name = sheraf.StringAttribute()
        age = sheraf.IntegerAttribute()

    with sheraf.connection(commit=True):
        assert isinstance(RandomInt.create().id, int)
        assert [Ordered.create().id for _ in range(3)] == [0, 1, 2]
        assert len(Uuid.create().id) == 36
        compact = Compact.create(name="George", age=3)
        assert {key for key in compact.mapping if isinstance(key, int)} >= {1, 2}
        dated = Cowboy.create()
        assert dated.creation_datetime() is None
    with sheraf.connection():
        dated = Cowboy.read(dated.id)
        assert (
            dated.creation_datetime() is not None
            and dated.last_update_datetime() is not None
        )
        assert Compact.read(compact.id).name == "George"


def test_an_automodel_names_its_table_after_its_class(db):
    class WildHorse(sheraf.AutoModel):
        name = sheraf.StringAttribute()

    class HTTPServerLog(sheraf.AutoModel):
        pass

    class Named(sheraf.AutoModel):
        table = "features_explicit"

    class WildPony(WildHorse):
        pass

    assert WildHorse.table == "wild_horse" and HTTPServerLog.table == "http_server_log"
    assert Named.table == "features_explicit" and WildPony.table == "wild_pony"
    assert sheraf.IndexedModel.from_table("wild_horse") is WildHorse
    with sheraf.connection(commit=True):
        jolly = WildHorse.create(name="Jolly")
    with sheraf.connection() as connection:
        assert WildHorse.read(jolly.id).name == "Jolly"
        assert "wild_horse" in connection.root()


def test_copy(db):
    with sheraf.connection():
        george = Cowboy.create(
            name="George", age=50, horse={"name": "Jolly"}, email="g@a.com"
        )
        copy = george.copy(email="copy@a.com")
        assert copy != george and copy.id != george.id
        assert (copy.name, copy.age, copy.horse.name, copy.email) == (
            "George",
            50,
            "Jolly",
            "copy@a.com",
        )
        copy.horse.name = "Polly"
        assert george.horse.name == "Jolly"


def test_models_are_used_as_dictionaries(db):
    with sheraf.connection():
        horse = Horse.create(name="Jolly", age=3)
        assert list(horse.keys()) == ["name", "age"] and list(horse.values()) == [
            "Jolly",
            3,
        ]
        assert dict(horse.items()) == dict(horse) == {"name": "Jolly", "age": 3}
        assert horse["name"] == "Jolly" and "age" in horse and "color" not in horse
        horse["age"] = 4
        assert horse.age == 4
        with pytest.raises(KeyError):
            horse["color"]
        with pytest.raises(KeyError):
            horse["color"] = "black"


def test_edit(db):
    with sheraf.connection():
        george = Cowboy.create(name="George", age=50, horse={"name": "Jolly", "age": 3})
        assert george.edit({"name": "Peter", "unknown": 1}) is george
        assert george.name == "Peter"
        with pytest.raises(TypeError, match="Cowboy has no attribute"):
            george.edit({"name": "Steven", "unknown": 1}, strict=True)
        assert george.name == "Peter"
        george.edit({"age": 51, "horse": {"age": 4}}, edition=False)
        assert george.age == 50 and george.horse.age == 3
        george.update(horse={"age": 4})
        assert (george.horse.name, george.horse.age) == ("Jolly", 4)
        george.edit({"horse": {"age": 5}}, replacement=True)
        assert (george.horse.name, george.horse.age) == ("", 5)


def test_bad_input_writes_nothing_and_the_transaction_goes_on(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="g@a.com")
        with pytest.raises(
            ValueError, match=r"Horse.age \(IntegerAttribute\) cannot hold 'old'"
        ):
            george.update(name="Peter", age=51, horse={"name": "Polly", "age": "old"})
        assert (george.name, george.age, george.horse.name) == ("George", 0, "")
        with pytest.raises(sheraf.UniqueIndexException):
            Cowboy.create(name="Other", email="g@a.com")
        with pytest.raises(
            TypeError, match=r"Cowboy.age \(IntegerAttribute\) cannot hold \[50\]"
        ):
            george.age = [50]
        Cowboy.create(name="Steven")
    with sheraf.connection():
        assert sorted(cowboy.name for cowboy in Cowboy.all()) == ["George", "Steven"]
        assert Cowboy.read(george.id).age == 0


def test_equality_and_hashing_by_table_and_identifier(db):
    with sheraf.connection():
        george = Cowboy.create(name="George")
        peter = Cowboy.create(name="Peter")
        tag = Tag.create()
        again = Cowboy.read(george.id)
        assert again == george and again is not george and hash(again) == hash(george)
        assert george != peter and george != tag and len({george, again, peter}) == 2
        assert (
            Horse.create(name="J") == Horse.create(name="J") != Horse.create(name="K")
        )


def test_repr(db):
    with sheraf.connection():
        george = Cowboy.create(name="George")
        assert repr(george) == f"<Cowboy id={george.id}>"
        assert (
            repr(Horse.create(name="Jolly Jumper", age=12))
            == "<Horse name='Jolly Jumper' age=12>"
        )
        assert repr(Horse.create()) == "<Horse>"
        assert len(repr(Horse.create(name="x" * 100))) < 60


def test_creation_edition_and_deletion_callbacks(db):
    calls = []

    class Sheriff(sheraf.Model):
        table = "features_sheriffs"
        name = sheraf.StringAttribute()

        @name.on_creation
        def name_created(self, new):
            calls.append(("name created", new))

        @name.on_edition
        def name_edited(self, new, old):
            calls.append(("name before", old, new))
            yield
            calls.append(("name after", self.name))

        @name.on_deletion
        def name_deleted(self, old):
            calls.append(("name deleted", old))

    @Sheriff.on_creation
    def welcome(sheriff):
        yield
        calls.append(("welcome", sheriff.name))

    @Sheriff.on_deletion
    def goodbye(sheriff):
        calls.append(("goodbye", sheriff.name))

    with sheraf.connection():
        sheriff = Sheriff.create(name="George")
        sheriff.name = "Peter"
        del sheriff.name
        sheriff.name = "Steven"
        sheriff.delete()
        assert Sheriff.count() == 0
        with pytest.raises(AttributeError, match="it was deleted"):
            sheriff.name
    assert calls == [
        ("name created", "George"),
        ("welcome", "George"),
        ("name before", "George", "Peter"),
        ("name after", "Peter"),
        ("name deleted", "Peter"),
        ("name created", "Steven"),
        ("goodbye", "Steven"),
        ("name deleted", "Steven"),
    ]


def test_a_model_can_live_in_another_database(db):
    class Archived(sheraf.Model):
        table = "features_archived"
        database_name = "archives"
        name = sheraf.StringAttribute()

    archives = sheraf.Database(db_args={"database_name": "archives"})
    try:
        with sheraf.connection(commit=True) as connection:
            old = Archived.create(name="Old George")
            george = Cowboy.create(name="George")
            assert "features_archived" not in connection.root()
            assert "features_cowboys" in connection.root()
        with archives.connection() as connection:
            assert "features_archived" in connection.root()
            assert "features_cowboys" not in connection.root()
        with sheraf.connection():
            assert Archived.read(old.id).name == "Old George"
            assert Cowboy.read(george.id).name == "George"
    finally:
        archives.close()
