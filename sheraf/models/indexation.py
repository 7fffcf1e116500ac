"""Indexed models: instances filed in BTrees by their primary key and
their other indexes, so that they can be read, counted and queried.

An :class:`IndexedModel` keeps its instances in a *table* at the root of
its database: a :class:`~sheraf.types.SmallDict` named after the model's
``table``, that maps each index name to a BTree. A unique index maps a key
to the record of one instance; a multiple index maps a key to a BTree of
the records filed under it, by primary key. The number of instances is a
:class:`BTrees.Length.Length`, so that counting never scans the table.

Every write to the indexes is checked first: a key a unique index already
holds for another instance raises
:class:`~sheraf.exceptions.UniqueIndexException`, a key an index cannot
hold raises :class:`TypeError`, and in both cases nothing is written.
Two transactions that file the same key at once conflict when the second
one commits, since both change the same BTree bucket.
"""

import itertools
import os
import sys
import warnings

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from ZODB.utils import z64

import sheraf.queryset
from sheraf import contexts
from sheraf.attributes.index import Index
from sheraf.attributes.index import search_keys_of
from sheraf.attributes.index import tree_entry
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
_SHERAF_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class BaseIndexedModelMetaclass(BaseModelMetaclass):
    """Gathers the indexes of a model, those of its attributes and those
    declared as class attributes, and checks it has one primary key."""

    def __new__(mcs, name, bases, attrs):
        klass = super().__new__(mcs, name, bases, attrs)
        indexes = {}
        for attribute in klass.attributes.values():
            for index in attribute.indexes.values():
                index.key = index.key or attribute.name
            attribute.indexes = {
                index.key: index for index in attribute.indexes.values()
            }
            indexes.update(
                (key, index)
                for key, index in attribute.indexes.items()
                if not index.in_model_body
            )
        for owner in reversed(klass.__mro__):
            for member_name, member in vars(owner).items():
                if isinstance(member, Index):
                    member.key = member.key or member_name
                    member.in_model_body = True
                    indexes[member.key] = member
        for index in indexes.values():
            index.resolve(klass.attributes)
            for attribute in index.attributes:
                attribute.lazy = False
                # Attributes know they are indexed (collection views then
                # write their changes through the model).
                attribute.indexes.setdefault(index.key, index)
        klass.indexes = indexes
        klass._indexes_of_attribute = {
            attribute_name: [
                index
                for index in indexes.values()
                if attribute in index.attributes and not index.primary
            ]
            for attribute_name, attribute in klass.attributes.items()
        }
        klass._plain_indexes = _plain_indexes(klass.attributes, indexes)

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
        # What reading an instance by its identifier memoizes, kept out of
        # the class's descriptors for the hot path.
        primary = klass._primary_attribute
        klass._identifier_memo = (
            (primary.name, primary.deserialize)
            if primary is not None and primary.write_memoization
            else None
        )
        return klass


