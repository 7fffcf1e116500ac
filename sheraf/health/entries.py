"""Where the health checks and fixes read and write index entries: the one
module of :mod:`sheraf.health` that knows how a table keeps its indexes.

A model's table files each instance's record in every index, under the
keys :meth:`~sheraf.models.indexation.BaseIndexedModel.index_keys` gives.
An entry is one ``(index, key, identifier, record)``: the record of the
instance ``identifier``, filed under ``key``. Work is done in batches of
keys, each batch found again from the last key of the previous one, so
that it can run in its own transaction.
"""

import itertools
from dataclasses import dataclass

from sheraf.databases import Database

_MISSING = object()


@dataclass(frozen=True)
class Entry:
    """One record filed under one key of one index."""

    index_name: str
    key: object
    identifier: object
    record: object


class Table:
    """The indexes of ``model``'s table, in the current connection."""

    #: Given as ``after`` to :meth:`keys_after`: from the first key.
    FIRST = _MISSING

    def __init__(self, model):
        self.model = model
        self.primary_key = model.primary_key()

    def _root(self):
        connection = Database.current_connection(self.model.database_name)
        return connection.root().get(self.model.table)

    def index_names(self, names=()):
        """The names of the model's indexes other than the primary one, all
        of them or those of ``names``."""
        return [
            name
            for name, index in self.model.indexes.items()
            if not index.primary and (not names or name in names)
        ]

    def _tree(self, index_name, create=False):
        root = self._root()
        if root is None:
            return None
        tree = root.get(index_name)
        if tree is None and create:
            tree = root[index_name] = self.model.indexes[index_name].mapping()
        return tree

    def is_built(self, index_name):
        """Whether the table has the index ``index_name`` at all."""
        return self._tree(index_name) is not None

    def count(self):
        return self.model.count()

    def keys_after(self, index_name, after, limit):
        """At most ``limit`` (all with ``None``) keys of an index (the
        primary one with ``None``), those after ``after`` (from the first
        with :attr:`FIRST`)."""
        tree = self._tree(index_name or self.primary_key)
        if tree is None:
            return []
        if after is _MISSING:
            keys = tree.keys()
        else:
            keys = tree.keys(min=after, excludemin=True)
        return list(itertools.islice(keys, limit))

    def record(self, identifier):
        """The record of the instance ``identifier``, ``None`` if there is
        none."""
        tree = self._tree(self.primary_key)
        return None if tree is None else tree.get(identifier)

    def instance(self, identifier):
        return self.model.read(identifier)

    def entries(self, index_name, key):
        """The entries filed under ``key`` in the index ``index_name``."""
        tree = self._tree(index_name)
        found = None if tree is None else tree.get(key, _MISSING)
        if found is None or found is _MISSING:
            return []
        if self.model.indexes[index_name].unique:
            return [Entry(index_name, key, _identifier_of(self, found), found)]
        return [
            Entry(index_name, key, identifier, record)
            for identifier, record in found.items()
        ]

    def holds(self, index_name, key, identifier, record):
        """Whether ``record`` is filed under ``key`` in ``index_name``."""
        tree = self._tree(index_name)
        found = None if tree is None else tree.get(key)
        if found is None or self.model.indexes[index_name].unique:
            return found is record
        return found.get(identifier) is record

    def file(self, index_name, key, identifier, record):
        """File ``record`` under ``key``; a unique index's other record
        under that key is replaced."""
        tree = self._tree(index_name, create=True)
        if self.model.indexes[index_name].unique:
            tree[key] = record
            return
        bucket = tree.get(key)
        if bucket is None:
            bucket = tree[key] = type(tree)()
        bucket[identifier] = record

    def unfile(self, entry):
        """Remove ``entry``; a key left with no record goes too."""
        tree = self._tree(entry.index_name)
        if self.model.indexes[entry.index_name].unique:
            if tree.get(entry.key) is entry.record:
                del tree[entry.key]
            return
        bucket = tree.get(entry.key)
        if bucket is None:
            return
        bucket.pop(entry.identifier, None)
        if not bucket:
            del tree[entry.key]

    def build(self, index_name):
        """Give the table the index ``index_name`` if it has none yet."""
        self._tree(index_name, create=True)

    def guard(self, record):
        """Make the current transaction conflict with any other that changes
        (or deletes) the instance of ``record`` at the same time."""
        connection = Database.current_connection(self.model.database_name)
        connection.readCurrent(record)


def _identifier_of(table, record):
    """The identifier under which ``record`` is in the primary index, or
    ``None``."""
    # Records do not hold a reference to their key: read the instance over
    # the record by the unique entry's own lookup.
    attribute = table.model.indexes[table.primary_key].attributes[0]
    raw = record.get(attribute.attribute_name) if hasattr(record, "get") else None
    return raw
