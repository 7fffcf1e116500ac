"""Repairs: file instances again under the keys they miss, and drop the
entries that are orphans or stale, batch by batch.

Each batch is one transaction, committed through :func:`sheraf.attempt`, so
that the application can keep writing to the table meanwhile: a batch that
conflicts with the application's writes runs again on what they committed.
A batch decides from what it read, and makes its transaction conflict with
any concurrent change of the instances it refiles or whose entries it
drops, so that nothing it writes is stale when it commits. The connection's
cache is trimmed between batches: memory stays flat however large the
table.

>>> class Cowboy(sheraf.Model):
...     table = "fixes_cowboys"
...     name = sheraf.StringAttribute().index(unique=True)
...
>>> with sheraf.connection(commit=True):
...     george = Cowboy.create(name="George")
...
>>> with sheraf.connection():
...     rebuild(Cowboy)
{'name': {'refiled': 0, 'dropped': 0}}
"""

import multiprocessing
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any

from sheraf.databases import Database
from sheraf.health.checks import is_wrong
from sheraf.health.checks import missing_keys
from sheraf.health.entries import Table
from sheraf.health.progress import NoProgress
from sheraf.transactions import attempt

DEFAULT_BATCH_SIZE = 1000
#: How many times a batch that conflicts with the application's writes runs
#: before the work stops with the conflict.
BATCH_ATTEMPTS = 20


class Interrupted(Exception):
    """The work stopped between two batches, on request: the batches before
    were committed."""

    def __init__(self, label, done):
        super().__init__(f"{label}: stopped after {done}")
        self.done = done


class Batches:
    """How the work goes: ``batch_size`` keys a batch, each committed on its
    own (``commit``) or all in one transaction, each in a forked process
    (``fork``, which implies ``commit``), reported to ``progress``, stopped
    between two batches once ``interrupted()`` is true."""

    def __init__(
        self,
        batch_size: int = DEFAULT_BATCH_SIZE,
        commit: bool = True,
        fork: bool = False,
        progress: Any = None,
        interrupted: Callable[[], bool] = lambda: False,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be 1 or more, not {batch_size!r}.")
        self.batch_size = batch_size
        self.commit = commit or fork
        self.fork = fork
        self.progress = progress or NoProgress()
        self.interrupted = interrupted

    def run(self, label, step, total, start=0, end=None):
        """Call ``step(after, skip, limit)`` batch after batch: a function
        that works on the ``limit`` keys that follow the first ``skip`` ones
        after the key ``after`` (:attr:`Table.FIRST` in the first call), and
        returns those keys and a :class:`~collections.Counter` of the
        changes it made. Keys are taken from position ``start`` to ``end``.

        :return: the sum of the changes.
        """
        task = self.progress.task(label, total)
        run_batch = self._in_child if self.fork else self._here
        after, skip, left = Table.FIRST, start or 0, end
        if end is not None:
            left = max(0, end - skip)
        changes = Counter()
        while left is None or left > 0:
            if self.interrupted():
                raise Interrupted(label, task.completed)
            limit = self.batch_size if left is None else min(left, self.batch_size)
            keys, changed = run_batch(step, (after, skip, limit))
            changes += changed
            task.advance(len(keys))
            if len(keys) < limit:
                break
            after, skip = keys[-1], 0
            left = None if left is None else left - len(keys)
        task.finish()
        return changes

    def _here(self, step, args):
        if self.commit:
            return attempt(step, attempts=BATCH_ATTEMPTS, args=args)
        result = step(*args)
        # A savepoint lets the cache forget what the batch changed; a batch
        # that changed nothing makes none, hence the explicit trim.
        connection = Database.current_connection()
        connection.transaction_manager.savepoint(True)
        connection.cacheGC()
        return result

    def _in_child(self, step, args):
        """Run one batch in a forked process, on a database of its own."""
        database = Database.get(Database.current_name())
        uri, name = database.uri, database.name
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)

        def child():
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
            # The parent's connection context came along with the fork.
            own = Database(uri, nestable=True, db_args={"database_name": name})
            try:
                with own.connection():
                    sending.send(attempt(step, attempts=BATCH_ATTEMPTS, args=args))
            except BaseException as exc:
                sending.send(exc)
                raise
            finally:
                own.close()

        process = context.Process(target=child, name="sheraf-batch")
        process.start()
        sending.close()
        try:
            result = receiving.recv()
        except EOFError:
            result = RuntimeError(f"The batch process {process.pid} died.")
        process.join()
        if isinstance(result, BaseException):
            raise result
        # Read what the child committed from now on.
        Database.current_connection().transaction_manager.abort()
        return result


def rebuild(
    model: type,
    *index_names: str,
    reset: bool = True,
    start: int | None = None,
    end: int | None = None,
    batches: "Batches | None" = None,
) -> dict[str, dict[str, int]]:
    """Bring the indexes ``index_names`` of ``model`` (all but the primary
    one by default) up to date with its instances: with ``reset``, drop
    every orphan or stale entry; then file each instance (those of
    positions ``start`` to ``end``, if given) under the keys it misses. An
    index the table lacks is built.

    Safe to run again, and while the application writes to the table (see
    above). Call it with a connection open.

    :param batches: how the work goes (:class:`Batches`); by default, a
        commit each 1000 instances or keys.
    :return: ``{index name: {"refiled": n, "dropped": n}}``.
    """
    batches = batches or Batches()
    names = Table(model).index_names(index_names)
    dropped = Counter()
    if reset:
        for name in names:
            dropped += batches.run(
                f"{model.__name__}.{name}: dropping stale entries",
                _dropper(model, name),
                model.count(name),
            )
    count = Table(model).count()
    total = max(0, min(count if end is None else end, count) - (start or 0))
    refiled = batches.run(
        f"{model.__name__}: filing", _refiler(model, names), total, start, end
    )
    return {
        name: {"refiled": refiled[name], "dropped": dropped[name]} for name in names
    }


def _refiler(model, names):
    def refile(after, skip, limit):
        table = Table(model)
        for name in names:
            table.build(name)
        identifiers = table.keys_after(None, after, skip + limit)[skip:]
        refiled = Counter()
        for identifier in identifiers:
            instance = table.instance(identifier)
            missing = {name: missing_keys(table, instance, name) for name in names}
            if any(missing.values()):
                table.guard(instance.mapping)
            for name, keys in missing.items():
                for key in keys:
                    table.file(name, key, instance)
                refiled[name] += len(keys)
        return identifiers, refiled

    return refile


def _dropper(model, name):
    def drop(after, skip, limit):
        table = Table(model)
        keys = table.keys_after(name, after, skip + limit)[skip:]
        dropped = Counter()
        for key in keys:
            for entry in table.entries(name, key):
                if is_wrong(table, entry):
                    table.guard(entry.record)
                    table.unfile(entry)
                    dropped[name] += 1
        return keys, dropped

    return drop