def _plain_indexes(attributes, indexes):
    """For each attribute, the index that files instances under its own
    keys, which filters and orders on the attribute can use."""
    plain = {}
    for index in indexes.values():
        if index.is_plain and index.auto:
            attribute = index.attributes[0]
            if attribute.name not in plain or index.key == attribute.name:
                plain[attribute.name] = index
    return {name: index for name, index in plain.items() if name in attributes}


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

    @classmethod
    def _tree(cls, index_key):
        """The BTree of an index, ``None`` if it is not built."""
        root = cls._index_root()
        return None if root is None else root.data.get(index_key)

    # Reading.

    @classmethod
    def _decorate_found(cls, raw_identifier, record):
        """An instance over ``record``, whose primary key is known."""
        instance = cls.__new__(cls)
        memo = instance.__dict__
        memo["mapping"] = record
        if cls._identifier_memo is not None:
            name, deserialize = cls._identifier_memo
            memo[name] = deserialize(raw_identifier)
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
        return cls._index(index_name), value

    @classmethod
    def _index(cls, index_name):
        try:
            return cls.indexes[index_name]
        except KeyError:
            raise InvalidIndexException(
                f"{index_name!r} is not an index of {cls.__name__}; its indexes "
                f"are {', '.join(map(repr, cls.indexes))}."
            ) from None

    @classmethod
    def _find(cls, index, value):
        """The instances ``value`` designates in ``index``: those filed under
        it, or else under its search keys (which, for instance, convert an
        identifier given as a string)."""
        tree = cls._tree(index.key)
        if tree is None:
            yield from cls._find_by_scan(index, value)
            return
        entry = tree_entry(tree, value, _MISSING)
        if entry is not _MISSING:
            found = [(value, entry)]
        else:
            keys = search_keys_of(index, cls, value)
            found = ((key, tree_entry(tree, key, _MISSING)) for key in keys)
        for key, entry in found:
            if entry is _MISSING:
                continue
            if index.primary:
                yield cls._decorate_found(key, entry)
            elif index.unique:
                yield cls._decorate(entry)
            else:
                for identifier, record in entry.items():
                    yield cls._decorate_found(identifier, record)

    @classmethod
    def _find_by_scan(cls, index, value):
        if not cls.count():
            return
        _warn_outdated(cls, index.key)
        keys = {value, *search_keys_of(index, cls, value)}
        for instance in cls.all():
            if not keys.isdisjoint(index.index_keys(instance)):
                yield instance

    @classmethod
    def read(cls, *args, **kwargs):
        """The instance an identifier (or a unique index value) designates.

        :raise ModelObjectNotFoundException: when there is none.
        :raise MultipleIndexException: for a multiple index.
        """
        if len(args) == 1 and not kwargs and cls._primary_key is not None:
            # Reading by identifier is the hot path: no detour.
            root = cls._index_root()
            tree = None if root is None else root.data.get(cls._primary_key)
            record = _MISSING if tree is None else tree_entry(tree, args[0], _MISSING)
            if record is not _MISSING:
                return cls._decorate_found(args[0], record)
        index, value = cls._check_args(args, kwargs)
        if not index.unique:
            raise MultipleIndexException(
                f"{index.key!r} is a multiple index and cannot be used with 'read'"
            )
        for instance in cls._find(index, value):
            return instance
        raise ModelObjectNotFoundException(cls, value, index.key)

    @classmethod
    def read_these(cls, *args, **kwargs):
        """The instances several identifiers (or index values) designate, as
        a generator; an unknown one raises
        :class:`~sheraf.exceptions.ModelObjectNotFoundException`."""
        index, values = cls._check_args(args, kwargs)
        if index.unique:
            return (cls.read(**{index.key: value}) for value in values)
        return itertools.chain.from_iterable(
            cls._find(index, value) for value in values
        )

    @classmethod
    def read_these_valid(cls, *args, **kwargs):
        """Like :meth:`read_these`, skipping unknown identifiers."""
        index, values = cls._check_args(args, kwargs)
        return itertools.chain.from_iterable(
            cls._find(index, value) for value in values
        )

    @classmethod
    def exists(cls, *args, **kwargs):
        """Whether an identifier (or index value) designates an instance."""
        index, value = cls._check_args(args, kwargs)
        return next(cls._find(index, value), None) is not None

    @classmethod
    def count(cls, index_name=None):
        """The number of instances, read from a counter; or the number of
        keys of the index ``index_name``."""
        root = cls._index_root()
        if root is None:
            return 0
        if index_name is None:
            return _length(root, cls.primary_key())()
        tree = root.data.get(index_name)
        return 0 if tree is None else len(tree)

    @classmethod
    def all(cls, index_name=None):
        """A :class:`~sheraf.queryset.QuerySet` of every instance, in the
        order of the index ``index_name`` (the primary one by default)."""
        return sheraf.queryset.QuerySet(model_class=cls, primary_key=index_name)

    @classmethod
    def filter(cls, predicate=None, **kwargs):
        """Shortcut for ``Model.all().filter(...)``."""
        return cls.all().filter(predicate, **kwargs)

    @classmethod
    def search(cls, **kwargs):
        """Shortcut for ``Model.all().search(...)``."""
        return cls.all().search(**kwargs)

    @classmethod
    def order(cls, *args, **kwargs):
        """Shortcut for ``Model.all().order(...)``."""
        return cls.all().order(*args, **kwargs)

    @classmethod
    def get(cls, *args, **kwargs):
        """The only instance matching a filter; see
        :meth:`~sheraf.queryset.QuerySet.get`."""
        return cls.filter(*args, **kwargs).get()

    # Creation, edition and deletion.

    @property
    def identifier(self):
        """The value of the primary key of this instance."""
        return getattr(self, self.primary_key())

    @property
    def raw_identifier(self):
        """The primary key as filed in the primary index."""
        return type(self)._primary_attribute.read_raw(self)

    def initialize(self, raw_values):
        root = self._index_root(create=True)
        primary_attribute = type(self)._primary_attribute
        if primary_attribute.name not in raw_values:
            raw_values = {
                primary_attribute.name: primary_attribute.serialize(
                    primary_attribute.create(self)
                ),
                **raw_values,
            }
        super().initialize(raw_values)

        trees = _built_trees(self, root, [i for i in self.indexes.values() if i.auto])
        keys = {index: index.index_keys(self) for index in trees}
        if not keys.get(self.indexes[self.primary_key()]):
            raise PrimaryKeyException(
                f"A {self.__class__.__name__} needs a value for its primary key "
                f"{self.primary_key()!r}."
            )
        _check_keys(trees, keys, self.mapping)
        length = _length(root, self.primary_key())  # counts the table as it was
        identifier = self.raw_identifier
        for index, index_keys in keys.items():
            _file(trees[index], index, index_keys, self.mapping, identifier)
        length.change(1)

    def set_attribute(self, name, value):
        attribute = self.attributes[name]
        if attribute is type(self)._primary_attribute and attribute.is_created(self):
            if self._serialize(attribute, value) != attribute.read_raw(self):
                raise SherafException(
                    f"Attribute {name!r} has a primary index and cannot be edited."
                )
            return None
        return super().set_attribute(name, value)

    def _write(self, attribute, raw):
        write = super()._write
        if not self._indexes_of_attribute.get(attribute.name):
            return write(attribute, raw)
        return self._reindex(attribute, lambda: write(attribute, raw))

    def _erase(self, attribute):
        erase = super()._erase
        if not self._indexes_of_attribute.get(attribute.name):
            return erase(attribute)
        return self._reindex(attribute, lambda: erase(attribute))

    def _reindex(self, attribute, change):
        """Apply ``change`` to the value of ``attribute``, and move this
        instance in the indexes of the attribute; if an index refuses a new
        key, put the value back and raise."""
        indexes = [i for i in self._indexes_of_attribute[attribute.name] if i.auto]
        trees = _built_trees(self, self._index_root(create=True), indexes)
        key = attribute.key(self)
        previous = self.mapping.get(key, _MISSING)
        old_keys = {index: index.index_keys(self) for index in trees}
        change()
        new_keys = {index: index.index_keys(self) for index in trees}
        added = {index: new_keys[index] - old_keys[index] for index in trees}
        try:
            _check_keys(trees, added, self.mapping)
        except (UniqueIndexException, TypeError):
            if previous is _MISSING:
                self.mapping.pop(key, None)
            else:
                self.mapping[key] = previous
            self.__dict__.pop(attribute.name, None)
            raise
        identifier = self.raw_identifier
        for index, tree in trees.items():
            _unfile(
                tree, index, old_keys[index] - new_keys[index], self.mapping, identifier
            )
            _file(tree, index, added[index], self.mapping, identifier)

    def _delete_record(self):
        root = self._index_root()
        if root is not None:
            identifier = self.raw_identifier
            for index in self.indexes.values():
                tree = root.data.get(index.key)
                if tree is not None:
                    _unfile(
                        tree, index, index.index_keys(self), self.mapping, identifier
                    )
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
    def index_table_rebuild(
        cls, *index_names, callback=None, reset=True, start=None, end=None
    ):
        """Build the indexes ``index_names`` (all but the primary one by
        default) from the instances of the table: needed when an index is
        added to a table that already holds instances (see
        :meth:`outdated_indexes`), or after changing how an index computes
        its keys.

        :param callback: called with the position and each instance; the
            rebuild stops when it returns ``False``.
        :param reset: start from empty indexes. With ``False``, instances
            are added to the indexes as they are, so that a large table can
            be indexed in several transactions, with ``start`` and ``end``.
        :param start: the position of the first instance to index.
        :param end: the position after the last instance to index.

        With ``reset``, the new indexes replace the old ones only once every
        instance is filed: if one breaks a unique index, the
        :class:`~sheraf.exceptions.UniqueIndexException` leaves the old ones
        untouched.
        """
        root = cls._index_root(create=True)
        indexes = [cls._index(name) for name in index_names] or list(
            cls.indexes.values()
        )
        trees = {
            index: _tree_to_rebuild(root, index, reset)
            for index in indexes
            if not index.primary
        }
        records = itertools.islice(cls._tree(cls.primary_key()).items(), start, end)
        for position, (identifier, record) in enumerate(records):
            instance = cls._decorate_found(identifier, record)
            keys = {index: index.index_keys(instance) for index in trees}
            _check_keys(trees, keys, record)
            for index, index_keys in keys.items():
                _file(trees[index], index, index_keys, record, identifier)
            if callback is not None and callback(position, instance) is False:
                break
        for index, tree in trees.items():
            if root.data.get(index.key) is not tree:
                root[index.key] = tree

    @classmethod
    def outdated_indexes(cls):
        """The names of the indexes the table does not have, although it
        holds instances: indexes added to the model since. Queries do not
        use them, and instances are not filed in them, until
        :meth:`index_table_rebuild` builds them.

        >>> class Horse(sheraf.Model):
        ...     table = "outdated_horses"
        ...     name = sheraf.StringAttribute()
        ...
        >>> with sheraf.connection(commit=True):
        ...     jolly = Horse.create(name="Jolly Jumper")
        ...
        >>> class Horse(sheraf.Model):
        ...     table = "outdated_horses"
        ...     name = sheraf.StringAttribute().index()
        ...
        >>> with sheraf.connection(commit=True):
        ...     Horse.outdated_indexes()
        ...     Horse.index_table_rebuild("name")
        ...     Horse.outdated_indexes()
        ['name']
        []
        """
        root = cls._index_root()
        if root is None or not _length(root, cls.primary_key())():
            return []
        return [key for key in cls.indexes if key not in root.data]

    def index_keys(self, index_name):
        """The keys this instance is filed under in the index ``index_name``.

        >>> class Horse(sheraf.Model):
        ...     table = "index_keys_horses"
        ...     name = sheraf.StringAttribute().index(values=str.lower)
        ...
        >>> with sheraf.connection():
        ...     Horse.create(name="Jolly Jumper").index_keys("name")
        {'jolly jumper'}
        """
        return self._index(index_name).index_keys(self)

    @classmethod
    def search_keys(cls, **kwargs):
        """The keys looked up in an index to find a value, given as
        ``index_name=value``.

        >>> class Horse(sheraf.Model):
        ...     table = "search_keys_horses"
        ...     name = sheraf.StringAttribute().index(values=str.lower)
        ...
        >>> Horse.search_keys(name="Jolly Jumper")
        {'jolly jumper'}
        """
        if len(kwargs) != 1:
            raise TypeError("search_keys() takes exactly one index_name=value argument")
        index_name, value = next(iter(kwargs.items()))
        return set(cls._index(index_name).search_keys(cls, value))

    def is_indexed_with(self, **kwargs):
        """Whether :meth:`search` would find this instance with these
        ``index_name=value`` arguments, computed without a query."""
        return all(
            not self.search_keys(**{name: value}).isdisjoint(self.index_keys(name))
            for name, value in kwargs.items()
        )

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
            qualname = f"{klass.__module__}.{klass.__qualname__}"
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
    context = stack[-1]
    if context.database._forked_from is not None:
        context.database._check_usable()  # forked inside the block: refused
    connection = context.connection
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


