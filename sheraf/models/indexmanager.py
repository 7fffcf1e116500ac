"""Index managers: where the table of an indexed model lives, and how its
BTrees are read and written.

A model's *table* is a :class:`~sheraf.types.SmallDict`, its *root*, that
maps each index name to a BTree, and ``"__length__"`` to the
:class:`~BTrees.Length.Length` that counts the instances. Every index of a
model has its manager, in ``Model.indexes[name]``; each one reads and writes
the whole table (filing, unfiling, rebuilding, counting), and looks up and
walks its own index, whose declaration is its :attr:`~IndexManager.details`.
What an :class:`~sheraf.attributes.index.Index` declares (``key``,
``unique``, ``primary``, ``attributes``, ``index_keys()``...) also reads
through its manager.

The subclasses say where the root lives:

- :class:`MultipleDatabaseIndexManager`, for
  :class:`~sheraf.models.indexation.IndexedModel`: at the root of the
  database of the current connection (or of the model's ``database_name``),
  under the model's ``table``;
- :class:`SimpleIndexManager`, for :class:`~sheraf.models.AttributeModel`:
  in the record of the instance that holds them (see
  :class:`~sheraf.attributes.models.IndexedModelAttribute`).

A model chooses with its ``index_manager_class``.

>>> class Cowboy(sheraf.Model):
...     table = "indexmanager_cowboys"
...     name = sheraf.StringAttribute().index()
...
>>> with sheraf.connection():
...     george = Cowboy.create(name="George")
...     names = Cowboy.indexes["name"]
...     names.has_item("George"), names.count(), list(names.iterkeys())
(True, 1, ['George'])
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from BTrees.Length import Length
from ZODB.utils import z64

from sheraf import contexts
from sheraf.attributes.index import Index
from sheraf.attributes.index import search_keys_of
from sheraf.constants import MISSING
from sheraf.exceptions import IndexationWarning
from sheraf.exceptions import NoDatabaseConnectionException
from sheraf.exceptions import PrimaryKeyException
from sheraf.exceptions import SherafException
from sheraf.exceptions import UniqueIndexException
from sheraf.models.indextrees import LENGTH_KEY
from sheraf.models.indextrees import check_keys
from sheraf.models.indextrees import descending_items
from sheraf.models.indextrees import file_keys
from sheraf.models.indextrees import length
from sheraf.models.indextrees import read_as_current
from sheraf.models.indextrees import tree_entry
from sheraf.models.indextrees import unfile_keys
from sheraf.types.smalldict import SmallDict

_SHERAF_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

Entry = tuple[Any, Any]
"""An ``(identifier, record)`` pair: the primary key of an instance as the
primary index files it, and its persistent record."""


def _declared(name, doc):
    """A read-only property of a manager: what its index declares."""
    return property(lambda manager: getattr(manager.details, name), doc=doc)


class IndexManager:
    """The table of ``model``, seen from its index ``details``.

    :param model: the indexed model class.
    :param details: the :class:`~sheraf.attributes.index.Index` this
        manager looks up and walks.
    """

    root_default = SmallDict
    """The class of a new table root."""

    def __init__(self, model: type, details: Index):
        self.model = model
        self.details = details

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.details.key}>"

    # What the index declares reads through its manager. (Explicit
    # properties, not __getattr__, which would slow every attribute access
    # on managers.)

    key = _declared("key", "The name of the index.")
    unique = _declared("unique", "Whether a key designates one instance.")
    primary = _declared("primary", "Whether this is the primary index.")
    auto = _declared("auto", "Whether the index follows the instances' changes.")
    attributes = _declared("attributes", "The attributes whose values it indexes.")
    mapping = _declared("mapping", "The class of the index's BTree.")
    nullok = _declared("nullok", "Whether empty keys are indexed.")
    noneok = _declared("noneok", "Whether the ``None`` key is indexed.")
    is_plain = _declared(
        "is_plain", "Whether it files instances under their attribute's own keys."
    )

    def index_keys(self, model: Any) -> set[Any]:
        """The keys the instance ``model`` is filed under."""
        return self.details.index_keys(model)

    def search_keys(self, model_class: type, value: Any) -> list[Any]:
        """The keys looked up to find ``value``."""
        return self.details.search_keys(model_class, value)

    def keeps(self, key: Any) -> bool:
        """Whether the index files instances under ``key``."""
        return self.details.keeps(key)

    # Where the table lives.

    def root(self, create: bool = False) -> SmallDict | None:
        """The root of the table, ``None`` when there is none yet and not
        ``create``."""
        raise NotImplementedError

    def initialized(self) -> bool:
        """Whether the table exists.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_initialized_horses"
        ...
        >>> with sheraf.connection():
        ...     before = Horse.indexes["id"].initialized()
        ...     horse = Horse.create()
        ...     before, Horse.indexes["id"].initialized()
        (False, True)
        """
        return self.root() is not None

    def new_root(self) -> SmallDict:
        """A new, empty table root, with every index of the model."""
        root = self.root_default()
        for manager in self.model.indexes.values():
            root[manager.details.key] = manager.details.mapping()
        root[LENGTH_KEY] = Length()
        return root

    def delete_root(self) -> None:
        """Forget the whole table."""
        raise NotImplementedError

    # Reading the index.

    def table(self) -> Any:
        """The BTree of this index: keys to records for a unique index, keys
        to BTrees of records by identifier for a multiple one. On a table
        with no instances, the table and the BTree are created if missing;
        on a table whose instances predate the index (see :meth:`outdated`),
        ``None``.
        """
        return self._built_tree(self.root(create=True), self.details)

    def table_initialized(self) -> bool:
        """Whether the BTree of this index exists."""
        return self._stored_tree() is not None

    def get_item(self, key: Any, silent_errors: bool = False) -> Any:
        """The record a unique index files under ``key``, or the records a
        multiple index files under it.

        :raise KeyError: when there is none, unless ``silent_errors``, which
            returns ``None`` instead.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_get_item_horses"
        ...     name = sheraf.StringAttribute().index(unique=True)
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create(name="Jolly")
        ...     Horse.indexes["name"].get_item("Jolly") is jolly.mapping
        True
        """
        tree = self._stored_tree()
        entry = MISSING if tree is None else tree_entry(tree, key)
        if entry is MISSING:
            if silent_errors:
                return None
            raise KeyError(key)
        return entry if self.details.unique else entry.values()

    def record(self, key: Any) -> Any:
        """The record this unique index files under ``key``, ``None`` if
        there is none: what :meth:`get_item` gives, with no error, on the
        path of every read by identifier.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_record_horses"
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create()
        ...     ids = Horse.indexes["id"]
        ...     ids.record(jolly.id) is jolly.mapping, ids.record("nobody")
        (True, None)
        """
        tree = self._stored_tree()
        return None if tree is None else tree_entry(tree, key, None)

    def has_item(self, key: Any) -> bool:
        """Whether the index files something under ``key``."""
        tree = self._stored_tree()
        return tree is not None and tree_entry(tree, key) is not MISSING

    def iterkeys(self, reverse: bool = False) -> Iterator[Any]:
        """The keys of the index, in order."""
        return (key for key, _ in self._items(reverse))

    def itervalues(self, reverse: bool = False) -> Iterator[Any]:
        """What the index files under each key, in the order of the keys:
        records for a unique index, BTrees of records for a multiple one."""
        return (entry for _, entry in self._items(reverse))

    def count(self) -> int:
        """The number of keys of the index: the number of instances for the
        primary one, read from the table's counter."""
        root = self.root()
        if root is None:
            return 0
        if self.details.primary:
            return length(root, self.details.key)()
        tree = root.data.get(self.details.key)
        return 0 if tree is None else len(tree)

    def lookup(self, keys: Iterable[Any]) -> list[tuple[Any, Any]] | None:
        """The ``(key, entry)`` pairs of the keys the index files something
        under, ``None`` when queries cannot use the index: it is not ``auto``
        or not built.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_lookup_horses"
        ...     size = sheraf.IntegerAttribute().index()
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create(size=3)
        ...     found = Horse.indexes["size"].lookup([3, 4])
        ...     [(key, len(bucket)) for key, bucket in found]
        [(3, 1)]
        """
        tree = self._stored_tree() if self.details.auto else None
        if tree is None:
            return None
        found = ((key, tree_entry(tree, key)) for key in keys)
        return [(key, entry) for key, entry in found if entry is not MISSING]

    def entries_under(self, key: Any, entry: Any) -> Iterable[Entry]:
        """The ``(identifier, record)`` pairs ``entry``, filed under ``key``,
        stands for."""
        if self.details.primary:
            return ((key, entry),)
        if self.details.unique:
            return ((self._identifier_of(entry), entry),)
        if entry and type(entry.minKey()) is not self._identifier_type(entry):
            # Filed by sheraf 0.6 by the integer of a UUID, until written.
            identify = self._identifier_of
            return ((identify(record), record) for record in entry.values())
        return entry.items()

    def entries(
        self, reverse: bool = False, skip_key: Callable[[Any], bool] | None = None
    ) -> Iterator[Entry]:
        """Every ``(identifier, record)`` pair of the table, in the order of
        this index: those it files (except under the keys ``skip_key`` says
        to skip) without repetition, then the others, by identifier. By
        identifier only, when the index is not built.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_entries_horses"
        ...     size = sheraf.IntegerAttribute().index()
        ...
        >>> with sheraf.connection():
        ...     for size in (3, 1, 2):
        ...         horse = Horse.create(size=size)
        ...     [Horse.from_entry(*e).size for e in Horse.indexes["size"].entries()]
        [1, 2, 3]
        """
        root = self.root()
        primary_key = self.model.primary_key()
        primary_tree = None if root is None else root.data.get(primary_key)
        if primary_tree is None:
            return iter(())
        manager = self
        tree = root.data.get(self.details.key)
        if tree is None:
            manager, tree = self.model.indexes[primary_key], primary_tree
        items = descending_items(tree) if reverse else tree.items()
        if manager.details.primary:
            return iter(items)
        return manager._filed_then_others(items, primary_tree, skip_key)

    def find(self, value: Any) -> Iterator[Any]:
        """The instances ``value`` designates: those the index files under
        it, or else under its search keys (which, for instance, convert an
        identifier given as a string). Without the index's BTree, the table
        is scanned, and a warning says the index is out of date.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_find_horses"
        ...     name = sheraf.StringAttribute().index(values=str.lower)
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create(name="Jolly")
        ...     list(Horse.indexes["name"].find("JOLLY")) == [jolly]
        True
        """
        tree = self._stored_tree()
        if tree is None:
            yield from self._find_by_scan(value)
            return
        entry = tree_entry(tree, value)
        if entry is not MISSING:
            found = [(value, entry)]
        else:
            keys = search_keys_of(self.details, self.model, value)
            found = ((key, tree_entry(tree, key)) for key in keys)
        for key, entry in found:
            if entry is not MISSING:
                yield from self.model.from_entries(self.entries_under(key, entry))

    # Writing the index.

    def check_item(self, model: Any, keys: Iterable[Any]) -> None:
        """Raise if this index cannot file the instance ``model`` under
        ``keys``: :class:`TypeError` for a key it cannot hold,
        :class:`~sheraf.exceptions.UniqueIndexException` for a key a unique
        index holds for another instance."""
        tree = self._stored_tree()
        if tree is not None:
            check_keys(tree, self.details, keys, model.mapping)

    def add_item(self, model: Any, keys: Iterable[Any] | None = None) -> None:
        """File the instance ``model`` under ``keys``, its own
        :meth:`~sheraf.attributes.index.Index.index_keys` by default, once
        :meth:`check_item` accepts them."""
        keys = self.details.index_keys(model) if keys is None else keys
        tree = self.table()
        if tree is not None:
            check_keys(tree, self.details, keys, model.mapping)
            file_keys(
                tree,
                self.details,
                keys,
                model.mapping,
                model.raw_identifier,
                self._identifier_of,
            )

    def delete_item(self, model: Any, keys: Iterable[Any] | None = None) -> None:
        """Remove the instance ``model`` from under ``keys``, its own
        :meth:`~sheraf.attributes.index.Index.index_keys` by default."""
        keys = self.details.index_keys(model) if keys is None else keys
        tree = self._stored_tree()
        if tree is not None:
            unfile_keys(
                tree,
                self.details,
                keys,
                model.mapping,
                model.raw_identifier,
                self._identifier_of,
            )

    def delete(self) -> None:
        """Forget the BTree of this index: it is out of date until
        :meth:`rebuild` builds it again."""
        root = self.root()
        if root is not None and self.details.key in root.data:
            del root[self.details.key]
            self._trees_replaced()

    # The whole table.

    def length(self) -> int:
        """The number of instances in the table."""
        root = self.root()
        return 0 if root is None else length(root, self.model.primary_key())()

    def holds(self, instance: Any) -> bool:
        """Whether the table holds the record of ``instance``."""
        root = self.root()
        primary = self.model.indexes[self.model.primary_key()].details
        tree = None if root is None else root.data.get(primary.key)
        # The keys of the primary index, not the raw identifier: sheraf 0.6
        # filed a UUID's string and kept its integer in the record.
        return tree is not None and any(
            tree_entry(tree, key) is instance.mapping
            for key in primary.index_keys(instance)
        )

    def outdated(self) -> list[str]:
        """The names of the indexes the table does not have although it
        holds instances: indexes added to the model since. Queries do not
        use them, and instances are not filed in them, until
        :meth:`rebuild` builds them.

        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_outdated_horses"
        ...     name = sheraf.StringAttribute()
        ...
        >>> with sheraf.connection(commit=True):
        ...     jolly = Horse.create(name="Jolly")
        ...
        >>> class Horse(sheraf.Model):
        ...     table = "indexmanager_outdated_horses"
        ...     name = sheraf.StringAttribute().index()
        ...
        >>> with sheraf.connection():
        ...     manager = Horse.index_manager()
        ...     manager.outdated()
        ...     manager.rebuild([Horse.indexes["name"].details])
        ...     manager.outdated(), list(Horse.indexes["name"].iterkeys())
        ['name']
        ([], ['Jolly'])
        """
        root = self.root()
        if root is None or not length(root, self.model.primary_key())():
            return []
        return [key for key in self.model.indexes if key not in root.data]

    def file(self, instance: Any) -> None:
        """File the new instance ``instance`` in every ``auto`` index, and
        count it; if an index refuses one of its keys, nothing is filed."""
        model = self.model
        root = self.root(create=True)
        indexes = [m.details for m in model.indexes.values() if m.details.auto]
        trees = self._built_trees(root, indexes)
        keys = {index: index.index_keys(instance) for index in trees}
        primary = model.indexes[model.primary_key()].details
        if not keys.get(primary):
            raise PrimaryKeyException(
                f"A {model.__name__} needs a value for its primary key {primary.key!r}."
            )
        record = instance.mapping
        for index, index_keys in keys.items():
            check_keys(trees[index], index, index_keys, record)
        counter = length(root, primary.key)  # counts the table as it was
        identifier = next(iter(keys[primary]))  # the instance's raw_identifier
        for index, index_keys in keys.items():
            file_keys(
                trees[index], index, index_keys, record, identifier, self._identifier_of
            )
        counter.change(1)

    def refile(
        self,
        instance: Any,
        indexes: Iterable[Index],
        change: Callable[[], Any],
        undo: Callable[[], Any],
    ) -> None:
        """Apply ``change`` to ``instance`` and move it in ``indexes``, from
        its old keys to its new ones. If an index refuses a new key, call
        ``undo``, which puts the old value back, and raise."""
        old_keys = self.keys_of(instance, indexes)
        change()
        self.move(instance, old_keys, undo)

    def keys_of(self, instance: Any, indexes: Iterable[Index]) -> dict[Index, set]:
        """The keys ``instance`` is filed under in those of ``indexes`` the
        table has built, by index: what :meth:`move` starts from."""
        trees = self._built_trees(self.root(create=True), indexes)
        return {index: index.index_keys(instance) for index in trees}

    def move(
        self,
        instance: Any,
        old_keys: dict[Index, set],
        undo: Callable[[], Any] | None = None,
    ) -> None:
        """Move ``instance`` in the indexes of ``old_keys`` (from
        :meth:`keys_of`), from those keys to its keys now. If an index
        refuses a new key, nothing moves: ``undo`` is called, and the error
        raised."""
        root = self.root(create=True)
        trees = {index: root.data.get(index.key) for index in old_keys}
        trees = {index: tree for index, tree in trees.items() if tree is not None}
        new_keys = {index: index.index_keys(instance) for index in trees}
        added = {index: new_keys[index] - old_keys[index] for index in trees}
        record = instance.mapping
        try:
            for index, keys in added.items():
                check_keys(trees[index], index, keys, record)
        except (UniqueIndexException, TypeError):
            if undo is not None:
                undo()
            raise
        identifier = instance.raw_identifier
        in_step = True
        for index, tree in trees.items():
            removed = old_keys[index] - new_keys[index]
            in_step &= unfile_keys(
                tree, index, removed, record, identifier, self._identifier_of
            )
            in_step &= file_keys(
                tree, index, added[index], record, identifier, self._identifier_of
            )
        if not in_step:
            read_as_current(root)

    def unfile(self, instance: Any) -> None:
        """Remove ``instance`` from every index, and uncount it."""
        root = self.root()
        if root is None:
            return
        identifier = instance.raw_identifier
        in_step = True
        for manager in self.model.indexes.values():
            index = manager.details
            tree = root.data.get(index.key)
            if tree is not None:
                in_step &= unfile_keys(
                    tree,
                    index,
                    index.index_keys(instance),
                    instance.mapping,
                    identifier,
                    self._identifier_of,
                )
        if not in_step:
            read_as_current(root)
        length(root, self.model.primary_key()).change(-1)

    def rebuild(
        self,
        indexes: Iterable[Index],
        callback: Callable[[int, Any], Any] | None = None,
        reset: bool = True,
        start: int | None = None,
        end: int | None = None,
    ) -> None:
        """Build ``indexes`` (but the primary one) from the instances of the
        table; see
        :meth:`~sheraf.models.indexation.BaseIndexedModel.index_table_rebuild`
        for the parameters."""
        model = self.model
        root = self.root(create=True)
        trees = {}
        for index in indexes:
            if not index.primary:
                tree = None if reset else root.data.get(index.key)
                trees[index] = index.mapping() if tree is None else tree
        primary_tree = root.data.get(model.primary_key())
        records = itertools.islice(primary_tree.items(), start, end)
        for position, (identifier, record) in enumerate(records):
            instance = model.from_entry(identifier, record)
            keys = {index: index.index_keys(instance) for index in trees}
            for index, index_keys in keys.items():
                check_keys(trees[index], index, index_keys, record)
            for index, index_keys in keys.items():
                file_keys(
                    trees[index],
                    index,
                    index_keys,
                    record,
                    identifier,
                    self._identifier_of,
                )
            if callback is not None and callback(position, instance) is False:
                break
        for index, tree in trees.items():
            if root.data.get(index.key) is not tree:
                root[index.key] = tree
                self._trees_replaced()

    # Helpers.

    def _trees_replaced(self):
        """The table's root files another BTree (or none) under an index
        name: subclasses that keep what they found forget it."""

    def _stored_tree(self):
        root = self.root()
        return None if root is None else root.data.get(self.details.key)

    def _items(self, reverse):
        tree = self._stored_tree()
        if tree is None:
            return iter(())
        return descending_items(tree) if reverse else iter(tree.items())

    def _built_tree(self, root, index):
        """The BTree of ``index``, created on a table with no instances;
        ``None`` on a table whose instances it does not file."""
        tree = root.data.get(index.key)
        if tree is None and not length(root, self.model.primary_key())():
            tree = root[index.key] = index.mapping()
        return tree

    def _built_trees(self, root, indexes):
        """The BTrees of ``indexes``, by index; those out of date are left
        out, and a warning says so."""
        trees = {}
        for index in indexes:
            tree = self._built_tree(root, index)
            if tree is None:
                _warn_outdated(self.model, index.key)
                # A rebuild that builds the index meanwhile makes this
                # transaction conflict: run again, it files the instance.
                if root._p_jar is not None and root._p_oid is not None:
                    root._p_jar.readCurrent(root)
            else:
                trees[index] = tree
        return trees

    def _identifier_type(self, bucket):
        """The type of the identifiers of the table, learnt from a record of
        ``bucket`` the first time."""
        known = self.__dict__.get("_known_identifier_type")
        if known is None:
            known = self.__dict__["_known_identifier_type"] = type(
                self._identifier_of(next(iter(bucket.values())))
            )
        return known

    def _identifier_of(self, record):
        return self.model.from_record(record).raw_identifier

    def _filed_then_others(self, items, primary_tree, skip_key):
        seen = set()
        for key, entry in items:
            if skip_key is not None and skip_key(key):
                continue
            for identifier, record in self.entries_under(key, entry):
                if identifier not in seen:
                    seen.add(identifier)
                    yield identifier, record
        if len(seen) < self.length():
            for identifier, record in primary_tree.items():
                if identifier not in seen:
                    yield identifier, record

    def _find_by_scan(self, value):
        if not self.length():
            return
        index = self.details
        _warn_outdated(self.model, index.key)
        keys = {value, *search_keys_of(index, self.model, value)}
        for instance in self.model.all():
            if not keys.isdisjoint(index.index_keys(instance)):
                yield instance


