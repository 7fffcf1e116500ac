"""Indexed models: instances filed in BTrees by their primary key and
their other indexes, so that they can be read, counted and queried.

An :class:`IndexedModel` keeps its instances in a *table* at the root of
its database: a :class:`~sheraf.types.SmallDict` named after the model's
``table``, that maps each index name to a BTree. A unique index maps a key
to the record of one instance; a multiple index maps a key to a BTree of
the records filed under it, by primary key. The number of instances is a
:class:`BTrees.Length.Length`, so that counting never scans the table.
"""

import itertools
import warnings

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from ZODB.utils import z64

import sheraf.queryset
from sheraf import contexts
from sheraf.attributes.index import Index
from sheraf.attributes.simples import SimpleAttribute
from sheraf.exceptions import IndexationWarning
from sheraf.exceptions import InvalidIndexException
from sheraf.exceptions import ModelObjectNotFoundException
from sheraf.exceptions import MultipleIndexException
from sheraf.exceptions import NotConnectedException
from sheraf.exceptions import PrimaryKeyException
from sheraf.exceptions import SameNameForTableException
from sheraf.exceptions import SherafException
from sheraf.exceptions import UniqueIndexException
from sheraf.models.base import BaseModel
from sheraf.models.base import BaseModelMetaclass
from sheraf.types.smalldict import SmallDict

LENGTH_KEY = "__length__"
_MISSING = object()


class BaseIndexedModelMetaclass(BaseModelMetaclass):
    """Gathers the indexes of a model and checks it has one primary key."""

    def __new__(mcs, name, bases, attrs):
        klass = super().__new__(mcs, name, bases, attrs)
        indexes = {}
        for owner in reversed(klass.__mro__):
            for index_name, index in vars(owner).items():
                if isinstance(index, Index):
                    index.key = index.key or index_name
                    index.resolve(klass.attributes)
                    indexes[index.key] = index
        for attribute in klass.attributes.values():
            for index_key, index in list(attribute.indexes.items()):
                index.key = index_key or attribute.name
                indexes[index.key] = index
                attribute.lazy = False
        for index in indexes.values():
            for attribute in index.attributes:
                attribute.lazy = False
                attribute.indexes.setdefault(index.key, index)
        klass.indexes = indexes

        primaries = [key for key, index in indexes.items() if index.primary]
        if len(primaries) > 1:
            raise PrimaryKeyException(
                f"A model can have only one primary key. {name!r} has "
                f"{' and '.join(map(repr, primaries))}."
            )
        klass._primary_key = primaries[0] if primaries else None
        klass._primary_attribute = (
            indexes[primaries[0]].attributes[0] if primaries else None
        )
        return klass


