"""The index managers, on their own: the store of a model's table, on a
real FileStorage and in memory."""

import threading

import pytest
from BTrees.LOBTree import LOBTree
from BTrees.OOBTree import OOBTree
from ZODB.utils import z64

import sheraf
from sheraf.exceptions import IndexationWarning
from sheraf.models.indexmanager import IndexManager
from sheraf.models.indexmanager import MultipleDatabaseIndexManager
from sheraf.models.indexmanager import SimpleIndexManager
from sheraf.models.indextrees import LENGTH_KEY
from sheraf.models.indextrees import descending_items


class Cowboy(sheraf.Model):
    table = "indexmanager_test_cowboys"
    name = sheraf.StringAttribute().index()
    email = sheraf.StringAttribute().index(unique=True)
    size = sheraf.IntegerAttribute().index()


class Horse(sheraf.AttributeModel):
    name = sheraf.StringAttribute().index(primary=True)
    colour = sheraf.StringAttribute().index()


class Rider(sheraf.Model):
    table = "indexmanager_test_riders"
    horses = sheraf.IndexedModelAttribute(Horse)


@pytest.fixture(params=["memory", "filestorage"])
def database(request, tmp_path):
    if request.param == "memory":
        database = sheraf.Database()
    else:
        database = sheraf.Database(f"file://{tmp_path}/Data.fs")
    yield database
    database.close()


@pytest.fixture
def herd(database):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", email="george@abitbol.com", size=180)
        peter = Cowboy.create(name="Peter", email="peter@abitbol.com", size=170)
        steven = Cowboy.create(name="Peter", email="steven@abitbol.com", size=190)
    return george, peter, steven


def test_models_choose_their_manager_class():
    assert Cowboy.index_manager_class is MultipleDatabaseIndexManager
    assert Horse.index_manager_class is SimpleIndexManager
    assert all(isinstance(m, IndexManager) for m in Cowboy.indexes.values())
    assert set(Cowboy.indexes) == {"id", "name", "email", "size"}
    assert Cowboy.index_manager() is Cowboy.indexes["id"]
    assert Cowboy.index_manager("name") is Cowboy.indexes["name"]
    assert (
        Cowboy.index_manager(Cowboy.indexes["name"].details) is Cowboy.indexes["name"]
    )
    with pytest.raises(
        sheraf.InvalidIndexException, match="'nickname' is not an index"
    ):
        Cowboy.index_manager("nickname")


def test_a_manager_offers_what_its_index_declares():
    email = Cowboy.indexes["email"]
    assert email.details is Cowboy.attributes["email"].indexes["email"]
    assert (email.key, email.unique, email.primary) == ("email", True, False)
    assert email.attributes == [Cowboy.attributes["email"]]
    with pytest.raises(AttributeError):
        email.no_such_thing  # noqa: B018
    assert repr(email) == "<MultipleDatabaseIndexManager name=email>"


def test_the_table_lives_at_the_database_root(herd):
    with sheraf.connection() as connection:
        manager = Cowboy.indexes["name"]
        root = manager.root()
        assert connection.root()[Cowboy.table] is root
        assert manager.database_root() is connection.get(z64)
        assert manager.table_name == Cowboy.table
        assert manager.database_name is None
        assert set(root) == {"id", "name", "email", "size", LENGTH_KEY}
        assert manager.initialized()
        assert manager.table_initialized()


def test_lookups_of_unique_and_multiple_indexes(herd):
    george, peter, steven = herd
    with sheraf.connection():
        email, name = Cowboy.indexes["email"], Cowboy.indexes["name"]
        assert email.get_item("george@abitbol.com") is george.mapping
        assert set(map(id, name.get_item("Peter"))) == {
            id(peter.mapping),
            id(steven.mapping),
        }
        assert email.has_item("peter@abitbol.com")
        assert not email.has_item("nobody@abitbol.com")
        assert not Cowboy.indexes["size"].has_item("tall")  # a key it cannot hold
        with pytest.raises(KeyError):
            email.get_item("nobody@abitbol.com")
        assert email.get_item("nobody@abitbol.com", silent_errors=True) is None
        assert name.lookup(["Peter", "Nobody"]) == [("Peter", name.table()["Peter"])]


def test_ordered_traversal_and_counts(herd):
    george, peter, steven = herd
    with sheraf.connection():
        size, name = Cowboy.indexes["size"], Cowboy.indexes["name"]
        assert list(size.iterkeys()) == [170, 180, 190]
        assert list(size.iterkeys(reverse=True)) == [190, 180, 170]
        assert [len(bucket) for bucket in name.itervalues()] == [1, 2]
        by_size = [Cowboy.from_entry(*entry) for entry in size.entries()]
        assert by_size == [peter, george, steven]
        assert [Cowboy.from_entry(*e) for e in size.entries(reverse=True)] == [
            steven,
            george,
            peter,
        ]
        assert (name.count(), size.count()) == (2, 3)
        assert Cowboy.indexes["id"].count() == Cowboy.index_manager().length() == 3


def test_filing_moving_and_unfiling_keep_every_index_in_step(herd):
    george, peter, steven = herd
    with sheraf.connection(commit=True):
        george.name = "Georges"
        steven.delete()
    with sheraf.connection():
        name = Cowboy.indexes["name"]
        assert list(name.iterkeys()) == ["Georges", "Peter"]
        assert not Cowboy.indexes["email"].has_item("steven@abitbol.com")
        assert Cowboy.index_manager().length() == 2