class SimpleIndexManager(IndexManager):
    """Keeps the table in the model's ``index_root``: the models of an
    :class:`~sheraf.attributes.models.IndexedModelAttribute` have their
    table in the record of the instance that holds them.

    >>> class Horse(sheraf.AttributeModel):
    ...     name = sheraf.StringAttribute().index(primary=True)
    ...
    >>> class Cowboy(sheraf.Model):
    ...     table = "simpleindexmanager_cowboys"
    ...     horses = sheraf.IndexedModelAttribute(Horse)
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(horses=[{"name": "Jolly"}, {"name": "Polly"}])
    ...     list(george.horses.indexes["name"].iterkeys(reverse=True))
    ['Polly', 'Jolly']
    """

    def root(self, create: bool = False) -> SmallDict:
        root = self.model.index_root
        if root is None:
            raise SherafException(
                f"{self.model.__name__} instances live inside another model: reach "
                "them through that model's attribute."
            )
        return root

    @property
    def persistent(self) -> SmallDict:
        """The table root (sheraf 0.6's name)."""
        return self.root()

    def delete_root(self) -> None:
        """Empty the table: it is held by its owner, which forgets it."""
        root = self.root()
        for key in list(root):
            del root[key]


class MultipleDatabaseIndexManager(IndexManager):
    """Keeps the table at the root of a database, under the model's
    ``table``: the database of the model's ``database_name`` if it has one,
    else that of the current connection.

    A model with a ``database_name`` also reads the table of the current
    connection's database, its :meth:`fallback`, as sheraf 0.6 did: the
    instances written there before the model had a ``database_name`` are
    found, counted, edited and deleted where they are, after those of the
    model's database; new instances go to the model's database.

    >>> class Horse(sheraf.Model):
    ...     table = "multipledatabaseindexmanager_horses"
    ...
    >>> with sheraf.connection():
    ...     jolly = Horse.create()
    ...     manager = Horse.indexes["id"]
    ...     manager.table_name, manager.database_root()["multipledatabaseindexmanager_horses"] is manager.root()
    ('multipledatabaseindexmanager_horses', True)
    """

    @property
    def table_name(self) -> str:
        """The name of the table in the database root: the model's
        ``table``."""
        return self.model.table

    @property
    def database_name(self) -> str | None:
        """The database of the table, if it is not the one of the current
        connection: the model's ``database_name``."""
        return self.model.database_name

    def database_root(self) -> Any:
        """The root of the database the table lives in, in the connection
        of the running thread or greenlet.

        :raise NotConnectedException: when it has none open.
        :raise NoDatabaseConnectionException: when the model's
            ``database_name`` is not a database of this process.
        """
        return _database_root(self.model)

    def root(self, create: bool = False) -> SmallDict | None:
        # The table's root, once found in a transaction, is kept with what
        # the transaction found (see _found). A model with no table has the
        # table None, as in sheraf 0.6.
        model = self.model
        found = _found(model)
        key = (model.database_name, model.table)
        root = found.get(key)
        if root is not None:
            return root
        database_root = _database_root(model)
        root = database_root.data.get(model.table)
        if root is None and create:
            root = database_root[model.table] = self.new_root()
        if root is not None and root._p_serial != z64:
            found[key] = root
        return root

    def delete_root(self) -> None:
        database_root = self.database_root()
        if self.model.table in database_root:
            del database_root[self.model.table]
        self._trees_replaced()

    def fallback(self) -> IndexManager | None:
        """This index over the table of the database of the current
        connection, when the model keeps its table in another one (its
        ``database_name``) and that table exists: it holds the instances
        written before the model had a ``database_name``, which sheraf 0.6
        read too, and so does this manager. ``None`` otherwise."""
        database_name = self.model.database_name
        if database_name is None:
            return None
        context = _current_context(self.model)
        if context.database.name == database_name:
            return None
        table = context.connection.get(z64).data.get(self.model.table)
        if table is None:
            return None
        return TableIndexManager(self.model, self.details, table)

    def _holder(self, instance):
        """The manager of the table that holds ``instance``: the fallback,
        or this one (as its base class, which writes its own table)."""
        fallback = self.fallback()
        if fallback is not None and fallback.holds(instance):
            return fallback
        return super()

    def _stored_tree(self):
        # The hot path of every read: the BTree of the index, once found
        # in a transaction, is kept with what the transaction found.
        found = _found(self.model)
        tree = found.get(self)
        if tree is None:
            tree = super()._stored_tree()
            if tree is not None and tree._p_serial != z64:
                found[self] = tree
        return tree

    def _trees_replaced(self):
        _found(self.model).clear()

    # Reading: the model's table, then the fallback one.

    def record(self, key: Any) -> Any:
        if self.model.database_name is not None:
            return self.get_item(key, silent_errors=True)
        tree = self._stored_tree()
        return None if tree is None else tree_entry(tree, key, None)

    def get_item(self, key: Any, silent_errors: bool = False) -> Any:
        fallback = self.fallback()
        if fallback is None:
            return super().get_item(key, silent_errors)
        found = [
            entry
            for entry in (
                super().get_item(key, silent_errors=True),
                fallback.get_item(key, silent_errors=True),
            )
            if entry is not None
        ]
        if not found:
            if silent_errors:
                return None
            raise KeyError(key)
        if self.details.unique:
            return found[0]
        return [record for records in found for record in records]

    def has_item(self, key: Any) -> bool:
        fallback = self.fallback()
        return super().has_item(key) or (
            fallback is not None and fallback.has_item(key)
        )

    def iterkeys(self, reverse: bool = False) -> Iterator[Any]:
        return self._chained("iterkeys", reverse)

    def itervalues(self, reverse: bool = False) -> Iterator[Any]:
        return self._chained("itervalues", reverse)

    def entries(
        self, reverse: bool = False, skip_key: Callable[[Any], bool] | None = None
    ) -> Iterator[Entry]:
        return self._chained("entries", reverse, skip_key)

    def find(self, value: Any) -> Iterator[Any]:
        return self._chained("find", value)

    def count(self) -> int:
        fallback = self.fallback()
        return super().count() + (0 if fallback is None else fallback.count())

    def length(self) -> int:
        fallback = self.fallback()
        return super().length() + (0 if fallback is None else fallback.length())

    def lookup(self, keys: Iterable[Any]) -> list[tuple[Any, Any]] | None:
        fallback = self.fallback()
        if fallback is None:
            return super().lookup(keys)
        keys = list(keys)
        found = [super().lookup(keys), fallback.lookup(keys)]
        if all(pairs is None for pairs in found):
            return None
        return [pair for pairs in found if pairs is not None for pair in pairs]

    def table_initialized(self) -> bool:
        fallback = self.fallback()
        return super().table_initialized() or (
            fallback is not None and fallback.table_initialized()
        )

    def _chained(self, method, *args):
        own = getattr(super(), method)(*args)
        fallback = self.fallback()
        if fallback is None:
            return own
        return itertools.chain(own, getattr(fallback, method)(*args))

    # Writing: new instances go to the model's table; the others stay in
    # the table that holds them.

    def keys_of(self, instance: Any, indexes: Iterable[Index]) -> dict[Index, set]:
        return self._holder(instance).keys_of(instance, indexes)

    def move(
        self,
        instance: Any,
        old_keys: dict[Index, set],
        undo: Callable[[], Any] | None = None,
    ) -> None:
        return self._holder(instance).move(instance, old_keys, undo)

    def unfile(self, instance: Any) -> None:
        return self._holder(instance).unfile(instance)

    def delete(self) -> None:
        super().delete()
        fallback = self.fallback()
        if fallback is not None:
            fallback.delete()

    def rebuild(self, indexes: Iterable[Index], **kwargs: Any) -> None:
        indexes = list(indexes)
        super().rebuild(indexes, **kwargs)
        fallback = self.fallback()
        if fallback is not None:
            fallback.rebuild(indexes, **kwargs)