class BaseIndexedModel(BaseModel, metaclass=BaseIndexedModelMetaclass):
    """Instances filed in indexes. Subclasses say where the indexes are kept,
    with :meth:`_index_root`."""

    @classmethod
    def primary_key(cls):
        """The name of the primary index."""
        if cls._primary_key is None:
            raise PrimaryKeyException(f"{cls.__name__} has no primary key.")
        return cls._primary_key

    @classmethod
    def _index_root(cls, create=False):
        """The mapping of index names to BTrees, ``None`` if there is none
        yet and ``create`` is false."""
        raise NotImplementedError

    @classmethod
    def _new_index_root(cls):
        root = SmallDict()
        for index in cls.indexes.values():
            root[index.key] = index.mapping()
        root[LENGTH_KEY] = Length()
        return root

    # Reading.

    @classmethod
    def _decorate_found(cls, record, primary_value):
        instance = cls.__new__(cls)
        instance.mapping = record
        primary = cls._primary_attribute
        if primary.write_memoization:
            instance.__dict__[primary.name] = primary.deserialize(primary_value)
        return instance

    @classmethod
    def _check_args(cls, args, kwargs):
        if len(args) + len(kwargs) != 1:
            raise TypeError(
                f"{cls.__name__}.read() and its variants take one identifier, "
                "or one index name and its value."
            )
        if args:
            return cls.indexes[cls.primary_key()], args[0]
        index_name, value = next(iter(kwargs.items()))
        try:
            return cls.indexes[index_name], value
        except KeyError:
            raise InvalidIndexException(
                f"{index_name!r} is not an index of {cls.__name__}; its indexes "
                f"are {', '.join(map(repr, cls.indexes))}."
            ) from None

    @classmethod
    def _lookup(cls, index, value):
        """The records ``value`` finds in ``index``, as ``(key, record)``
        pairs; unique indexes find at most one."""
        root = cls._index_root()
        tree = None if root is None else root.data.get(index.key)
        if tree is None:
            return
        if index.primary:
            record = _tree_get(tree, value)
            if record is not _MISSING:
                yield value, record
                return
        try:
            keys = index.search_keys(cls, value)
        except (TypeError, ValueError):
            return
        for key in keys:
            found = _tree_get(tree, key)
            if found is _MISSING:
                continue
            if index.unique:
                yield key, found
            else:
                yield from found.items()

    @classmethod
    def read(cls, *args, **kwargs):
        """The instance an identifier (or a unique index value) designates.

        :raise ModelObjectNotFoundException: when there is none.
        :raise MultipleIndexException: for a multiple index.
        """
        if len(args) == 1 and not kwargs and cls._primary_key is not None:
            root = cls._index_root()
            tree = None if root is None else root.data.get(cls._primary_key)
            record = _MISSING if tree is None else _tree_get(tree, args[0])
            if record is not _MISSING:
                return cls._decorate_found(record, args[0])
        index, value = cls._check_args(args, kwargs)
        if not index.unique:
            raise MultipleIndexException(
                f"{index.key!r} is a multiple index and cannot be used with 'read'"
            )
        for key, record in cls._lookup(index, value):
            if index.primary:
                return cls._decorate_found(record, key)
            return cls._decorate(record)
        raise ModelObjectNotFoundException(cls, value, index.key)

    @classmethod
    def read_these(cls, *args, **kwargs):
        """The instances several identifiers designate, as a generator; an
        unknown one raises :class:`ModelObjectNotFoundException`."""
        index, values = cls._check_args(args, kwargs)
        if index.unique:
            return (cls.read(**{index.key: value}) for value in values)
        return itertools.chain.from_iterable(
            (cls._decorate(record) for _, record in cls._lookup(index, value))
            for value in values
        )

    @classmethod
    def read_these_valid(cls, *args, **kwargs):
        """Like :meth:`read_these`, skipping unknown identifiers."""
        index, values = cls._check_args(args, kwargs)
        return (
            cls._decorate(record)
            for value in values
            for _, record in cls._lookup(index, value)
        )

    @classmethod
    def exists(cls, *args, **kwargs):
        """Whether an identifier (or index value) designates an instance."""
        index, value = cls._check_args(args, kwargs)
        return next(cls._lookup(index, value), None) is not None

    @classmethod
    def count(cls, index_name=None):
        """The number of instances, or of keys of the index ``index_name``."""
        root = cls._index_root()
        if root is None:
            return 0
        if index_name is None:
            return _length(root, cls.primary_key())()
        tree = root.data.get(index_name)
        return 0 if tree is None else len(tree)

    @classmethod
    def all(cls, index_name=None):
        """A :class:`~sheraf.queryset.QuerySet` of every instance."""
        return sheraf.queryset.QuerySet(model_class=cls, primary_key=index_name)

    @classmethod
    def filter(cls, predicate=None, **kwargs):
        """Shortcut for ``Model.all().filter(...)``."""
        return cls.all().filter(predicate, **kwargs)

    @classmethod
    def search(cls, *args, **kwargs):
        """Shortcut for ``Model.all().search(...)``."""
        return cls.all().search(*args, **kwargs)

    @classmethod
    def order(cls, *args, **kwargs):
        """Shortcut for ``Model.all().order(...)``."""
        return cls.all().order(*args, **kwargs)

    @classmethod
    def get(cls, *args, **kwargs):
        """The only instance matching a filter; see
        :meth:`~sheraf.queryset.QuerySet.get`."""
        return cls.filter(*args, **kwargs).get()

    @classmethod
    def _iter_records(cls, index_name=None, reverse=False):
        """``(primary value, record)`` pairs in the order of an index."""
        root = cls._index_root()
        if root is None:
            return iter(())
        index = cls.indexes[index_name or cls.primary_key()]
        tree = root.data.get(index.key)
        if tree is None:
            return iter(())
        items = tree.items()
        if reverse:
            items = reversed(items)
        if index.primary:
            return iter(items)
        primary = cls.indexes[cls.primary_key()].attributes[0]
        if index.unique:
            return ((primary.read_raw(cls._decorate(r)), r) for _, r in items)
        return (pair for _, bucket in items for pair in bucket.items())

    # Creation, edition and deletion.

    @property
    def identifier(self):
        """The value of the primary key of this instance."""
        return getattr(self, self.primary_key())

    @property
    def raw_identifier(self):
        """The primary key as filed in the primary index."""
        primary = self.indexes[self.primary_key()]
        return next(iter(primary.index_keys(self)))

    def initialize(self, raw_values):
        root = self._index_root(create=True)
        primary = self.indexes[self.primary_key()]
        primary_attribute = primary.attributes[0]
        if primary_attribute.name not in raw_values:
            raw_values = {
                primary_attribute.name: primary_attribute.serialize(
                    primary_attribute.create(self)
                ),
                **raw_values,
            }
        super().initialize(raw_values)

        keys = self._keys_of_all_indexes(root)
        self._check_unique(root, keys)
        identifier = next(iter(keys[primary.key]))
        for index_key, index_keys in keys.items():
            _file(root.data[index_key], self.indexes[index_key], index_keys, self.mapping, identifier)
        _length(root, primary.key).change(1)

    def _keys_of_all_indexes(self, root):
        keys = {}
        for index_key, index in self.indexes.items():
            if not index.auto or not self._index_is_up_to_date(root, index):
                continue
            keys[index_key] = index.index_keys(self)
        if not keys.get(self.primary_key()):
            raise PrimaryKeyException(
                f"A {self.__class__.__name__} needs a value for its primary key "
                f"{self.primary_key()!r}."
            )
        return keys

    def _index_is_up_to_date(self, root, index):
        if index.key in root.data:
            return True
        if not _length(root, self.primary_key())():
            root[index.key] = index.mapping()
            return True
        warnings.warn(
            f"{self.__class__.__name__}.{index.key} is a new index on a table "
            "that already holds instances: it is not up to date, and instances "
            "are not filed in it until you call "
            f"{self.__class__.__name__}.index_table_rebuild({index.key!r}).",
            IndexationWarning,
            stacklevel=4,
        )
        return False

    def _check_unique(self, root, keys_by_index):
        for index_key, keys in keys_by_index.items():
            index = self.indexes[index_key]
            if not index.unique:
                continue
            tree = root.data[index_key]
            for key in keys:
                found = _tree_get(tree, key)
                if found is not _MISSING and found is not self.mapping:
                    if index.primary:
                        message = (
                            f"{self.__class__.__name__} {key!r} already exists, in "
                            f"its primary index {index_key!r}"
                        )
                    else:
                        message = (
                            f"The key {key!r} is already present in the index "
                            f"{index_key!r}"
                        )
                    raise UniqueIndexException(message)

    def set_attribute(self, name, value):
        attribute = self.attributes[name]
        if not attribute.indexes:
            return super().set_attribute(name, value)
        if attribute.indexes.get(self.primary_key()) is not None and attribute.is_created(self):
            if getattr(self, name) != value:
                raise SherafException(
                    f"Attribute {name!r} has a primary index and cannot be edited."
                )
            return None
        return super().set_attribute(name, value)

    def _write(self, attribute, raw):
        if not attribute.indexes:
            return super()._write(attribute, raw)
        key = attribute.key(self)
        previous = self.mapping.get(key, _MISSING)
        self._reindex(attribute, lambda: super(BaseIndexedModel, self)._write(attribute, raw), previous, key)

    def _erase(self, attribute):
        if not attribute.indexes:
            return super()._erase(attribute)
        key = attribute.key(self)
        previous = self.mapping.get(key, _MISSING)
        self._reindex(attribute, lambda: super(BaseIndexedModel, self)._erase(attribute), previous, key)

    def _reindex(self, attribute, change, previous, key):
        """Apply ``change`` to the record and move this instance in the
        indexes of ``attribute``; undo it if a unique index refuses."""
        root = self._index_root(create=True)
        indexes = [
            index
            for index in attribute.indexes.values()
            if index.auto and not index.primary and index.key in root.data
        ]
        old_keys = {index.key: index.index_keys(self) for index in indexes}
        change()
        new_keys = {index.key: index.index_keys(self) for index in indexes}
        added = {k: new_keys[k] - old_keys[k] for k in new_keys}
        try:
            self._check_unique(root, added)
        except UniqueIndexException:
            if previous is _MISSING:
                self.mapping.pop(key, None)
            else:
                self.mapping[key] = previous
            self.__dict__.pop(attribute.name, None)
            raise
        identifier = self.raw_identifier
        for index in indexes:
            tree = root.data[index.key]
            _unfile(tree, index, old_keys[index.key] - new_keys[index.key], identifier)
            _file(tree, index, added[index.key], self.mapping, identifier)

    def _delete_record(self):
        root = self._index_root()
        if root is not None:
            identifier = self.raw_identifier
            for index_key, index in self.indexes.items():
                tree = root.data.get(index_key)
                if tree is not None and index.auto:
                    _unfile(tree, index, index.index_keys(self), identifier)
            _length(root, self.primary_key()).change(-1)
        super()._delete_record()

    def copy(self, **kwargs):
        """A copy of this instance; values of unique indexes are not copied
        but created anew (a new identifier, for instance)."""
        for index in self.indexes.values():
            if index.unique:
                for attribute in index.attributes:
                    kwargs.setdefault(attribute.name, attribute.create(self))
        return super().copy(**kwargs)

    # Index maintenance.

    @classmethod
    def index_table_rebuild(cls, *index_names, callback=None):
        """Build again the indexes ``index_names`` (all but the primary one
        by default), from the instances of the table."""
        root = cls._index_root(create=True)
        indexes = [
            index
            for key, index in cls.indexes.items()
            if not index.primary and (not index_names or key in index_names)
        ]
        for index in indexes:
            root[index.key] = index.mapping()
        for position, (identifier, record) in enumerate(cls._iter_records()):
            instance = cls._decorate(record)
            for index in indexes:
                keys = index.index_keys(instance)
                instance._check_unique(root, {index.key: keys})
                _file(root.data[index.key], index, keys, record, identifier)
            if callback is not None and callback(position, instance) is False:
                break

    def index_keys(self, index_name):
        """The keys this instance is filed under in the index ``index_name``."""
        return self.indexes[index_name].index_keys(self)

    @classmethod
    def search_keys(cls, **kwargs):
        """The keys looked up in an index to find a value, given as
        ``index_name=value``."""
        if len(kwargs) != 1:
            raise TypeError("search_keys() takes exactly one index_name=value argument")
        index_name, value = next(iter(kwargs.items()))
        return cls.indexes[index_name].search_keys(cls, value)

    # Comparison and display.

    def __eq__(self, other):
        return (
            isinstance(other, BaseIndexedModel)
            and getattr(self, "table", None) == getattr(other, "table", None)
            and self.identifier == other.identifier
        )

    def __hash__(self):
        return hash((getattr(self, "table", None), self.identifier))

    def __repr__(self):
        try:
            identifier = self.identifier
        except Exception:
            identifier = "?"
        return f"<{self.__class__.__name__} {self._primary_key}={identifier}>"

    def __str__(self):
        return str(self.identifier)


