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
    size = sheraf.IntegerAttribute()


@pytest.fixture
def file_uri(tmp_path):
    return f"file://{tmp_path}/Data.fs"


def test_a_model_with_no_table_keeps_its_instances_where_06_did(file_uri):
    database = sheraf.Database(file_uri)
    with sheraf.connection(commit=True):
        george = Drifter.create(first_name="George", last_name="Abitbol", age=51)
    database.close()

    database = sheraf.Database(file_uri)
    try:
        with sheraf.connection() as connection:
            assert Drifter.search(name="Abitbol").get().age == 51
            record = Drifter.read(george.id).mapping
            table = connection.get(z64)[None]
            assert record is table["id"][george.id]
            assert record is table["name"]["George"]
    finally:
        database.close()


def test_models_with_no_table_share_the_one_table_of_06(db):
    with sheraf.connection() as connection:
        george = Drifter.create(first_name="George", last_name="Abitbol")
        weed = Tumbleweed.create(size=3)
        table = connection.get(z64)[None]
        assert set(table["id"]) == {george.id, weed.id}
        assert list(Tumbleweed.filter(size=3)) == [weed]
        assert Drifter.read(george.id).first_name == "George"


class Bounty(sheraf.Model):
    table = "legacy_docs_bounties"
    database_name = "legacy_docs_sheriff_office"
    outlaw = sheraf.StringAttribute().index()
    reward = sheraf.IntegerAttribute()


@pytest.fixture(params=["filestorage", "zeo"])
def two_databases(request, tmp_path):
    """The default database, in a FileStorage or on a ZEO server, and the
    sheriff's office, in a FileStorage."""
    if request.param == "zeo":
        _, port = request.getfixturevalue("sheraf_zeo_server")
        default = sheraf.Database(f"zeo://127.0.0.1:{port}")
    else:
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


def test_a_model_with_a_database_name_still_finds_the_rows_of_the_default_one(
    two_databases,
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
        assert [bounty.outlaw for bounty in Bounty.filter(reward=100)] == ["Joe"]
        Bounty.read(joe).outlaw = "Joe Dalton"
    with sheraf.connection(commit=True) as connection:
        default_table = connection.root()["legacy_docs_bounties"]
        assert set(default_table["outlaw"]) == {"Joe Dalton"}
        assert [bounty.id for bounty in Bounty.search(outlaw="Joe Dalton")] == [joe]
        assert list(Bounty.search(outlaw="Joe")) == []
    with sheraf.connection(commit=True) as connection:
        Bounty.read(joe).delete()
        assert joe not in connection.root()["legacy_docs_bounties"]["id"]
        assert [bounty.outlaw for bounty in Bounty.all()] == ["Jack"]
        assert not Bounty.exists(joe)


def test_a_model_whose_database_is_not_open_says_which(db):
    with sheraf.connection():
        with pytest.raises(
            sheraf.exceptions.NoDatabaseConnectionException,
            match="Bounty.*legacy_docs_sheriff_office",
        ):
            Bounty.create(outlaw="Joe")
        with pytest.raises(sheraf.exceptions.NoDatabaseConnectionException):
            Bounty.read("nope")
