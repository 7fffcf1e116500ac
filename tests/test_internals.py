"""The private internals of ZEO, transaction and asyncio that sheraf relies
on (doc/internals.rst lists them and says why): each test fails, naming
what is gone and what uses it, when an upgrade removes one."""

import asyncio.events
import inspect
from importlib.metadata import version

import pytest
import transaction
import transaction._transaction
import ZEO.asyncio.client
import ZEO.asyncio.futures
import ZEO.ClientStorage

import sheraf


def parameters(function):
    return list(inspect.signature(function).parameters)


def require(condition, package, internal, user):
    """Fail, saying what is missing, unless ``condition``."""
    if not condition:
        pytest.fail(
            f"{package} {version(package)} no longer has {internal}, which "
            f"{user} relies on (see doc/internals.rst): adapt {user}, or bound "
            f"{package}'s version in pyproject.toml.",
            pytrace=False,
        )


# name: (package, what, who uses it, check)
STATIC = {
    "client_factory": (
        "ZEO",
        "ClientStorage(_client_factory=...)",
        "sheraf.zeo.zeo_storage_factory",
        lambda: (
            "_client_factory" in parameters(ZEO.ClientStorage.ClientStorage.__init__)
        ),
    ),
    "check_trans": (
        "ZEO",
        "ClientStorage._check_trans(trans, meth)",
        "sheraf.zeo.ClientStorage",
        lambda: (
            parameters(ZEO.ClientStorage.ClientStorage._check_trans)
            == ["self", "trans", "meth"]
        ),
    ),
    "notify_connected": (
        "ZEO",
        "ClientStorage.notify_connected(conn, info)",
        "sheraf.zeo.ClientStorage",
        lambda: (
            parameters(ZEO.ClientStorage.ClientStorage.notify_connected)
            == ["self", "conn", "info"]
        ),
    ),
    "tpc_abort": (
        "ZEO",
        "ClientStorage.tpc_abort(txn, timeout)",
        "sheraf.zeo.ClientStorage",
        lambda: (
            parameters(ZEO.ClientStorage.ClientStorage.tpc_abort)
            == ["self", "txn", "timeout"]
        ),
    ),
    "client_thread": (
        "ZEO",
        "ZEO.asyncio.client.ClientThread",
        "sheraf.zeo.ThreadedClientRunner",
        lambda: issubclass(
            ZEO.asyncio.client.ClientThread, ZEO.asyncio.client.ClientRunner
        ),
    ),
    "runner_methods": (
        "ZEO",
        "ClientRunner.setup_delegation(loop), io_call, async_, async_iter, "
        "apply_co and set_options(addrs, wrapper, cache, storage_key, "
        "read_only, timeout, disconnect_poll)",
        "sheraf.zeo.BoundedWaits and sheraf.green.zeo.GreenClientRunner",
        lambda: (
            parameters(ZEO.asyncio.client.ClientRunner.setup_delegation)
            == ["self", "loop"]
            and parameters(ZEO.asyncio.client.ClientRunner.set_options)[:8]
            == [
                "self",
                "addrs",
                "wrapper",
                "cache",
                "storage_key",
                "read_only",
                "timeout",
                "disconnect_poll",
            ]
            and all(
                hasattr(ZEO.asyncio.client.ClientRunner, name)
                for name in ("async_", "async_iter", "apply_co")
            )
        ),
    ),
    "client_disconnected": (
        "ZEO",
        "ClientIO.disconnected(protocol)",
        "sheraf.zeo.BoundedWaits (dropping a connection that does not answer)",
        lambda: (
            parameters(ZEO.asyncio.client.ClientIO.disconnected) == ["self", "protocol"]
        ),
    ),
    "run_coroutine_threadsafe": (
        "ZEO",
        "ZEO.asyncio.futures.run_coroutine_threadsafe",
        "sheraf.green.zeo.GreenClientRunner",
        lambda: callable(
            getattr(ZEO.asyncio.futures, "run_coroutine_threadsafe", None)
        ),
    ),
    "transaction_logger": (
        "transaction",
        "transaction._transaction._LOGGER",
        "sheraf.transaction_logger",
        lambda: hasattr(transaction._transaction, "_LOGGER"),
    ),
    "set_running_loop": (
        "ZEO",  # asyncio comes with Python: name the package that needs it
        "asyncio.events._set_running_loop (in this Python)",
        "sheraf.green.zeo (the hub's selector)",
        lambda: callable(getattr(asyncio.events, "_set_running_loop", None)),
    ),
}


@pytest.mark.parametrize("name", STATIC)
def test_a_private_internal_is_still_there(name):
    package, internal, user, check = STATIC[name]
    try:
        present = check()
    except (AttributeError, TypeError, ValueError):
        present = False
    require(present, package, internal, user)


def test_a_transaction_manager_keeps_its_transaction_in_txn():
    manager = transaction.TransactionManager()
    require(
        getattr(manager, "_txn", "missing") is None,
        "transaction",
        "TransactionManager._txn (None until a transaction begins)",
        "sheraf.connections.ContextTransactionManager",
    )
    begun = manager.begin()
    require(
        manager._txn is begun,
        "transaction",
        "TransactionManager._txn (the current transaction)",
        "sheraf.connections.ContextTransactionManager",
    )
    manager.abort()


def test_a_zeo_client_has_what_sheraf_reaches_for(sheraf_zeo_server):
    _, port = sheraf_zeo_server
    database = sheraf.Database(f"zeo://127.0.0.1:{port}")
    try:
        storage = database.storage
        require(
            isinstance(getattr(storage, "_oids", None), list),
            "ZEO",
            "ClientStorage._oids (the list of object ids taken in advance)",
            "sheraf.zeo.ClientStorage.notify_connected",
        )
        runner = getattr(storage, "_server", None)
        client = getattr(runner, "client", None)
        require(
            client is not None
            and getattr(client, "protocol", None) is not None
            and hasattr(client, "addrs")
            and callable(getattr(client.protocol, "close", None)),
            "ZEO",
            "ClientRunner.client, with its protocol (and protocol.close) and addrs",
            "sheraf.zeo.BoundedWaits._drop_connection",
        )
    finally:
        database.close()