class IndexedModelMetaclass(BaseIndexedModelMetaclass):
    """Keeps the table names unique among models."""

    tables = {}

    def __new__(mcs, name, bases, attrs):
        klass = super().__new__(mcs, name, bases, attrs)
        table = attrs.get("table")
        if table is not None:
            qualname = f"{attrs['__module__']}.{attrs['__qualname__']}"
            previous = IndexedModelMetaclass.tables.get(table)
            if previous is not None and previous[0].rsplit(".", 1)[-1] != name:
                raise SameNameForTableException(
                    f"Table named {table!r} used twice: {previous[0]} and {qualname}"
                )
            IndexedModelMetaclass.tables[table] = (qualname, klass)
        return klass


class IndexedModel(BaseIndexedModel, metaclass=IndexedModelMetaclass):
    """A model whose instances live in a table at the root of a database.

    :attr table: the name of the table; required.
    :attr database_name: the database of the table, if it is not the one of
        the current connection.
    """

    table = None
    database_name = None
    id = SimpleAttribute().index(primary=True)

    @classmethod
    def _index_root(cls, create=False):
        if cls.table is None:
            raise SherafException(f"{cls.__name__} has no table name.")
        root = _database_root(cls)
        table = root.data.get(cls.table)
        if table is None and create:
            table = root[cls.table] = cls._new_index_root()
        return table

    @classmethod
    def from_table(cls, table_name):
        """The model class of the table ``table_name``, or ``None``."""
        known = IndexedModelMetaclass.tables.get(table_name)
        return known[1] if known else None


