"""Where the health checks and fixes read and write index entries: the one
module of :mod:`sheraf.health` that talks to the index store
(:mod:`sheraf.models.indexmanager`).

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

from sheraf.models.indextrees import touch
from sheraf.models.indextrees import tree_entry

_FIRST = object()


@dataclass(frozen=True)
class Entry:
    """One record filed under one key of one index, and the instance over
    it."""

    index_name: str
    key: object
    record: object
    instance: object


class Table:
    """The indexes of ``model``'s table, in the current connection."""

    #: Given as ``after`` to :meth:`keys_after`: from the first key.
    FIRST = _FIRST

    def __init__(self, model):
        self.model = model
        self.primary_key = model.primary_key()
        self._trees = {}

    def _index(self, index_name):
        return self.model.indexes[index_name or self.primary_key]

    def _tree(self, index_name):
        """The BTree of an index (the primary one with ``None``), ``None``
        if the table does not have it; kept for the time of this object, a
        batch or a check, in one transaction."""
        index_name = index_name or self.primary_key
        tree = self._trees.get(index_name)
        if tree is None:
            index = self._index(index_name)
            if not index.table_initialized():
                return None
            tree = self._trees[index_name] = index.table()
        return tree

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
        return self._index(index_name).table_initialized()

    def build(self, index_name):
        """Give the table the index ``index_name`` if it has none yet."""
        index = self._index(index_name)
        if self._tree(index_name) is None:
            index.rebuild([index.details], reset=False, start=0, end=0)

    def count(self):
        return self.model.count()

    def keys_after(self, index_name, after, limit):
        """At most ``limit`` (all with ``None``) keys of an index (the
        primary one with ``None``), those after ``after`` (from the first
        with :attr:`FIRST`)."""
        tree = self._tree(index_name)
        if tree is None:
            return []
        keys = tree.keys() if after is _FIRST else tree.keys(min=after, excludemin=True)
        return list(itertools.islice(keys, limit))

    def instance(self, identifier):
        """The instance the primary index files under ``identifier``."""
        return self.model.read(identifier)

    def entries(self, index_name, key):
        """The entries filed under ``key`` in the index ``index_name``."""
        index = self._index(index_name)
        tree = self._tree(index_name)
        found = None if tree is None else tree.get(key)
        if found is None:
            return []
        return [
            Entry(index_name, key, record, self.model.from_entry(identifier, record))
            for identifier, record in index.entries_under(key, found)
        ]

    def is_live(self, instance):
        """Whether the primary index files ``instance``'s record."""
        try:
            identifiers = instance.index_keys(self.primary_key)
        except Exception:  # the record of a deleted instance, for one
            return False
        primary = self._tree(None)
        return any(primary.get(i) is instance.mapping for i in identifiers)

    def holds(self, index_name, key, instance):
        """Whether ``instance`` is filed under ``key`` in ``index_name``."""
        tree = self._tree(index_name)
        found = None if tree is None else tree.get(key)
        if found is None or self._index(index_name).unique:
            return found is instance.mapping
        identifier = instance.raw_identifier
        if found and type(found.minKey()) is not type(identifier):
            # Filed by sheraf 0.6 by the identifier its record keeps (the
            # integer of a UUID), until written (see indextrees.rekey).
            identifier = instance.mapping.get(self.primary_key)
        return tree_entry(found, identifier, None) is instance.mapping

    def file(self, index_name, key, instance):
        """File ``instance`` under ``key``."""
        self._index(index_name).add_item(instance, {key})

    def unfile(self, entry):
        """Remove ``entry``; a key left with no record goes too."""
        self._index(entry.index_name).delete_item(entry.instance, {entry.key})

    def guard(self, record):
        """Make the current transaction conflict with any other that changes
        (or deletes) the instance of ``record`` at the same time: one that
        commits first changed the record, read here as current; one that
        commits after found the index out of step with the instance (the
        entry this transaction files or drops), and reads the table's root
        as current, which this touches (see
        :func:`~sheraf.models.indextrees.read_as_current`)."""
        record._p_jar.readCurrent(record)
        touch(self.model.index_manager().root())
