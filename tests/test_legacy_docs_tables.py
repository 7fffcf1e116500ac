"""Where sheraf 0.6's documentation lets a model keep its instances: a
model may have no ``table``, and its instances then go where 0.6.0 put
them, under the key ``None`` of the database root."""

import pytest
from ZODB.utils import z64

import sheraf


class Drifter(sheraf.Model):
    first_name = sheraf.StringAttribute()
    last_name = sheraf.StringAttribute()
    age = sheraf.IntegerAttribute()

    name = sheraf.Index(first_name, last_name, unique=True)


class Tumbleweed(sheraf.Model):
    size = sheraf.IntegerAttribute().index()


@pytest.fixture
def file_uri(tmp_path):
    return f"file://{tmp_path}/Data.fs"


@pytest.mark.xfail(strict=True, reason="a model with no table is refused")
def test_a_model_with_no_table_keeps_its_instances_where_06_did(file_uri):
    database = sheraf.Database(file_uri)
    with sheraf.connection(commit=True):
        george = Drifter.create(first_name="George", last_name="Abitbol", age=51)
    database.close()

    database = sheraf.Database(file_uri)
    try:
        with sheraf.connection() as connection:
            assert Drifter.search(name="Abitbol").get().age == 51
            assert Drifter.read(george.id) == george
            table = connection.get(z64)[None]
            assert george.mapping is table["id"][george.id]
            assert george.mapping is table["name"]["George"]
    finally:
        database.close()


@pytest.mark.xfail(strict=True, reason="a model with no table is refused")
def test_models_with_no_table_share_the_one_table_of_06(db):
    with sheraf.connection() as connection:
        george = Drifter.create(first_name="George", last_name="Abitbol")
        weed = Tumbleweed.create(size=3)
        table = connection.get(z64)[None]
        assert set(table["id"]) == {george.id, weed.id}
        assert list(Tumbleweed.search(size=3)) == [weed]
        assert Drifter.read(george.id).first_name == "George"
