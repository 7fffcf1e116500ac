"""The health checks: what is wrong with a table's indexes, or with the
storage server.

Each check reads and never writes, except :func:`check_conflict_resolution`,
which writes a scratch counter and removes it.
"""

import threading
from typing import Any

from ZODB.POSException import ConflictError

from sheraf.databases import Database
from sheraf.health.entries import Table
from sheraf.types.counter import Counter

CONFLICT_CHECK_KEY = "__sheraf_conflict_resolution_check__"


def missing_keys(table, instance, index_name):
    """The keys ``instance`` should be filed under in ``index_name`` and is
    not."""
    return {
        key
        for key in instance.index_keys(index_name)
        if not table.holds(index_name, key, instance)
    }


def is_wrong(table, entry):
    """Whether ``entry`` files a record that is no live instance's (an
    orphan), or under a key its instance no longer has (stale)."""
    if not table.is_live(entry.instance):
        return True
    return entry.key not in entry.instance.index_keys(entry.index_name)


def check_attributes_index(model_instance: Any) -> dict[str, bool]:
    """Every instance is filed in each index under all the keys its current
    values give. A *KO* instance is missing from an index: one added to the
    model and never built, or an entry lost; ``sheraf URI fix`` (or
    ``rebuild``) files it again.

    :return: ``{index name: bool}``.
    """
    table = Table(type(model_instance))
    return {
        name: not missing_keys(table, model_instance, name)
        for name in table.index_names()
    }


def check_model_index(model: type) -> dict[str, dict[str, int]]:
    """Every key of each index files live instances, that still have that
    key. A *KO* key files an orphan (the record of an instance that is no
    longer in the table) or a stale entry (an instance whose values changed
    since); ``sheraf URI fix`` drops them.

    :return: ``{index name: {"ok": keys, "ko": keys}}``, for the indexes
        the table has.
    """
    table = Table(model)
    result = {}
    for name in table.index_names():
        if not table.is_built(name):
            continue
        counts = result[name] = {"ok": 0, "ko": 0}
        for key in table.keys_after(name, table.FIRST, None):
            wrong = any(is_wrong(table, entry) for entry in table.entries(name, key))
            counts["ko" if wrong else "ok"] += 1
    return result


def check_conflict_resolution() -> bool:
    """The storage server merges concurrent changes to a sheraf counter. A
    *KO* means the server cannot import sheraf (a ZEO server started from an
    environment without it): every concurrent increment of a
    ``CounterAttribute`` then fails with a conflict.
    """
    database = Database.get(Database.current_name())

    def increment(amount, concurrent_amount=None):
        with database.connection() as connection:
            connection.root()[CONFLICT_CHECK_KEY].increment(amount)
            if concurrent_amount is not None:
                in_own_context(increment, concurrent_amount)
            connection.transaction_manager.commit()

    def check():
        with database.connection(commit=True) as connection:
            connection.root()[CONFLICT_CHECK_KEY] = Counter(0)
        try:
            increment(1, concurrent_amount=15)
        except ConflictError:
            return False
        finally:
            with database.connection(commit=True) as connection:
                del connection.root()[CONFLICT_CHECK_KEY]
        return True

    return in_own_context(check)


def in_own_context(function, *args):
    """``function(*args)``, run in a thread of its own, so in a connection
    context of its own: the caller may have a connection open already."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function(*args)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="sheraf-health-check")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
