import uuid

import pytest

import sheraf


class Cowboy(sheraf.Model):
    table = "model_cowboys"
    name = sheraf.StringAttribute()
    gunskill = sheraf.IntegerAttribute()
    accuracy = sheraf.FloatAttribute(default=0.5)
    alive = sheraf.BooleanAttribute(default=True)
    hat = sheraf.SimpleAttribute()


def test_create_read_and_defaults(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", gunskill=3)
    with sheraf.connection():
        read = Cowboy.read(george.id)
        assert read == george
        assert (read.name, read.gunskill, read.accuracy, read.alive, read.hat) == (
            "George",
            3,
            0.5,
            True,
            None,
        )
        assert Cowboy.count() == 1
        assert Cowboy.exists(george.id)
        assert not Cowboy.exists("unknown")


def test_identifier_stays_readable_after_the_connection_closed(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create()
    assert len(george.id) == 36


def test_uuid_identifiers_read_as_uuids(db):
    class Ranch(sheraf.IntIndexedNamedAttributesModel):
        table = "model_uuid_ranches"
        id = sheraf.UUIDAttribute(default=uuid.uuid4).index(primary=True)

    with sheraf.connection(commit=True):
        ranch = Ranch.create()
    with sheraf.connection():
        for found in (Ranch.read(ranch.id), Ranch.read(str(ranch.id)), *Ranch.all()):
            assert isinstance(found.id, uuid.UUID)
            assert found.id == ranch.id


def test_unknown_id_raises_model_object_not_found(db):
    with sheraf.connection():
        with pytest.raises(
            sheraf.ModelObjectNotFoundException,
            match="Key 'nope' not found in Cowboy, 'id' index",
        ):
            Cowboy.read("nope")
        with pytest.raises(sheraf.ModelObjectNotFoundException):
            list(Cowboy.read_these(["nope"]))


@pytest.mark.parametrize(
    "attribute, value, error, message",
    [
        (
            "gunskill",
            "abc",
            ValueError,
            "Cowboy.gunskill (IntegerAttribute) cannot hold 'abc'",
        ),
        ("gunskill", 3.5, ValueError, "not a whole number"),
        ("gunskill", [1], TypeError, "an integer is needed, not list"),
        (
            "accuracy",
            "much",
            ValueError,
            "Cowboy.accuracy (FloatAttribute) cannot hold 'much'",
        ),
        (
            "alive",
            "yes",
            TypeError,
            "Cowboy.alive (BooleanAttribute) cannot hold 'yes'",
        ),
        ("name", {"first": "G"}, TypeError, "Cowboy.name (StringAttribute)"),
    ],
)
def test_a_value_an_attribute_cannot_hold_writes_nothing(
    db, attribute, value, error, message
):
    with sheraf.connection(commit=True):
        with pytest.raises(error) as info:
            Cowboy.create(**{"name": "Bad", attribute: value})
        assert message in str(info.value)
        assert Cowboy.count() == 0

        george = Cowboy.create(name="George")
        with pytest.raises(error):
            setattr(george, attribute, value)
        # the transaction is still usable and commits what was valid
    with sheraf.connection():
        (only,) = Cowboy.all()
        assert only.name == "George"
        assert only.gunskill == 0


def test_conversions_of_values_attributes_can_hold(db):
    with sheraf.connection():
        cowboy = Cowboy.create(gunskill="12", accuracy=1, alive=0, name=42)
        assert (cowboy.gunskill, cowboy.accuracy, cowboy.alive, cowboy.name) == (
            12,
            1.0,
            False,
            "42",
        )


def test_unknown_attributes_are_refused(db):
    with sheraf.connection():
        with pytest.raises(TypeError, match="Cowboy has no attribute.*'horse'"):
            Cowboy.create(horse="Jolly Jumper")
        assert Cowboy.count() == 0


def test_delete(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George")
        peter = Cowboy.create(name="Peter")
    with sheraf.connection(commit=True):
        Cowboy.read(george.id).delete()
    with sheraf.connection():
        assert Cowboy.count() == 1
        assert list(Cowboy.all()) == [peter]
        with pytest.raises(sheraf.ModelObjectNotFoundException):
            Cowboy.read(george.id)


def test_a_deleted_instance_says_so(db):
    with sheraf.connection():
        george = Cowboy.create(name="George")
        george.delete()
        with pytest.raises(AttributeError, match="it was deleted"):
            george.name


def test_read_these_and_all(db):
    with sheraf.connection():
        cowboys = [Cowboy.create(name=str(i)) for i in range(5)]
        ids = [c.id for c in cowboys]
        assert list(Cowboy.read_these(ids[:3])) == cowboys[:3]
        assert sorted(Cowboy.all(), key=lambda c: c.name) == cowboys
        assert list(Cowboy.read_these_valid([ids[0], "nope", ids[1]])) == cowboys[:2]


def test_instances_are_made_without_the_model_own_init(db):
    """A model may define __init__ for its own use: sheraf makes the
    instances it reads and creates without calling it."""

    class Stagecoach(sheraf.Model):
        table = "model_stagecoaches"
        seats = sheraf.IntegerAttribute().index()

        def __init__(self):
            raise AssertionError("sheraf called __init__")

    with sheraf.connection():
        coach = Stagecoach.create(seats=6)
        found = [
            Stagecoach.read(coach.id),
            *Stagecoach.all(),
            *Stagecoach.filter(seats=6),
            *Stagecoach.read_these([coach.id]),
        ]
        assert found == [coach] * 4
        assert all(type(instance) is Stagecoach for instance in found)


def test_models_need_a_connection(db):
    with pytest.raises(
        sheraf.NotConnectedException, match="Cowboy needs an open connection"
    ):
        Cowboy.create()


def test_same_table_for_two_models_is_refused():
    with pytest.raises(sheraf.SameNameForTableException, match="model_cowboys"):

        class Impostor(sheraf.Model):
            table = "model_cowboys"


def test_instances_do_not_share_a_mutable_default(db):
    class Wagon(sheraf.Model):
        table = "model_wagons"
        load = sheraf.SimpleAttribute(default=[])

    with sheraf.connection():
        first, second = Wagon.create(), Wagon.create()
        first.load.append("gold")
        assert second.load == []
