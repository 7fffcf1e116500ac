"""Attributes that hold a list, a set or a dictionary.

Each one stores a persistent collection (see :mod:`sheraf.types`): the
small ones in one record, that ZODB loads and writes at once, the large
ones in a BTree, that it loads and writes by buckets. Their items go
through another attribute, which checks, converts and reads them: a list
of integers, a dictionary of inline models, a dictionary of lists...

>>> class Horse(sheraf.InlineModel):
...     name = sheraf.StringAttribute()
...
>>> class Cowboy(sheraf.Model):
...     table = "collections_cowboys"
...     lucky_numbers = sheraf.SmallListAttribute(sheraf.IntegerAttribute())
...     horses = sheraf.LargeDictAttribute(sheraf.InlineModelAttribute(Horse))
...
>>> with sheraf.connection():
...     george = Cowboy.create(
...         lucky_numbers=[7, 13],
...         horses={"first": {"name": "Jolly Jumper"}},
...     )
...     george.lucky_numbers.append("21")
...     george.lucky_numbers, george.horses["first"].name
([7, 13, 21], 'Jolly Jumper')

Reading one gives a view that behaves like a :class:`list`, a
:class:`set` or a :class:`dict` and changes the stored collection in
place. Assigning one stores a copy of what is given.
"""

from collections.abc import Mapping
from collections.abc import Sequence

from sheraf.attributes.base import Attribute
from sheraf.attributes.simples import SimpleAttribute
from sheraf.attributes.views import DictView
from sheraf.attributes.views import ListView
from sheraf.attributes.views import SetView
from sheraf.types import LargeDict
from sheraf.types import LargeList
from sheraf.types import Set
from sheraf.types import SmallDict
from sheraf.types import SmallList

# The names of the views in sheraf 0.6, for the accessors derived from them.
ListAttributeAccessor = ListView
SetAttributeAccessor = SetView
DictAttributeAccessor = DictView


class CollectionAttribute(Attribute):
    """The common part of collection attributes.

    :param attribute: the attribute of the items; they are stored as they
        are given without one.
    :param persistent_type: the persistent collection that stores them.
    :param accessor_type: what a read gives: a subclass of the attribute's
        view (:class:`~sheraf.attributes.views.ListView`,
        :class:`~sheraf.attributes.views.SetView` or
        :class:`~sheraf.attributes.views.DictView`, also named
        ``ListAttributeAccessor``, ``SetAttributeAccessor`` and
        ``DictAttributeAccessor`` as in sheraf 0.6).

    Views are never memoized: they read the stored collection.
    """

    persistent_type = None
    view_type = None
    empty = None

    def __init__(
        self, attribute=None, persistent_type=None, accessor_type=None, **kwargs
    ):
        self.attribute = attribute if attribute is not None else SimpleAttribute()
        if accessor_type is not None:
            if not (
                isinstance(accessor_type, type)
                and issubclass(accessor_type, self.view_type)
            ):
                raise TypeError(
                    f"{type(self).__name__}: accessor_type must be a subclass of "
                    f"{self.view_type.__name__}, not {accessor_type!r}"
                )
            self.view_type = accessor_type
        # Items that create other instances (references given as dicts) make
        # the collection write elsewhere too: undone if a later item fails.
        self.writes_elsewhere = self.attribute.writes_elsewhere
        if persistent_type is not None:
            self.persistent_type = persistent_type
        kwargs.setdefault("default", self.empty)
        kwargs["read_memoization"] = False
        kwargs["write_memoization"] = False
        super().__init__(**kwargs)

    def __set_name__(self, owner, name):
        super().__set_name__(owner, name)
        self.attribute.__set_name__(owner, name)

    def read(self, model):
        return self.view_type(self, self.read_raw(model), model)

    def deserialize(self, raw):
        return self.view_type(self, raw)

    def serialize(self, value):
        if value is None:
            return self.persistent_type()
        return self.persistent_type(self._serialized_items(value))

    def _serialize_item(self, value, where):
        try:
            return self.attribute.serialize(value)
        except (TypeError, ValueError) as error:
            kind = ValueError if isinstance(error, ValueError) else TypeError
            raise kind(f"at {where}, {value!r}: {error}") from error


class _SequenceAttribute(CollectionAttribute):
    """Lists and sets: iterables of items, indexed by their items."""

    def _items_of(self, value):
        # A LargeList is a BTree, so a mapping too: its items are its values.
        mapping = isinstance(value, Mapping) and not isinstance(value, Sequence)
        if isinstance(value, (str, bytes)) or mapping or not hasattr(value, "__iter__"):
            raise TypeError(
                f"a collection of items is needed, not {type(value).__name__}"
            )
        return value

    def _serialized_items(self, value):
        return [
            self._serialize_item(item, f"index {position}")
            for position, item in enumerate(self._items_of(value))
        ]

    def index_keys(self, view):
        """Every item is indexed: a search for one item finds the instance."""
        return {key for item in view for key in self.attribute.index_keys(item)}

    def search_keys(self, value):
        return self.attribute.search_keys(value)


