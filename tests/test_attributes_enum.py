import enum

import pytest

import sheraf


class Status(enum.IntEnum):
    FARMER = 0
    COWBOY = 1
    SHERIF = 2


class Color(enum.Enum):
    RED = "red"
    BLACK = "black"


class Cowboy(sheraf.Model):
    table = "enum_test_cowboys"
    status = sheraf.EnumAttribute(Status, sheraf.IntegerAttribute()).index()
    hat = sheraf.EnumAttribute(Color)


def test_an_enum_attribute_reads_members(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(status=Status.SHERIF, hat="black")
        assert george.mapping["status"] == 2 and george.mapping["hat"] == "black"
    with sheraf.connection():
        george = Cowboy.read(george.id)
        assert george.status == Status.SHERIF and george.status == 2
        assert (
            george.hat == Color.BLACK
            and george.hat == "black"
            and george.hat != Color.RED
        )
        assert george.status.is_sherif and not george.status.is_farmer
        assert george.status.name == "SHERIF" and george.status.value == 2
        assert (
            george.status > Status.COWBOY and george.status >= 2 and george.status < 3
        )
        assert (
            str(george.status) == "2" and repr(george.hat) == "<Color.BLACK: 'black'>"
        )
        assert len({george.status, Cowboy.read(george.id).status}) == 1
        assert Cowboy.create().status is None


def test_values_and_members_are_accepted(db):
    with sheraf.connection():
        cowboy = Cowboy.create(status="1")
        assert cowboy.status == Status.COWBOY
        cowboy.status = Cowboy.read(cowboy.id).status
        cowboy.status = Status.FARMER
        assert cowboy.status.is_farmer
        assert Cowboy.search(status=Status.FARMER).get() == cowboy
        assert Cowboy.search(status=0).get() == cowboy


@pytest.mark.parametrize(
    "values, error, message",
    [
        (
            {"status": 5},
            ValueError,
            "Cowboy.status (EnumAttribute) cannot hold 5: not a Status",
        ),
        ({"hat": "green"}, ValueError, "not a Color"),
        ({"status": "x"}, ValueError, "not an integer"),
    ],
)
def test_values_outside_the_enumeration_are_refused(db, values, error, message):
    with sheraf.connection():
        with pytest.raises(error) as info:
            Cowboy.create(**values)
        assert message in str(info.value)
        assert Cowboy.count() == 0
