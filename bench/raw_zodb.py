"""The physical limit: the same logical work as the models, done by hand
with persistent and BTrees, as a careful ZODB user would write it.

A cowboy is a :class:`persistent.Persistent` record filed by a UUID string
in an OOBTree, and in an age index (an OOBTree of OOBTrees, as a multiple
index of sheraf keeps it). Each method takes the ``timer`` of
:mod:`bench.worker` and times only its measured part with it.
"""

import uuid
from itertools import chain

import persistent
import transaction
import ZODB
from BTrees.OOBTree import OOBTree
from ZEO.ClientStorage import ClientStorage
from ZODB.FileStorage import FileStorage
from ZODB.MappingStorage import MappingStorage

from bench.dataset import batches
from bench.dataset import cowboy_rows
from bench.dataset import hold
from bench.dataset import sample
from bench.dataset import visit


class Cowboy(persistent.Persistent):
    def __init__(self, identifier, name, gunskill, age):
        self.id = identifier
        self.name = name
        self.gunskill = gunskill
        self.age = age


class Tally(persistent.Persistent):
    score = 0


class RawZODB:
    """Raw ZODB, one :class:`ZODB.DB` per workload."""

    def __init__(self):
        self.db = None
        self.ids = []

    def create(self, timer, path, size, batch, seed):
        self.db = ZODB.DB(FileStorage(path))
        self.ids = []
        rows = cowboy_rows(size, seed)
        with timer:
            for chunk in batches(rows, batch):
                connection, manager = _open(self.db)
                root = connection.root()
                if "cowboys" not in root:
                    root["cowboys"], root["cowboys_by_age"] = OOBTree(), OOBTree()
                cowboys, by_age = root["cowboys"], root["cowboys_by_age"]
                for name, gunskill, age in chunk:
                    identifier = str(uuid.uuid4())
                    cowboy = cowboys[identifier] = Cowboy(
                        identifier, name, gunskill, age
                    )
                    filed = by_age.get(age)
                    if filed is None:
                        filed = by_age[age] = OOBTree()
                    filed[identifier] = cowboy
                    self.ids.append(identifier)
                manager.commit()
                connection.close()
        return size, sum(row[1] for row in rows)

    def read(self, timer, count, passes, cold, seed):
        ids = sample(self.ids, count, seed)
        connection, _ = _open(self.db)
        cowboys = connection.root()["cowboys"]
        check = visit(
            timer, connection, lambda: map(cowboys.__getitem__, ids), passes, cold
        )
        connection.close()
        return len(ids) * passes, check

    def iterate(self, timer, passes, cold):
        connection, _ = _open(self.db)
        check = visit(
            timer, connection, connection.root()["cowboys"].values, passes, cold
        )
        connection.close()
        return len(self.ids) * passes, check

    def filter(self, timer, ages, passes):
        connection, _ = _open(self.db)
        by_age = connection.root()["cowboys_by_age"]

        def found():
            return chain.from_iterable(by_age.get(age, {}).values() for age in ages)

        check = visit(timer, connection, found, passes, cold=False)
        count = sum(1 for _ in found())
        connection.close()
        return count * passes, check

    def hold(self, timer, path, cache_size):
        """Open the FileStorage ``create`` wrote, in a process that has not
        read it yet, and load every record in the connection's cache."""
        db = ZODB.DB(FileStorage(path), cache_size=cache_size)
        connection, _ = _open(db)
        cowboys = connection.root()["cowboys"]
        check, memory = hold(timer, cowboys.values)
        count = len(cowboys)
        connection.close()
        db.close()
        return count, check, memory

    def drop(self, timer):
        self.db.close()
        self.db, self.ids = None, []
        return 0, 0

    def open_close(self, timer, count):
        db = ZODB.DB(MappingStorage())
        with timer:
            for _ in range(count):
                connection = db.open(
                    transaction_manager=transaction.TransactionManager()
                )
                connection.close()
        db.close()
        return count, 0

    def zeo_commits(self, timer, port, count, counter):
        """``count`` commits in a row, each adding 1 to a record found by its
        identifier: the raw sequential commit rate, the baseline of both the
        integer and the counter increments (``counter`` is not used)."""
        db = ZODB.DB(ClientStorage(("127.0.0.1", port)))
        connection, manager = _open(db)
        tallies = connection.root()["tallies"] = OOBTree()
        identifier = str(uuid.uuid4())
        tallies[identifier] = Tally()
        manager.commit()
        with timer:
            for _ in range(count):
                tallies[identifier].score += 1
                manager.commit()
        score = tallies[identifier].score
        connection.close()
        db.close()
        return count, score


def _open(db):
    """A connection with its own transaction manager."""
    manager = transaction.TransactionManager()
    return db.open(transaction_manager=manager), manager