class SimpleIndexedModel(BaseIndexedModel):
    """A model whose indexes are kept by its owner (see
    :class:`~sheraf.attributes.models.IndexedModelAttribute`)."""

    index_root = None

    @classmethod
    def _index_root(cls, create=False):
        if cls.index_root is None:
            raise SherafException(
                f"{cls.__name__} instances live inside another model: reach them "
                "through that model's attribute."
            )
        return cls.index_root


def _database_root(model_class):
    stack = contexts.current_stack()
    if not stack:
        raise NotConnectedException(_not_connected_message(model_class))
    connection = stack[-1].connection
    if model_class.database_name is not None:
        connection = connection.get_connection(model_class.database_name)
    cached = connection.__dict__.get("_sheraf_root")
    if cached is not None and cached[0] is connection._cache:
        return cached[1]
    root = connection.get(z64)
    connection._sheraf_root = (connection._cache, root)
    return root


def _not_connected_message(model_class):
    provider = contexts.get_context_provider()
    here = provider.describe(provider.owner())
    message = (
        f"{model_class.__name__} needs an open connection, and the current "
        f"{here} has none. Connection contexts belong to the thread or "
        "greenlet that opened them: one started inside a `with "
        "sheraf.connection():` block does not share it, and must open its own."
    )
    others = contexts.other_open_contexts()
    if others:
        message += f" ({others} other thread(s) or greenlet(s) have one open.)"
    return message


def _length(root, primary_key):
    """The instance counter of an index root; tables written by older sheraf
    versions get one on first use."""
    length = root.data.get(LENGTH_KEY)
    if length is None:
        primary = root.data.get(primary_key)
        length = root[LENGTH_KEY] = Length(0 if primary is None else len(primary))
    return length


def _tree_get(tree, key):
    try:
        return tree[key]
    except (KeyError, TypeError):
        return _MISSING


def _file(tree, index, keys, record, identifier):
    for key in keys:
        if index.unique:
            tree[key] = record
        else:
            bucket = _tree_get(tree, key)
            if bucket is _MISSING:
                bucket = tree[key] = OOBTree()
            bucket[identifier] = record


def _unfile(tree, index, keys, identifier):
    for key in keys:
        if index.unique:
            tree.pop(key, None)
            continue
        bucket = _tree_get(tree, key)
        if bucket is _MISSING:
            continue
        bucket.pop(identifier, None)
        if not bucket:
            del tree[key]
