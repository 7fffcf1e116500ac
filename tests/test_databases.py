import os

import pytest
import transaction
import ZODB.POSException

import sheraf
from sheraf.exceptions import ConnectionAlreadyOpened
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.exceptions import InvalidURIException
from sheraf.exceptions import SherafException
from tests import utils


def test_default_database_is_in_memory_and_named_unnamed():
    db = sheraf.Database()
    assert db.name == "unnamed"
    assert sheraf.Database.get() is db
    assert sheraf.Database.get("unnamed") is db
    with sheraf.connection(commit=True) as connection:
        connection.root()["x"] = 1
    with sheraf.connection() as connection:
        assert connection.root()["x"] == 1
    db.close()
    with pytest.raises(KeyError, match="No database named 'unnamed' in process"):
        sheraf.Database.get()


def test_file_uri_persists_across_reopening(tmp_path):
    uri = f"file://{tmp_path}/Data.fs"
    db = sheraf.Database(uri)
    with sheraf.connection(commit=True) as connection:
        connection.root()["cowboy"] = "George"
    db.close()

    db = sheraf.Database(uri)
    with sheraf.connection() as connection:
        assert connection.root()["cowboy"] == "George"
    db.close()


def test_memory_uri_and_database_name_from_the_uri():
    db = sheraf.Database("memory://?database_name=saloon")
    assert sheraf.Database.get("saloon") is db
    assert repr(db) == "<Database database_name='saloon'>"
    db.close()


def test_db_args_name_wins_and_settings_reach_zodb():
    db = sheraf.Database(
        db_args={"database_name": "ranch", "pool_size": 3, "cache_size": 100}
    )
    assert db.db.getPoolSize() == 3
    assert db.db.getCacheSize() == 100
    assert dict(sheraf.Database.all()) == {"ranch": db}
    db.close()


def test_a_second_database_with_the_same_name_is_refused_and_names_it():
    db = sheraf.Database()
    with pytest.raises(KeyError, match="A database named 'unnamed' already exists"):
        sheraf.Database()
    db.close()


def test_get_or_create():
    db = sheraf.Database.get_or_create(database_name="corral")
    assert sheraf.Database.get_or_create(database_name="corral") is db
    assert db.name == "corral"
    db.close()


@pytest.mark.parametrize(
    "uri, message",
    [
        ("nosuch://x", "no installed resolver knows the scheme 'nosuch'"),
        ("not a uri", "a database URI looks like"),
        ("memory://?bogus=1", "bogus"),
        (
            "zeo://127.0.0.1:1?response_timeout=soon",
            "response_timeout must be a number",
        ),
    ],
)
def test_bad_uris_are_named_in_a_clear_error(uri, message):
    with pytest.raises(InvalidURIException, match=message) as info:
        sheraf.Database(uri)
    assert repr(uri.split("?")[0])[1:-1] in str(info.value)
    assert list(sheraf.Database.all()) == []


def test_unknown_db_args_are_refused():
    with pytest.raises(TypeError, match="unknown setting.*'pool_sise'"):
        sheraf.Database(db_args={"pool_sise": 3})


def test_unreachable_zeo_server_is_a_clear_error():
    port = sheraf.servers.free_port()
    with pytest.raises(DatabaseUnavailableException, match=f"zeo://127.0.0.1:{port}"):
        sheraf.Database(f"zeo://127.0.0.1:{port}?wait_timeout=1")
    assert list(sheraf.Database.all()) == []


def test_read_only_file_database_refuses_commits(tmp_path):
    uri = f"file://{tmp_path}/Data.fs"
    sheraf.Database(uri).close()
    db = sheraf.Database(uri, db_args={"read_only": True})
    assert repr(db) == "<Database database_name='unnamed' ro>"
    with pytest.raises(ZODB.POSException.ReadOnlyError):
        with sheraf.connection(commit=True) as connection:
            connection.root()["x"] = 1
    db.close()


def test_in_memory_database_cannot_be_read_only():
    with pytest.raises(SherafException, match="cannot be read_only"):
        sheraf.Database(db_args={"read_only": True})


def test_commit_aborts_on_exception_and_commit_false_aborts():
    db = sheraf.Database()
    with pytest.raises(ZeroDivisionError):
        with sheraf.connection(commit=True) as connection:
            connection.root()["x"] = 1
            1 / 0
    with sheraf.connection() as connection:
        connection.root()["y"] = 1
    with sheraf.connection() as connection:
        assert "x" not in connection.root()
        assert "y" not in connection.root()
    db.close()


def test_each_connection_context_has_its_own_transaction_manager():
    db = sheraf.Database()
    with sheraf.connection() as connection:
        manager = connection.transaction_manager
        assert manager is not transaction.manager
        assert isinstance(manager, transaction.TransactionManager)
    with sheraf.connection() as connection:
        assert connection.transaction_manager is not manager
    db.close()


def test_nested_connection_needs_a_nestable_database():
    db = sheraf.Database()
    with sheraf.connection():
        with pytest.raises(ConnectionAlreadyOpened, match="is not nestable") as info:
            with sheraf.connection():
                pass
        assert "test_databases.py" in str(info.value)
    db.close()


def test_nestable_database_opens_independent_connections():
    db = sheraf.Database(nestable=True)
    with sheraf.connection() as outer:
        with sheraf.connection(commit=True) as inner:
            assert inner is not outer
            assert inner.transaction_manager is not outer.transaction_manager
            assert sheraf.Database.current_connection() is inner
            inner.root()["x"] = 1
        assert sheraf.Database.current_connection() is outer
    with sheraf.connection() as connection:
        assert connection.root()["x"] == 1
    db.close()