class ListAttribute(_SequenceAttribute):
    """Holds a list, stored in a :class:`~sheraf.types.SmallList` unless
    ``persistent_type`` says otherwise. Strings and mappings are refused:
    they are not lists of items.

    >>> class Cowboy(sheraf.Model):
    ...     table = "list_cowboys"
    ...     nicknames = sheraf.ListAttribute(sheraf.StringAttribute())
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(nicknames=["Georgy"])
    ...     george.nicknames.extend(["The classiest man"])
    ...     george.nicknames[-1]
    'The classiest man'
    """

    persistent_type = SmallList
    view_type = ListView
    empty = list

    def update(
        self,
        old_value,
        new_value,
        addition=True,
        edition=True,
        deletion=False,
        replacement=False,
    ):
        """Edit the items both lists have, append those beyond the end of
        ``old_value`` on ``addition``, and remove those beyond the end of
        ``new_value`` on ``deletion``."""
        new_items = list(self._items_of(new_value or ()))
        if edition or replacement:
            for position, (current, wanted) in enumerate(
                zip(list(old_value), new_items, strict=False)
            ):
                updated = self.attribute.update(
                    current, wanted, addition, edition, deletion, replacement
                )
                if updated is not current and updated != current:
                    old_value[position] = updated
        if addition and len(new_items) > len(old_value):
            old_value.extend(new_items[len(old_value) :])
        if deletion:
            while len(old_value) > len(new_items):
                old_value.pop()
        return old_value


class SmallListAttribute(ListAttribute):
    """A :class:`ListAttribute` stored in one record, with its model's:
    for short lists."""

    persistent_type = SmallList


class LargeListAttribute(ListAttribute):
    """A :class:`ListAttribute` stored in a
    :class:`~sheraf.types.LargeList`: for long lists."""

    persistent_type = LargeList


class SetAttribute(_SequenceAttribute):
    """Holds a set, stored in a :class:`~sheraf.types.Set` (a BTree set):
    its items are sorted, and must be comparable with each other.

    >>> class Cowboy(sheraf.Model):
    ...     table = "set_cowboys"
    ...     lucky_numbers = sheraf.SetAttribute(sheraf.IntegerAttribute())
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(lucky_numbers={13, 7})
    ...     george.lucky_numbers.add(7)
    ...     sorted(george.lucky_numbers | {1})
    [1, 7, 13]
    """

    persistent_type = Set
    view_type = SetView
    empty = set

    def update(
        self,
        old_value,
        new_value,
        addition=True,
        edition=True,
        deletion=False,
        replacement=False,
    ):
        """Add the items of ``new_value`` on ``addition``, and remove those
        it has not on ``deletion``. Items are compared as they are stored:
        an instance and its identifier are one item of a set of models."""
        new_items = list(self._items_of(new_value or ()))
        if addition:
            old_value.update(new_items)
        if deletion:
            kept = [self.attribute.serialize(item) for item in new_items]
            for item in list(old_value):
                if self.attribute.serialize(item) not in kept:
                    old_value.discard(item)
        return old_value


class DictAttribute(CollectionAttribute):
    """Holds a dictionary, stored in a :class:`~sheraf.types.SmallDict`
    unless ``persistent_type`` says otherwise. Its keys are stored as they
    are given; its values go through the item attribute. Indexed, it files
    the instance under each of its keys.

    >>> class Cowboy(sheraf.Model):
    ...     table = "dict_cowboys"
    ...     horse_breeds = sheraf.DictAttribute(sheraf.StringAttribute())
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(horse_breeds={"Jolly Jumper": "mustang"})
    ...     george.horse_breeds["Polly Pumper"] = "shetland"
    ...     sorted(george.horse_breeds.items())
    [('Jolly Jumper', 'mustang'), ('Polly Pumper', 'shetland')]
    """

    persistent_type = SmallDict
    view_type = DictView
    empty = dict

    def _pairs_of(self, value):
        items = getattr(value, "items", None)
        if items is None or isinstance(value, type):
            raise TypeError(f"a mapping is needed, not {type(value).__name__}")
        return items()

    def _serialized_items(self, value):
        return {
            key: self._serialize_item(item, f"key {key!r}")
            for key, item in self._pairs_of(value)
        }

    def index_keys(self, view):
        return set(view.keys())

    def search_keys(self, value):
        return {value}

    def update(
        self,
        old_value,
        new_value,
        addition=True,
        edition=True,
        deletion=False,
        replacement=False,
    ):
        """Edit the values of the keys both have, add the keys of
        ``new_value`` on ``addition``, and remove those it has not on
        ``deletion``."""
        wanted = dict(self._pairs_of(new_value or {}))
        for key, value in wanted.items():
            if key not in old_value:
                if addition:
                    old_value[key] = value
            elif edition or replacement:
                current = old_value[key]
                updated = self.attribute.update(
                    current, value, addition, edition, deletion, replacement
                )
                if updated is not current and updated != current:
                    old_value[key] = updated
        if deletion:
            for key in [key for key in old_value if key not in wanted]:
                del old_value[key]
        return old_value


class SmallDictAttribute(DictAttribute):
    """A :class:`DictAttribute` stored in a
    :class:`~sheraf.types.SmallDict`, one record: for small dictionaries.
    Two transactions that change different keys both commit."""

    persistent_type = SmallDict


class LargeDictAttribute(DictAttribute):
    """A :class:`DictAttribute` stored in a
    :class:`~sheraf.types.LargeDict`, a BTree: for large dictionaries,
    with sorted keys."""

    persistent_type = LargeDict