class TableIndexManager(IndexManager):
    """An index over a given table root: the fallback table of a
    :class:`MultipleDatabaseIndexManager`."""

    def __init__(self, model: type, details: Index, table: SmallDict):
        super().__init__(model, details)
        self.table_root = table

    def root(self, create: bool = False) -> SmallDict:
        return self.table_root


def _current_context(model_class):
    """The innermost connection context of the running thread or greenlet.

    :raise NotConnectedException: when it has none open.
    """
    context = contexts.current_context(model_class.__name__)
    database = context.database
    if database.forked_from is not None:
        database.check_usable()  # forked inside the block: refused
    return context


def _found(model_class):
    """What the index managers found in the transaction of the current
    connection context, by their own keys: the roots of tables and the
    BTrees of indexes stored before the transaction began. They stay
    what the table holds until the transaction ends (see
    :class:`sheraf.connections.ContextTransactionManager`), or until a
    manager replaces them, which empties it.

    :raise NotConnectedException: without a connection context.
    """
    return _current_context(model_class).connection.transaction_manager.tables


def _database_root(model_class):
    connection = _current_context(model_class).connection
    database_name = model_class.database_name
    if database_name is not None:
        try:
            connection = connection.get_connection(database_name)
        except KeyError:
            raise NoDatabaseConnectionException(
                f"{model_class.__name__} keeps its table in the database "
                f"{database_name!r}, which this process has not opened: "
                "create it first, with sheraf.Database(uri, "
                f"db_args={{'database_name': {database_name!r}}})."
            ) from None
    return connection.get(z64)


def _warn_outdated(model_class, index_key):
    name = model_class.__name__
    warnings.warn(
        f"{name}.{index_key} is a new index on a table that already holds "
        "instances: it is out of date, and neither filed in nor used until "
        f"{name}.index_table_rebuild({index_key!r}) builds it.",
        IndexationWarning,
        stacklevel=_stacklevel_of_caller(),
    )


def _stacklevel_of_caller():
    """The ``stacklevel`` of the first frame outside sheraf, for the caller
    of this function."""
    frame = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_SHERAF_DIR):
        frame = frame.f_back
        level += 1
    return level