def test_reuse_gives_the_open_connection():
    db = sheraf.Database()
    with sheraf.connection() as connection:
        with sheraf.connection(reuse=True) as again:
            assert again is connection
        assert sheraf.Database.current_connection() is connection
    assert sheraf.Database.current_connection() is None
    db.close()


def test_current_connection_and_name_across_databases():
    first = sheraf.Database(db_args={"database_name": "first"})
    second = sheraf.Database(db_args={"database_name": "second"})
    assert sheraf.Database.current_name() is None
    with sheraf.connection("first") as connection:
        assert sheraf.Database.current_name() == "first"
        other = sheraf.Database.current_connection("second")
        assert other.db() is second.db
        assert other.transaction_manager is connection.transaction_manager
    first.close()
    second.close()


def test_reset_reopens_the_same_uri(tmp_path):
    db = sheraf.Database(f"file://{tmp_path}/Data.fs")
    with sheraf.connection(commit=True) as connection:
        connection.root()["kept"] = True
    old = db.db
    db.reset()
    assert db.db is not old
    with sheraf.connection() as connection:
        assert connection.root()["kept"]
    db.close()


def test_reset_of_a_memory_database_empties_it():
    db = sheraf.Database()
    with sheraf.connection(commit=True) as connection:
        connection.root()["x"] = 1
    db.reset()
    with sheraf.connection() as connection:
        assert "x" not in connection.root()
    db.close()


def test_reset_of_a_storage_object_needs_a_new_one(tmp_path):
    storage = ZODB.FileStorage.FileStorage(str(tmp_path / "Data.fs"))
    db = sheraf.Database(storage=storage)
    with pytest.raises(SherafException, match="storage object"):
        db.reset()
    db.close()


def test_connections_wait_for_a_free_one_and_the_wait_is_bounded():
    db = sheraf.Database(nestable=True, db_args={"pool_size": 1, "open_timeout": 0.2})
    with sheraf.connection():
        with sheraf.connection():
            pass  # nested in the same context: not counted twice

        import threading

        errors = []

        def other():
            try:
                with sheraf.connection():
                    pass
            except SherafException as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(5)
    assert "All 1 connections of database 'unnamed' stayed in use for 0.2 s" in str(
        errors[0]
    )
    with sheraf.connection():
        pass
    db.close()


def test_close_closes_the_connections_of_the_calling_context():
    db = sheraf.Database()
    context = db.connection()
    connection = context.__enter__()
    db.close()
    assert not connection.opened
    assert sheraf.Database.current_connection() is None


def test_a_closed_database_says_so():
    db = sheraf.Database()
    db.close()
    with pytest.raises(SherafException, match="Database 'unnamed' is closed"):
        with db.connection():
            pass


def test_databases_registry_is_per_process_after_fork():
    db = sheraf.Database()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 0
        try:
            sheraf.Database.get()
            code = 10
        except KeyError as exc:
            if f"process {os.getpid()}" not in str(exc) or "forked" not in str(exc):
                code = 11
        try:
            with db.connection():
                code = 12
        except sheraf.ForkedDatabaseException as exc:
            if f"process {os.getpid()}" not in str(exc):
                code = 13
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sheraf.Database.get() is db
    db.close()


def test_reset_in_a_forked_child_recreates_the_database_and_spares_the_parents(
    sheraf_zeo_server,
):
    _, port = sheraf_zeo_server
    db = sheraf.Database(f"zeo://127.0.0.1:{port}")
    with sheraf.connection(commit=True) as connection:
        connection.root()["writer"] = "parent"
    parent_storage = db.storage
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 0
        try:
            db.reset()
            if db.storage is parent_storage or sheraf.Database.get() is not db:
                code = 20
            with sheraf.connection(commit=True) as connection:
                connection.root()["writer"] = "child"
            db.close()
        except Exception:
            code = 21
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.storage is parent_storage
    with sheraf.connection(commit=True) as connection:
        connection.sync()
        assert connection.root()["writer"] == "child"
        connection.root()["writer"] = "parent again"
    db.close()


@pytest.mark.parametrize("round_", range(3))
def test_processes_opening_a_new_zeo_database_at_once_all_succeed(
    sheraf_zeo_server, round_
):
    """ZODB creates the root object of a new database: processes that race to
    do it must not fail."""
    _, port = sheraf_zeo_server
    assert utils.open_at_once(f"zeo://127.0.0.1:{port}") == ["ok"] * 8


def test_get_and_current_connection_take_a_name_in_both_spellings():
    db = sheraf.Database(db_args={"database_name": "corral"})
    assert sheraf.Database.get("corral") is db
    assert sheraf.Database.get(name="corral") is db
    assert sheraf.Database.get(database_name="corral") is db
    with db.connection() as connection:
        assert sheraf.Database.current_connection(name="corral") is connection
        assert sheraf.Database.current_connection(database_name="corral") is connection
    db.close()


def test_closing_one_database_leaves_the_others_usable(tmp_path):
    """Connections of two databases of a process form one ZODB
    multi-database group once one reaches the other; closing one database
    leaves the other's connections working, and the closed one unreachable."""
    main = sheraf.Database(f"file://{tmp_path}/main.fs")
    other = sheraf.Database(
        f"file://{tmp_path}/other.fs", db_args={"database_name": "other"}
    )
    try:
        with sheraf.connection(commit=True) as connection:
            connection.root()["x"] = 1
            connection.get_connection("other").root()["y"] = 2
        other.close()
        with sheraf.connection(commit=True) as connection:
            assert connection.root()["x"] == 1
            connection.root()["x"] = 3
            with pytest.raises(KeyError, match="other"):
                connection.get_connection("other")
        with sheraf.connection() as connection:
            assert connection.root()["x"] == 3
    finally:
        main.close()
        other.close()
