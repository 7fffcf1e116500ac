"""Where the health checks and fixes read and write index entries: the one
module of :mod:`sheraf.health` that knows how a table keeps its indexes.

A model's table files each instance's record in every index, under the
keys :meth:`~sheraf.models.indexation.BaseIndexedModel.index_keys` gives:
a unique index maps a key to a record, a multiple index maps a key to the
records filed under it, by the instance's raw identifier (an integer in
tables that sheraf 0.6 wrote for UUID models, a string in this version's).
Work goes in batches of keys, each batch found again from the last key of
the previous one, so that each can be a transaction of its own.
"""

import itertools
from dataclasses import dataclass

from sheraf.databases import Database

_MISSING = object()


@dataclass(frozen=True)
class Entry:
    """One record filed under one key of one index, and the instance over
    it; ``filed_as`` is the key of the record in a multiple index's entry
    (``None`` for a unique index)."""

    index_name: str
    key: object
    filed_as: object
    record: object
    instance: object


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

    def _tree(self, index_name, create=False):
        root = self._root()
        if root is None:
            return None
        tree = root.get(index_name)
        if tree is None and create:
            tree = root[index_name] = self.model.indexes[index_name].mapping()
        return tree

    def _unique(self, index_name):
        return self.model.indexes[index_name].unique

    def index_names(self, names=()):
        """The names of the model's indexes other than the primary one, all
        of them or those of ``names``."""
        return [
            name
            for name, index in self.model.indexes.items()
            if not index.primary and (not names or name in names)
        ]

    def is_built(self, index_name):
        """Whether the table has the index ``index_name`` at all."""
        return self._tree(index_name) is not None

    def build(self, index_name):
        """Give the table the index ``index_name`` if it has none yet."""
        self._tree(index_name, create=True)

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

    def instance(self, identifier):
        """The instance the primary index files under ``identifier``."""
        return self.model.read(identifier)

    def entries(self, index_name, key):
        """The entries filed under ``key`` in the index ``index_name``."""
        tree = self._tree(index_name)
        found = None if tree is None else tree.get(key)
        if found is None:
            return []
        filed = [(None, found)] if self._unique(index_name) else list(found.items())
        # The instances, as reading the index gives them, in the same order.
        instances = self.model.read_these_valid(**{index_name: [key]})
        return [
            Entry(index_name, key, filed_as, record, instance)
            for (filed_as, record), instance in zip(filed, instances, strict=True)
        ]

    def is_live(self, instance):
        """Whether the primary index files ``instance``'s record."""
        tree = self._tree(self.primary_key)
        try:
            identifiers = instance.index_keys(self.primary_key)
        except Exception:  # the record of a deleted instance, for one
            return False
        return any(tree.get(i) is instance.mapping for i in identifiers)

    def holds(self, index_name, key, instance):
        """Whether ``instance`` is filed under ``key`` in ``index_name``."""
        tree = self._tree(index_name)
        found = None if tree is None else tree.get(key)
        if found is None or self._unique(index_name):
            return found is instance.mapping
        return found.get(instance.raw_identifier) is instance.mapping

    def file(self, index_name, key, instance):
        """File ``instance`` under ``key``; a unique index's other record
        under that key is replaced."""
        tree = self._tree(index_name, create=True)
        if self._unique(index_name):
            tree[key] = instance.mapping
            return
        records = tree.get(key)
        if records is None:
            records = tree[key] = type(tree)()
        records[instance.raw_identifier] = instance.mapping

    def unfile(self, entry):
        """Remove ``entry``; a key left with no record goes too."""
        tree = self._tree(entry.index_name)
        if self._unique(entry.index_name):
            if tree.get(entry.key) is entry.record:
                del tree[entry.key]
            return
        records = tree.get(entry.key)
        if records is None:
            return
        records.pop(entry.filed_as, None)
        if not records:
            del tree[entry.key]

    def guard(self, record):
        """Make the current transaction conflict with any other that changes
        (or deletes) the instance of ``record`` at the same time."""
        connection = Database.current_connection(self.model.database_name)
        connection.readCurrent(record)