def test_a_refused_key_files_nothing(herd):
    george, peter, _ = herd
    with sheraf.connection():
        email = Cowboy.indexes["email"]
        with pytest.raises(sheraf.UniqueIndexException):
            email.check_item(peter, {"george@abitbol.com"})
        with pytest.raises(TypeError, match="cannot hold the key 'tall'"):
            Cowboy.indexes["size"].check_item(peter, {"tall"})
        with pytest.raises(sheraf.UniqueIndexException):
            peter.email = "george@abitbol.com"
        assert email.get_item("george@abitbol.com") is george.mapping
        assert peter.email == "peter@abitbol.com"


def test_add_item_delete_item_and_delete_a_whole_index(herd):
    george, _, _ = herd
    with sheraf.connection(commit=True):
        name = Cowboy.indexes["name"]
        name.add_item(george, {"Jo"})
        assert set(name.iterkeys()) == {"George", "Jo", "Peter"}
        name.delete_item(george, {"Jo"})
        assert set(name.iterkeys()) == {"George", "Peter"}
        name.delete()
        assert not name.table_initialized()
        assert Cowboy.outdated_indexes() == ["name"]
        assert name.table() is None  # out of date: not created empty
    with sheraf.connection(commit=True):
        with pytest.warns(IndexationWarning, match="index_table_rebuild"):
            found = {c.email for c in Cowboy.read_these(name=["Peter"])}  # a scan
        assert found == {"peter@abitbol.com", "steven@abitbol.com"}
        Cowboy.index_manager().rebuild([Cowboy.indexes["name"].details])
    with sheraf.connection():
        assert Cowboy.outdated_indexes() == []
        assert list(Cowboy.indexes["name"].iterkeys()) == ["George", "Peter"]


def test_an_old_table_gets_its_counter_on_first_use(herd):
    with sheraf.connection(commit=True):
        del Cowboy.index_manager().root()[LENGTH_KEY]
    with sheraf.connection(commit=True):
        assert Cowboy.count() == 3
        assert LENGTH_KEY in Cowboy.index_manager().root()


def test_the_table_outlives_the_connection(herd, database):
    george, _, _ = herd
    database.db.cacheMinimize()
    with sheraf.connection():
        assert Cowboy.indexes["email"].get_item("george@abitbol.com") == george.mapping
        assert Cowboy.read(george.id) == george


def test_no_connection_no_table():
    with pytest.raises(sheraf.NotConnectedException, match="Cowboy needs an open"):
        Cowboy.indexes["name"].root()


def test_a_table_held_by_an_instance(database):
    with sheraf.connection(commit=True):
        rider = Rider.create(horses=[{"name": "Jolly", "colour": "white"}])
        rider.horses.create(name="Polly", colour="white")
    with sheraf.connection():
        rider = Rider.read(rider.id)
        colour = rider.horses.indexes["colour"]
        assert isinstance(colour, SimpleIndexManager)
        assert colour.root() is rider.mapping["horses"]
        assert colour.persistent is colour.root()
        assert [len(b) for b in colour.itervalues()] == [2]
        assert list(rider.horses.indexes["name"].iterkeys()) == ["Jolly", "Polly"]
        assert rider.horses.count() == 2
    with pytest.raises(sheraf.SherafException, match="live inside another model"):
        Horse.indexes["name"].root()


def test_new_root_holds_every_index():
    root = Horse.index_manager().new_root()
    assert set(root) == {"name", "colour", LENGTH_KEY}
    assert root[LENGTH_KEY]() == 0


def test_delete_root_forgets_the_table(herd):
    george, _, _ = herd
    with sheraf.connection(commit=True):
        assert Cowboy.read(george.id) == george  # the table is kept now
        Cowboy.index_manager().delete_root()
        assert not Cowboy.index_manager().initialized()
        assert Cowboy.count() == 0
        assert list(Cowboy.all()) == []
        with pytest.raises(sheraf.ModelObjectNotFoundException):
            Cowboy.read(george.id)


def test_an_index_rebuilt_in_a_transaction_is_read_at_once(herd):
    george, _, _ = herd
    with sheraf.connection():
        names = Cowboy.indexes["name"]
        assert names.has_item("George")  # its BTree is kept now
        Cowboy.read(george.id).mapping["name"] = "Jo"  # no refiling
        Cowboy.index_table_rebuild("name")
        assert names.has_item("Jo") and not names.has_item("George")
        names.delete()
        assert not names.table_initialized()


def test_descending_items_of_btrees_of_any_size():
    for size in (0, 1, 5, 40, 1000, 20000):
        for tree_class in (OOBTree, LOBTree):
            tree = tree_class({i: str(i) for i in range(size)})
            assert list(descending_items(tree)) == list(tree.items())[::-1]


def test_a_table_is_found_again_after_a_transaction_boundary(database):
    """Reading keeps the table's root for the transaction: another
    connection that replaces the table is seen once a transaction begins,
    and deleting it in this transaction is seen at once."""
    with sheraf.connection(commit=True):
        first = Cowboy.create(name="George", email="george@saloon")
    with sheraf.connection() as connection:
        assert Cowboy.read(first.id).name == "George"  # the root is kept now

        def replace_the_table():
            with sheraf.connection(commit=True):
                Cowboy.indexes["id"].delete_root()
                Cowboy.create(name="Peter", email="peter@saloon")

        thread = threading.Thread(target=replace_the_table)
        thread.start()
        thread.join(10)
        assert Cowboy.read(first.id).name == "George"  # this transaction's view
        connection.transaction_manager.begin()
        assert [c.name for c in Cowboy.all()] == ["Peter"]
        assert not Cowboy.exists(first.id)
        Cowboy.indexes["id"].delete_root()
        assert Cowboy.count() == 0 and list(Cowboy.all()) == []
