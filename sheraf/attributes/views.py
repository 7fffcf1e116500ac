"""What collection attributes read as: views over a persistent collection
that check and serialize what goes in, and deserialize what comes out,
with the attribute of their items.

A view reads and writes the stored collection in place. When the
attribute is indexed, a change is written as a new collection through the
model instead, so that its indexes follow.
"""

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

    __slots__ = ("_attribute", "_item", "mapping", "_model")

    def __init__(self, attribute, mapping, model=None):
        self._attribute = attribute
        self._item = attribute.attribute
        self.mapping = mapping
        self._model = model

    def _serialize(self, value):
        try:
            return self._item.serialize(value)
        except (TypeError, ValueError) as error:
            if self._model is None:
                label = self._attribute.__class__.__name__
            else:
                label = self._attribute.label(self._model)
            raise cannot_hold(label, value, error) from error

    def _change(self, change):
        """Apply ``change`` to the persistent collection; return what it
        returns."""
        model, attribute = self._model, self._attribute
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
        deserialize = self._item.deserialize
        if isinstance(index, slice):
            return [deserialize(raw) for raw in self.mapping[index]]
        return deserialize(self.mapping[index])

    def __iter__(self):
        deserialize = self._item.deserialize
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

    def append(self, value):
        raw = self._serialize(value)
        self._change(lambda items: items.append(raw))

    def extend(self, values):
        raws = [self._serialize(value) for value in values]
        self._change(lambda items: items.extend(raws))

    def pop(self, index=-1):
        return self._item.deserialize(self._change(lambda items: items.pop(index)))

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
            return self._item.search_keys(value)
        except (TypeError, ValueError):
            return set()

    def __contains__(self, value):
        return any(raw in self.mapping for raw in self._stored_forms(value))

    def __iter__(self):
        deserialize = self._item.deserialize
        return (deserialize(raw) for raw in self.mapping)

    def add(self, value):
        raw = self._serialize(value)
        if raw not in self.mapping:
            self._change(lambda items: items.add(raw))

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
        deserialize = self._item.deserialize
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
        deserialize = self._item.deserialize
        return (
            deserialize(raw) for raw in self.mapping.values(*bounds, **named_bounds)
        )

    def items(self, *bounds, **named_bounds):
        deserialize = self._item.deserialize
        return (
            (key, deserialize(raw))
            for key, raw in self.mapping.items(*bounds, **named_bounds)
        )

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
