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


class Bounty(sheraf.Model):
    table = "legacy_docs_bounties"
    database_name = "legacy_docs_sheriff_office"
    outlaw = sheraf.StringAttribute().index()
    reward = sheraf.IntegerAttribute()


@pytest.fixture
def two_file_databases(tmp_path):
    default = sheraf.Database(f"file://{tmp_path}/Data.fs")
    office = sheraf.Database(
        f"file://{tmp_path}/Office.fs",
        db_args={"database_name": "legacy_docs_sheriff_office"},
    )
    yield default, office
    office.close()
    default.close()


def write_in_the_default_database(**values):
    """A row a model without ``database_name`` wrote: where 0.6 users who
    added one later have their old rows."""

    class Bounty(sheraf.Model):
        table = "legacy_docs_bounties"
        outlaw = sheraf.StringAttribute().index()
        reward = sheraf.IntegerAttribute()

    with sheraf.connection(commit=True):
        return Bounty.create(**values).id


@pytest.mark.xfail(strict=True, reason="a model reads its database_name only")
def test_a_model_with_a_database_name_still_finds_the_rows_of_the_default_one(
    two_file_databases,
):
    joe = write_in_the_default_database(outlaw="Joe", reward=100)
    with sheraf.connection(commit=True) as connection:
        assert Bounty.read(joe).reward == 100
        assert list(Bounty.search(outlaw="Joe")) == [Bounty.read(joe)]
        jack = Bounty.create(outlaw="Jack", reward=50)
        office = connection.get_connection("legacy_docs_sheriff_office").root()
        assert jack.id in office["legacy_docs_bounties"]["id"]
        assert joe not in office["legacy_docs_bounties"]["id"]
        assert Bounty.count() == 2
        assert {bounty.outlaw for bounty in Bounty.all()} == {"Joe", "Jack"}
    with sheraf.connection(commit=True) as connection:
        Bounty.read(joe).delete()
        assert joe not in connection.root()["legacy_docs_bounties"]["id"]
        assert [bounty.outlaw for bounty in Bounty.all()] == ["Jack"]
        assert not Bounty.exists(joe)


@pytest.mark.xfail(strict=True, reason="a bare KeyError")
def test_a_model_whose_database_is_not_open_says_which(db):
    with sheraf.connection():
        with pytest.raises(
            sheraf.exceptions.NoDatabaseConnectionException,
            match="Bounty.*legacy_docs_sheriff_office",
        ):
            Bounty.create(outlaw="Joe")
        with pytest.raises(sheraf.exceptions.NoDatabaseConnectionException):
            Bounty.read("nope")
