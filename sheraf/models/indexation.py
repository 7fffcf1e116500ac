"""Indexed models: instances filed in BTrees by their primary key and
their other indexes, so that they can be read, counted and queried.

An :class:`IndexedModel` keeps its instances in a *table* at the root of
its database: a :class:`~sheraf.types.SmallDict` named after the model's
``table``, that maps each index name to a BTree. A unique index maps a key
to the record of one instance; a multiple index maps a key to a BTree of
the records filed under it, by primary key. The number of instances is a
:class:`BTrees.Length.Length`, so that counting never scans the table.
Each index has its :mod:`manager <sheraf.models.indexmanager>`, in
``Model.indexes``, which owns these BTrees; this module is the models'
side: reading, writing and maintaining instances through the managers.

Every write to the indexes is checked first: a key a unique index already
holds for another instance raises
:class:`~sheraf.exceptions.UniqueIndexException`, a key an index cannot
hold raises :class:`TypeError`, and in both cases nothing is written.
Two transactions that file the same key at once conflict when the second
one commits, since both change the same BTree bucket.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from sheraf.attributes.base import Attribute
from sheraf.attributes.index import Index
from sheraf.attributes.simples import SimpleAttribute
from sheraf.constants import MISSING
from sheraf.exceptions import InvalidIndexException
from sheraf.exceptions import ModelObjectNotFoundException
from sheraf.exceptions import MultipleIndexException
from sheraf.exceptions import PrimaryKeyException
from sheraf.exceptions import SherafException
from sheraf.models.base import BaseModel
from sheraf.models.indexmanager import Entry
from sheraf.models.indexmanager import IndexManager
from sheraf.models.indexmanager import MultipleDatabaseIndexManager
from sheraf.models.indexmanager import SimpleIndexManager
from sheraf.models.metaclasses import BaseIndexedModelMetaclass
from sheraf.models.metaclasses import IndexedModelMetaclass
from sheraf.queryset import QuerySet

__all__ = [
    "BaseIndexedModel",
    "BaseIndexedModelMetaclass",
    "IndexedModel",
    "IndexedModelMetaclass",
    "SimpleIndexedModel",
]


class BaseIndexedModel(BaseModel, metaclass=BaseIndexedModelMetaclass):
    """Instances filed in indexes. Subclasses say where the table is kept,
    with their :attr:`index_manager_class`."""

    index_manager_class: type[IndexManager] = IndexManager
    """The :class:`~sheraf.models.indexmanager.IndexManager` subclass of the
    managers in :attr:`indexes`."""

    indexes: dict[str, IndexManager] = {}
    """The manager of each index, by index name."""

    @classmethod
    def index_managers(cls, indexes: Iterable[Index]) -> dict[str, IndexManager]:
        """New managers of ``indexes`` over the table of this model, by
        index name: what :attr:`indexes` holds."""
        return {index.key: cls.index_manager_class(cls, index) for index in indexes}

    @classmethod
    def index_manager(cls, index: str | Index | None = None) -> IndexManager:
        """The manager of the index ``index`` (a name, or the
        :class:`~sheraf.attributes.index.Index`), of the primary index by
        default.

        :raise InvalidIndexException: for a name that is no index.

        >>> class Horse(sheraf.Model):
        ...     table = "index_manager_horses"
        ...     name = sheraf.StringAttribute().index()
        ...
        >>> Horse.index_manager("name")
        <MultipleDatabaseIndexManager name=name>
        """
        name = cls.primary_key() if index is None else getattr(index, "key", index)
        try:
            return cls.indexes[name]
        except KeyError:
            raise InvalidIndexException(
                f"{name!r} is not an index of {cls.__name__}; its indexes "
                f"are {', '.join(map(repr, cls.indexes))}."
            ) from None

    @classmethod
    def plain_index(cls, attribute_name: str) -> IndexManager | None:
        """The manager of the index that files instances under the keys of
        the attribute ``attribute_name`` itself, which filters and orders on
        the attribute can use; ``None`` if it has none."""
        key = cls._plain_indexes.get(attribute_name)
        return None if key is None else cls.indexes[key]

    @classmethod
    def primary_key(cls) -> str:
        """The name of the primary index."""
        if cls._primary_key is None:
            raise PrimaryKeyException(f"{cls.__name__} has no primary key.")
        return cls._primary_key

    @classmethod
    def primary_attribute(cls) -> Attribute:
        """The attribute of the primary index, that holds identifiers."""
        if cls._primary_attribute is None:
            raise PrimaryKeyException(f"{cls.__name__} has no primary key.")
        return cls._primary_attribute

    # Reading.

    @classmethod
    def from_entry(cls, raw_identifier: Any, record: Any) -> BaseIndexedModel:
        """An instance over ``record``, an entry of the table whose primary
        key is ``raw_identifier``, as the primary index files it.

        >>> class Horse(sheraf.Model):
        ...     table = "from_entry_horses"
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create()
        ...     entries = Horse.index_manager().entries()
        ...     [Horse.from_entry(*entry) for entry in entries] == [jolly]
        True
        """
        instance = cls() if cls._made_by_call else cls.__new__(cls)
        instance.mapping = record
        identifier_memo = cls._identifier_memo
        if identifier_memo is not None:
            name, deserialize = identifier_memo
            instance.__dict__[name] = (
                raw_identifier if deserialize is None else deserialize(raw_identifier)
            )
        return instance

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> Iterator[BaseIndexedModel]:
        """The instances :meth:`from_entry` makes over ``entries``, as a
        generator: what iterating a query reads.

        >>> class Horse(sheraf.Model):
        ...     table = "from_entries_horses"
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create()
        ...     list(Horse.from_entries(Horse.index_manager().entries())) == [jolly]
        True
        """
        # from_entry's work in a loop: a call per instance would cost about
        # as much as making it.
        made_by_call = cls._made_by_call
        name, deserialize = cls._identifier_memo or (None, None)
        for raw_identifier, record in entries:
            instance = cls() if made_by_call else cls.__new__(cls)
            instance.mapping = record
            if name is not None:
                instance.__dict__[name] = (
                    raw_identifier
                    if deserialize is None
                    else deserialize(raw_identifier)
                )
            yield instance

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
        return cls.index_manager(index_name), value

    @classmethod
    def read(cls, *args: Any, **kwargs: Any) -> BaseIndexedModel:
        """The instance an identifier (or a unique index value) designates.

        :raise ModelObjectNotFoundException: when there is none.
        :raise MultipleIndexException: for a multiple index.
        """
        if len(args) == 1 and not kwargs and cls._primary_key is not None:
            # Reading by identifier is the hot path: no detour.
            record = cls.indexes[cls._primary_key].record(args[0])
            if record is not None:
                return cls.from_entry(args[0], record)
        index, value = cls._check_args(args, kwargs)
        if not index.details.unique:
            raise MultipleIndexException(
                f"{index.key!r} is a multiple index and cannot be used with 'read'"
            )
        for instance in index.find(value):
            return instance
        raise ModelObjectNotFoundException(cls, value, index.details.key)

    @classmethod
    def read_these(cls, *args: Any, **kwargs: Any) -> Iterator[BaseIndexedModel]:
        """The instances several identifiers (or index values) designate, as
        a generator; an unknown one raises
        :class:`~sheraf.exceptions.ModelObjectNotFoundException`."""
        index, values = cls._check_args(args, kwargs)
        if index.details.unique:
            return (cls.read(**{index.details.key: value}) for value in values)
        return itertools.chain.from_iterable(index.find(value) for value in values)

    @classmethod
    def read_these_valid(cls, *args: Any, **kwargs: Any) -> Iterator[BaseIndexedModel]:
        """Like :meth:`read_these`, skipping unknown identifiers."""
        index, values = cls._check_args(args, kwargs)
        return itertools.chain.from_iterable(index.find(value) for value in values)

    @classmethod
    def exists(cls, *args: Any, **kwargs: Any) -> bool:
        """Whether an identifier (or index value) designates an instance."""
        index, value = cls._check_args(args, kwargs)
        return next(index.find(value), None) is not None

    @classmethod
    def count(cls, index_name: str | None = None) -> int:
        """The number of instances, read from a counter; or the number of
        keys of the index ``index_name``."""
        if index_name is None:
            return cls.index_manager().length()
        manager = cls.indexes.get(index_name)
        return 0 if manager is None else manager.count()

    @classmethod
    def all(cls, index_name: str | None = None) -> QuerySet:
        """A :class:`~sheraf.queryset.QuerySet` of every instance, in the
        order of the index ``index_name`` (the primary one by default)."""
        return QuerySet(model_class=cls, primary_key=index_name)

    @classmethod
    def filter(
        cls, predicate: Callable[[Any], bool] | None = None, **kwargs: Any
    ) -> QuerySet:
        """Shortcut for ``Model.all().filter(...)``."""
        return cls.all().filter(predicate, **kwargs)

    @classmethod
    def search(cls, **kwargs: Any) -> QuerySet:
        """Shortcut for ``Model.all().search(...)``."""
        return cls.all().search(**kwargs)

    @classmethod
    def order(cls, *args: int, **kwargs: int) -> QuerySet:
        """Shortcut for ``Model.all().order(...)``."""
        return cls.all().order(*args, **kwargs)

    @classmethod
    def get(
        cls, predicate: Callable[[Any], bool] | None = None, **kwargs: Any
    ) -> BaseIndexedModel:
        """The only instance matching a filter; see
        :meth:`~sheraf.queryset.QuerySet.get`."""
        return cls.filter(predicate, **kwargs).get()

    # Creation, edition and deletion.

    @property
    def identifier(self) -> Any:
        """The value of the primary key of this instance."""
        return getattr(self, self.primary_key())

    @property
    def raw_identifier(self) -> Any:
        """The primary key as filed in the primary index. It may differ from
        the stored value: sheraf 0.6 kept the integer of a UUID in the
        record, and filed its string."""
        keys = self.indexes[self._primary_key].details.index_keys(self)
        return next(iter(keys), None)

    def initialize(self, raw_values):
        primary_attribute = type(self)._primary_attribute
        if primary_attribute.name not in raw_values:
            raw_values = {
                primary_attribute.name: primary_attribute.serialize(
                    primary_attribute.create(self)
                ),
                **raw_values,
            }
        super().initialize(raw_values)
        self.index_manager().file(self)

    def set_attribute(self, name, value):
        attribute = self.attributes[name]
        if attribute is type(self)._primary_attribute and attribute.is_created(self):
            if self._serialize(attribute, value) != attribute.read_raw(self):
                raise SherafException(
                    f"Attribute {name!r} has a primary index and cannot be edited."
                )
            return None
        return super().set_attribute(name, value)

    def write_raw(self, attribute, raw):
        write = super().write_raw
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
        indexes = self._auto_indexes_of(attribute)
        key = attribute.key(self)
        previous = self.mapping.get(key, MISSING)

        def undo():
            if previous is MISSING:
                self.mapping.pop(key, None)
            else:
                self.mapping[key] = previous
            self.__dict__.pop(attribute.name, None)

        self.index_manager().refile(self, indexes, change, undo)

    def _auto_indexes_of(self, attribute):
        return [i for i in self._indexes_of_attribute[attribute.name] if i.auto]

    def before_index_edition(self, attribute: Attribute) -> dict[Index, set]:
        """The keys this instance is filed under in the indexes of
        ``attribute``, before a change the model cannot see (made to the
        record itself, or to what the attribute reads): give them to
        :meth:`after_index_edition` once the change is made.

        >>> class Horse(sheraf.Model):
        ...     table = "before_index_edition_horses"
        ...     name = sheraf.StringAttribute().index()
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create(name="Jolly")
        ...     keys = jolly.before_index_edition(Horse.name)
        ...     jolly.mapping["name"] = "Polly"
        ...     jolly.after_index_edition(Horse.name, keys)
        ...     Horse.search(name="Polly").get() == jolly
        True
        """
        return self.index_manager().keys_of(self, self._auto_indexes_of(attribute))

    def after_index_edition(
        self,
        attribute: Attribute,
        old_index_values: dict[Index, set],
        ignore_errors: bool = True,
    ) -> None:
        """Move this instance in the indexes of ``attribute``, from the keys
        :meth:`before_index_edition` gave to its keys now. A key a unique
        index holds for another instance raises
        :class:`~sheraf.exceptions.UniqueIndexException`, and nothing moves.
        ``ignore_errors`` is sheraf 0.6's: removing a key never fails."""
        self.index_manager().move(self, old_index_values)

    def _delete_record(self):
        self.index_manager().unfile(self)
        super()._delete_record()

    def copy(self, **kwargs):
        """A copy of this instance; values of unique indexes are not copied
        but created anew (a new identifier, for instance)."""
        for manager in self.indexes.values():
            if manager.details.unique:
                for attribute in manager.details.attributes:
                    kwargs.setdefault(attribute.name, attribute.create(self))
        return super().copy(**kwargs)

    # Index maintenance.

    @classmethod
    def index_table_rebuild(
        cls,
        *index_names: str,
        callback: Callable[[int, BaseIndexedModel], Any] | None = None,
        reset: bool = True,
        start: int | None = None,
        end: int | None = None,
    ) -> None:
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
        managers = [cls.index_manager(name) for name in index_names] or list(
            cls.indexes.values()
        )
        cls.index_manager().rebuild(
            [manager.details for manager in managers],
            callback=callback,
            reset=reset,
            start=start,
            end=end,
        )

    @classmethod
    def index_table_reset(cls, *index_names):
        """Drop the indexes ``index_names`` (all but the primary one by
        default): queries scan the table instead of using them, and
        instances are not filed in them, until :meth:`index_table_rebuild`
        builds them again."""
        managers = [cls.index_manager(name) for name in index_names] or list(
            cls.indexes.values()
        )
        for manager in managers:
            if not manager.details.primary:
                manager.delete()

    @classmethod
    def from_table(cls, table_name: str) -> type | None:
        """The model class of the table ``table_name``, or ``None``.

        >>> class Horse(sheraf.Model):
        ...     table = "from_table_horses"
        ...
        >>> sheraf.AttributeModel.from_table("from_table_horses") is Horse
        True
        """
        known = IndexedModelMetaclass.tables.get(table_name)
        return known[1] if known else None

    @classmethod
    def outdated_indexes(cls) -> list[str]:
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
        return cls.index_manager().outdated()

    def index_keys(self, index_name: str) -> set[Any]:
        """The keys this instance is filed under in the index ``index_name``.

        >>> class Horse(sheraf.Model):
        ...     table = "index_keys_horses"
        ...     name = sheraf.StringAttribute().index(values=str.lower)
        ...
        >>> with sheraf.connection():
        ...     Horse.create(name="Jolly Jumper").index_keys("name")
        {'jolly jumper'}
        """
        return self.index_manager(index_name).details.index_keys(self)

    @classmethod
    def search_keys(cls, **kwargs: Any) -> set[Any]:
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
        return set(cls.index_manager(index_name).details.search_keys(cls, value))

    def is_indexed_with(self, **kwargs: Any) -> bool:
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


