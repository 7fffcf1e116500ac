"""What collection attributes read as: views over a persistent collection
that check and serialize what goes in, and deserialize what comes out,
with the attribute of their items.

A view reads and writes the stored collection in place. When the
attribute is indexed, a change is written as a new collection through the
model instead, so that its indexes follow.

A view also offers the methods of its persistent collection: those this
module defines (``append(item, unique=True)``, ``minKey()``...) convert
items as the others do; any other one (``byValue``, ``has_key``...) is the
collection's own, and reads and writes items as they are stored.

As sheraf 0.6's accessors did, a view names the attribute of its items
``_attribute`` and the persistent collection ``mapping``: a subclass given
as ``accessor_type`` to a collection attribute can use them.
"""

import builtins
from collections.abc import Mapping
from collections.abc import MutableMapping
from collections.abc import MutableSequence
from collections.abc import MutableSet

from sheraf.attributes.base import cannot_hold


class CollectionView:
    """The common part of the views.

    :param attribute: the collection attribute.
    :param mapping: the persistent collection.
    :param model: the model instance it was read from, ``None`` for a
        collection inside another one.
    """

    __slots__ = ("_collection", "_attribute", "mapping", "_model")

    def __init__(self, attribute, mapping, model=None):
        self._collection = attribute
        self._attribute = attribute.attribute
        self.mapping = mapping
        self._model = model

    def __getattr__(self, name):
        # The other methods of the persistent collection, as they are.
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return getattr(self.mapping, name)
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} and its {type(self.mapping).__name__} "
                f"have no attribute {name!r}"
            ) from None

    def _serialize(self, value):
        try:
            return self._attribute.serialize(value)
        except (TypeError, ValueError) as error:
            if self._model is None:
                label = self._collection.__class__.__name__
            else:
                label = self._collection.label(self._model)
            raise cannot_hold(label, value, error) from error

    def _change(self, change):
        """Apply ``change`` to the persistent collection; return what it
        returns."""
        model, attribute = self._model, self._collection
        if model is None or not attribute.indexes:
            return change(self.mapping)
        changed = type(self.mapping)(self.mapping)
        result = change(changed)
        model.write_raw(attribute, changed)
        self.mapping = changed
        return result

    def __len__(self):
        return len(self.mapping)

    def __bool__(self):
        return len(self.mapping) > 0

    __hash__ = None


class ListView(CollectionView, MutableSequence):
    """A list-like view."""

    __slots__ = ()

    def __getitem__(self, index):
        deserialize = self._attribute.deserialize
        if isinstance(index, slice):
            return [deserialize(raw) for raw in self.mapping[index]]
        return deserialize(self.mapping[index])

    def __iter__(self):
        deserialize = self._attribute.deserialize
        return (deserialize(raw) for raw in self.mapping)

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raw = [self._serialize(item) for item in value]
        else:
            raw = self._serialize(value)
        self._change(lambda items: items.__setitem__(index, raw))

    def __delitem__(self, index):
        self._change(lambda items: items.__delitem__(index))

    def insert(self, index, value):
        raw = self._serialize(value)
        self._change(lambda items: items.insert(index, raw))

    def append(self, value, unique=False):
        """Add ``value`` at the end; with ``unique``, only if the list does
        not hold it yet."""
        self.extend([value], unique)

    def extend(self, values, unique=False):
        """Add ``values`` at the end; with ``unique``, only those the list
        does not hold yet."""
        raws = []
        for value in values:
            raw = self._serialize(value)
            if not unique or (raw not in raws and raw not in self.mapping):
                raws.append(raw)
        if raws:
            self._change(lambda items: items.extend(raws))

    def remove(self, value, all=False):
        """Remove the first item equal to ``value``, or every one with
        ``all``; :class:`ValueError` if there is none."""
        raw = self._serialize(value)
        positions = [i for i, item in enumerate(self.mapping) if item == raw]
        if not positions:
            raise ValueError(f"{value!r} is not in the list")

        def remove(items):
            for position in reversed(positions if all else positions[:1]):
                del items[position]

        self._change(remove)

    def pop(self, index=-1):
        return self._attribute.deserialize(self._change(lambda items: items.pop(index)))

    def clear(self):
        self._change(lambda items: items.clear())

    def __eq__(self, other):
        if isinstance(other, ListView):
            other = list(other)
        if not isinstance(other, list):
            return NotImplemented
        return list(self) == other

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __repr__(self):
        return repr(list(self))


