"""A database written by sheraf 0.6.0 reads and changes with this sheraf.

``data/sheraf-0.6.0/Data.fs`` was written by sheraf 0.6.0
(``data/make_sheraf06_data.py``), with the models of
``data/sheraf06_models.py`` and::

    steed = Steed.create(name="Jolly")
    cowboy = Cowboy.create(
        name="George", age=50, status=Status.SHERIF, small=[1, 2], large=[3, 4, 5],
        tags={"a", "b"}, sdict={"k": "v"}, ldict={"x": {"name": "X"}},
        horse={"name": "H"}, steed=steed,
    )
    cowboy.shots.increment(7)
    cowboy.mules.create(name="Polly", age=3)

``test_upgrade_from_06.py`` reads the rest of that data.
"""

import os
import shutil

import pytest

import sheraf
from tests.data.sheraf06_models import Cowboy
from tests.data.sheraf06_models import Status

DATA = os.path.join(os.path.dirname(__file__), "data", "sheraf-0.6.0", "Data.fs")


@pytest.fixture
def legacy_database(tmp_path):
    path = tmp_path / "Data.fs"
    shutil.copy(DATA, path)
    database = sheraf.Database(f"file://{path}")
    yield database
    database.close()


def test_a_sheraf_0_6_database_reads_and_changes(legacy_database):
    with sheraf.connection(commit=True):
        (cowboy,) = Cowboy.all()
        assert (cowboy.name, cowboy.age, cowboy.status) == ("George", 50, Status.SHERIF)
        assert (cowboy.small, cowboy.large, cowboy.tags) == (
            [1, 2],
            [3, 4, 5],
            {"a", "b"},
        )
        assert cowboy.sdict == {"k": "v"} and cowboy.ldict["x"].name == "X"
        assert (
            cowboy.horse.name == "H"
            and cowboy.steed.name == "Jolly"
            and cowboy.shots == 7
        )
        assert cowboy.creation_datetime() is not None
        assert Cowboy.search(name="George").get() == cowboy
        assert (
            cowboy.mules.read("Polly").age == 3
            and cowboy.mules.search(age=3).get().name == "Polly"
        )
        cowboy.large.append(6)
        cowboy.shots.increment()
        cowboy.sdict["k2"] = "v2"
        cowboy.mules.create(name="Lucky", age=1)
        Cowboy.create(name="Peter")
    with sheraf.connection():
        cowboy = Cowboy.search(name="George").get()
        assert cowboy.large == [3, 4, 5, 6] and cowboy.shots == 8
        assert cowboy.sdict == {"k": "v", "k2": "v2"}
        assert len(list(cowboy.mules.all())) == 2 and len(list(Cowboy.all())) == 2


def test_counting_a_sheraf_0_6_table_after_a_creation(legacy_database):
    with sheraf.connection():
        Cowboy.create(name="Peter")
        assert Cowboy.count() == 2
