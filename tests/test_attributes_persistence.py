"""Every kind of attribute, written, then read back by a new database on
the same storage: a FileStorage, and a ZEO server."""

import datetime
import enum
import uuid

import pytest

import sheraf


class Status(enum.Enum):
    FARMER = "farmer"
    SHERIF = "sherif"


class Saddle(sheraf.InlineModel):
    color = sheraf.StringAttribute()


class Mule(sheraf.AttributeModel):
    name = sheraf.StringAttribute().index(primary=True)


class Horse(sheraf.Model):
    table = "persistence_horses"
    name = sheraf.StringAttribute()
    riders = sheraf.ReverseModelAttribute("Cowboy", "horse")


class Cowboy(sheraf.Model):
    table = "persistence_cowboys"
    name = sheraf.StringAttribute()
    age = sheraf.IntegerAttribute()
    height = sheraf.FloatAttribute()
    sherif = sheraf.BooleanAttribute()
    anything = sheraf.SimpleAttribute()
    token = sheraf.UUIDAttribute()
    key = sheraf.StringUUIDAttribute()
    born = sheraf.DateTimeAttribute()
    birthday = sheraf.DateAttribute()
    alarm = sheraf.TimeAttribute()
    status = sheraf.EnumAttribute(Status)
    small_list = sheraf.SmallListAttribute(sheraf.IntegerAttribute())
    large_list = sheraf.LargeListAttribute(sheraf.StringAttribute())
    colors = sheraf.SetAttribute(sheraf.StringAttribute())
    small_dict = sheraf.SmallDictAttribute(sheraf.SmallListAttribute())
    large_dict = sheraf.LargeDictAttribute(sheraf.InlineModelAttribute(Saddle))
    horse = sheraf.ModelAttribute(Horse).index()
    saddle = sheraf.InlineModelAttribute(Saddle)
    mules = sheraf.IndexedModelAttribute(Mule)
    shots = sheraf.CounterAttribute()
    password = sheraf.PasswordAttribute(n=2**10)
    fax = sheraf.BlobAttribute()
    portrait = sheraf.FileAttribute()


TOKEN = uuid.uuid4()
VALUES = {
    "name": "George",
    "age": 50,
    "height": 1.8,
    "sherif": True,
    "anything": ("a", 1),
    "token": TOKEN,
    "key": str(TOKEN),
    "born": datetime.datetime(1970, 5, 4, 3, 2, 1),
    "birthday": datetime.date(1970, 5, 4),
    "alarm": datetime.time(6, 30),
    "status": Status.SHERIF,
    "small_list": [1, 2],
    "large_list": ["a", "b"],
    "colors": {"red", "blue"},
    "small_dict": {"k": [1, "x"]},
    "large_dict": {"black": {"color": "black"}},
    "saddle": {"color": "brown"},
    "mules": [{"name": "Polly"}],
    "shots": 3,
    "password": "secret",
    "fax": {"data": b"Hello", "filename": "fax.txt"},
    "portrait": {"stream": b"<svg/>", "extension": "svg"},
}


def _read_back(cowboy):
    return {
        **{name: getattr(cowboy, name) for name in VALUES},
        "small_list": list(cowboy.small_list),
        "large_list": list(cowboy.large_list),
        "colors": set(cowboy.colors),
        "small_dict": {key: list(value) for key, value in cowboy.small_dict.items()},
        "large_dict": {key: {"color": s.color} for key, s in cowboy.large_dict.items()},
        "saddle": {"color": cowboy.saddle.color},
        "mules": [{"name": mule.name} for mule in cowboy.mules.all()],
        "shots": cowboy.shots.value,
        "password": "secret" if cowboy.password == "secret" else "wrong",
        "fax": {"data": cowboy.fax.data, "filename": cowboy.fax.original_name},
        "portrait": {
            "stream": cowboy.portrait.stream,
            "extension": cowboy.portrait.extension,
        },
    }


@pytest.fixture(params=["filestorage", "zeo"])
def storage_uri(request, tmp_path):
    """A URI of a storage that outlives the databases opened on it."""
    previous = sheraf.set_files_root_dir(str(tmp_path / "files"))
    if request.param == "filestorage":
        yield f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs"
    else:
        _, port = request.getfixturevalue("sheraf_zeo_server")
        yield f"zeo://127.0.0.1:{port}?blob_dir={tmp_path}/client-blobs"
    sheraf.set_files_root_dir(previous)


def _in_a_new_database(uri, function):
    database = sheraf.Database(uri)
    try:
        with sheraf.connection(commit=True):
            return function()
    finally:
        database.close()


def test_every_attribute_is_read_back_from_a_reopened_storage(storage_uri):
    def write():
        horse = Horse.create(name="Jolly")
        return Cowboy.create(horse=horse, **VALUES).id, horse.id

    cowboy_id, horse_id = _in_a_new_database(storage_uri, write)

    def read_and_change():
        cowboy = Cowboy.read(cowboy_id)
        assert _read_back(cowboy) == VALUES
        assert cowboy.horse.name == "Jolly"
        assert [rider.id for rider in Horse.read(horse_id).riders] == [cowboy_id]
        cowboy.shots.increment(2)
        cowboy.large_list.append("c")
        cowboy.colors.discard("red")
        cowboy.mules.create(name="Lucky")
        cowboy.large_dict["black"].color = "grey"

    _in_a_new_database(storage_uri, read_and_change)

    def read_changes():
        cowboy = Cowboy.read(cowboy_id)
        return (
            cowboy.shots.value,
            list(cowboy.large_list),
            set(cowboy.colors),
            cowboy.mules.count(),
            cowboy.large_dict["black"].color,
        )

    assert _in_a_new_database(storage_uri, read_changes) == (
        5,
        ["a", "b", "c"],
        {"blue"},
        2,
        "grey",
    )