def _built_trees(instance, root, indexes):
    """The BTrees of the indexes of ``indexes`` that the table has, by
    index. On an empty table, missing ones are created; on a table with
    instances, they are out of date, and a warning says so."""
    trees = {}
    for index in indexes:
        tree = root.data.get(index.key)
        if tree is None and not _length(root, instance.primary_key())():
            tree = root[index.key] = index.mapping()
        if tree is None:
            _warn_outdated(type(instance), index.key)
        else:
            trees[index] = tree
    return trees


def _tree_to_rebuild(root, index, reset):
    tree = None if reset else root.data.get(index.key)
    return index.mapping() if tree is None else tree


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


def _check_keys(trees, keys_by_index, record):
    """Raise, before anything is written, if an index cannot file
    ``record`` under its new keys: :class:`TypeError` for a key the index
    cannot hold, :class:`~sheraf.exceptions.UniqueIndexException` for a key
    a unique index holds for another record. ``trees`` and
    ``keys_by_index`` map indexes to their BTrees and to the keys."""
    for index, keys in keys_by_index.items():
        tree = trees[index]
        for key in keys:
            try:
                type(tree)()[key] = record
                found = tree.get(key, _MISSING)
            except TypeError as exc:
                raise TypeError(
                    f"The index {index.key!r} cannot hold the key {key!r}: {exc}"
                ) from exc
            if index.unique and found is not _MISSING and found is not record:
                if index.primary:
                    raise UniqueIndexException(
                        f"The identifier {key!r} is already used, in the primary "
                        f"index {index.key!r}"
                    )
                raise UniqueIndexException(
                    f"The key {key!r} is already present in the index {index.key!r}"
                )


def _file(tree, index, keys, record, identifier):
    for key in keys:
        if index.unique:
            tree[key] = record
            continue
        bucket = tree_entry(tree, key, _MISSING)
        if bucket is _MISSING:
            bucket = tree[key] = OOBTree()
        bucket[identifier] = record


def _unfile(tree, index, keys, record, identifier):
    for key in keys:
        entry = tree_entry(tree, key, _MISSING)
        if index.unique:
            if entry is record:
                del tree[key]
            continue
        if entry is _MISSING:
            continue
        entry.pop(identifier, None)
        if not entry:
            del tree[key]