class IndexedModel(BaseIndexedModel, metaclass=IndexedModelMetaclass):
    """A model whose instances live in a table at the root of a database.

    :attr table: the name of the table. Models with none share the table
        ``None``, where sheraf 0.6 kept them: give each model its own.
    :attr database_name: the database of the table, if it is not the one of
        the current connection. A table of the current connection's database
        is read too, as sheraf 0.6 did: it holds the instances written before
        the model had a ``database_name``.
    :attr unique_table_name: ``False`` lets another model class use the
        same ``table``.
    """

    index_manager_class = MultipleDatabaseIndexManager
    table = None
    database_name = None
    unique_table_name = True
    id = SimpleAttribute().index(primary=True)


class SimpleIndexedModel(BaseIndexedModel):
    """A model whose table is kept by its owner (see
    :class:`~sheraf.attributes.models.IndexedModelAttribute`): the class
    :meth:`bound_to` gives reads and writes it."""

    index_manager_class = SimpleIndexManager
    index_root = None
    index_owner = None

    @classmethod
    def bound_to(
        cls, index_root: Any, owner: tuple[BaseIndexedModel, Attribute] | None = None
    ) -> type[SimpleIndexedModel]:
        """This model, its instances filed in the table ``index_root``, a
        root made by :meth:`~sheraf.models.indexmanager.IndexManager.new_root`.
        ``owner``, an ``(instance, attribute)`` pair, is the instance that
        holds the table, refiled in the indexes of its attribute when an
        instance is created in the table or deleted from it.

        >>> class Horse(sheraf.AttributeModel):
        ...     name = sheraf.StringAttribute().index(primary=True)
        ...
        >>> stable = Horse.bound_to(Horse.index_manager().new_root())
        >>> with sheraf.connection():
        ...     jolly = stable.create(name="Jolly")
        ...     stable.read("Jolly") == jolly, stable.count()
        (True, 1)
        """
        namespace = {
            "index_root": index_root,
            "index_owner": owner,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
        }
        # type.__new__ skips the model metaclass: the bound class inherits
        # what it collected, and is not registered as a model of its own.
        bound = type.__new__(type(cls), cls.__name__, (cls,), namespace)
        bound.indexes = bound.index_managers(m.details for m in cls.indexes.values())
        return bound

    def initialize(self, raw_values):
        with self._owner_refiled():
            super().initialize(raw_values)

    def _delete_record(self):
        with self._owner_refiled():
            super()._delete_record()

    @contextlib.contextmanager
    def _owner_refiled(self):
        """Refile the owner of the table in the indexes of its attribute,
        once the table has changed."""
        owner = type(self).index_owner
        if owner is None:
            yield
            return
        instance, attribute = owner
        keys = instance.before_index_edition(attribute)
        yield
        instance.after_index_edition(attribute, keys)