class SetView(CollectionView, MutableSet):
    """A set-like view. Operators such as ``|`` and ``&`` give plain
    :class:`set` objects."""

    __slots__ = ()

    @classmethod
    def _from_iterable(cls, iterable):
        return set(iterable)

    def _stored_forms(self, value):
        try:
            return self._attribute.search_keys(value)
        except (TypeError, ValueError):
            return set()

    def __contains__(self, value):
        return any(raw in self.mapping for raw in self._stored_forms(value))

    def __iter__(self):
        deserialize = self._attribute.deserialize
        return (deserialize(raw) for raw in self.mapping)

    def add(self, value):
        self.update([value])

    def insert(self, value):
        """Add ``value``: 1 if the set did not hold it, 0 if it did."""
        return self.update([value])

    def update(self, values):
        """Add ``values``: how many the set did not hold."""
        raws = []
        for value in values:
            raw = self._serialize(value)
            if raw not in raws and raw not in self.mapping:
                raws.append(raw)
        if raws:
            self._change(lambda items: items.update(raws))
        return len(raws)

    def has_key(self, value):
        return value in self

    def keys(self, min=None, max=None, excludemin=False, excludemax=False):
        """The items from ``min`` to ``max``, in their order."""
        raws = self.mapping.keys(
            self._bound(min), self._bound(max), excludemin, excludemax
        )
        return [self._attribute.deserialize(raw) for raw in raws]

    def minKey(self, min=None):
        """The smallest item, the smallest from ``min`` with ``min``."""
        return self._attribute.deserialize(self.mapping.minKey(self._bound(min)))

    def maxKey(self, max=None):
        """The largest item, the largest up to ``max`` with ``max``."""
        return self._attribute.deserialize(self.mapping.maxKey(self._bound(max)))

    def _bound(self, value):
        return None if value is None else self._serialize(value)

    def discard(self, value):
        present = [raw for raw in self._stored_forms(value) if raw in self.mapping]

        def remove(items):
            for raw in present:
                items.remove(raw)

        if present:
            self._change(remove)

    def clear(self):
        self._change(lambda items: items.clear())

    def __repr__(self):
        return repr(set(self))


class DictView(CollectionView, MutableMapping):
    """A dict-like view. Keys are stored as they are given; values go
    through the item attribute. Over a
    :class:`~sheraf.types.LargeDict`, ``keys``, ``values`` and ``items``
    take its ``min`` and ``max`` bounds, and a slice gives the values of
    the keys between two bounds."""

    __slots__ = ()

    def __getitem__(self, key):
        deserialize = self._attribute.deserialize
        if isinstance(key, slice):
            return (deserialize(raw) for raw in self.mapping[key])
        return deserialize(self.mapping[key])

    def __setitem__(self, key, value):
        raw = self._serialize(value)
        self._change(lambda items: items.__setitem__(key, raw))

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        self._change(lambda items: items.__delitem__(key))

    def __contains__(self, key):
        try:
            return key in self.mapping
        except TypeError:
            return False

    def __iter__(self):
        return iter(self.mapping.keys())

    def keys(self, *bounds, **named_bounds):
        return self.mapping.keys(*bounds, **named_bounds)

    def values(self, *bounds, **named_bounds):
        deserialize = self._attribute.deserialize
        return (
            deserialize(raw) for raw in self.mapping.values(*bounds, **named_bounds)
        )

    def items(self, *bounds, **named_bounds):
        deserialize = self._attribute.deserialize
        return (
            (key, deserialize(raw))
            for key, raw in self.mapping.items(*bounds, **named_bounds)
        )

    def minKey(self, min=None):
        """The smallest key, the smallest from ``min`` with ``min`` (over
        a small dictionary too)."""
        if hasattr(self.mapping, "minKey"):
            return self.mapping.minKey(min)
        return builtins.min(key for key in self.mapping if min is None or key >= min)

    def maxKey(self, max=None):
        """The largest key, the largest up to ``max`` with ``max``."""
        if hasattr(self.mapping, "maxKey"):
            return self.mapping.maxKey(max)
        return builtins.max(key for key in self.mapping if max is None or key <= max)

    def update(self, other=(), **values):
        pairs = other.items() if isinstance(other, Mapping) else other
        raws = {
            key: self._serialize(value) for key, value in dict(pairs, **values).items()
        }
        self._change(lambda items: items.update(raws))

    def clear(self):
        self._change(lambda items: items.clear())

    def __eq__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    def __repr__(self):
        return repr(dict(self.items()))
