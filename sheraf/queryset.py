"""Lazy queries over the instances of a model.

A :class:`QuerySet` computes nothing until it is iterated, and then reads
as little as it can: a filter on an indexed attribute is a BTree lookup, an
order on an indexed attribute streams from its index, and a slice of such
an ordered query stops reading when the slice is full.

>>> class Cowboy(sheraf.IntOrderedNamedAttributesModel):
...     table = "queryset_cowboys"
...     name = sheraf.StringAttribute().index()
...     age = sheraf.IntegerAttribute()
...
>>> with sheraf.connection(commit=True):
...     peter = Cowboy.create(name="Peter", age=30)
...     steven = Cowboy.create(name="Steven", age=30)
...     george = Cowboy.create(name="George", age=50)
...
>>> with sheraf.connection():
...     assert Cowboy.filter(age=30) == [peter, steven]
...     assert Cowboy.filter(name="George").get() == george
...     assert Cowboy.order(name=sheraf.DESC)[:2] == [steven, peter]

Like iterators, QuerySets are consumed by iterating them; :meth:`copy`
gives a fresh one.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from sheraf.attributes.index import as_keys
from sheraf.attributes.index import search_keys_of
from sheraf.constants import ASC
from sheraf.constants import DESC
from sheraf.constants import MISSING
from sheraf.exceptions import EmptyQuerySetUnpackException
from sheraf.exceptions import InvalidFilterException
from sheraf.exceptions import InvalidOrderException
from sheraf.exceptions import TooManyValuesSetUnpackException
from sheraf.models.indextrees import tree_entry
from sheraf.tools.more_itertools import unique_everseen

SIZE_PROBE = 1000
"""How many index entries a query reads, at most, to tell a small lookup
from a large one: it drives the query by the smallest, and orders a large
one by streaming an index rather than sorting it."""


class QuerySet:
    """Instances of a model that match filters, in an order.

    :param iterable: the instances, when the QuerySet is not a query on a
        model.
    :param model_class: the model whose instances are queried.
    :param predicate: a function of an instance that says whether to keep it.
    :param primary_key: the index whose order the instances come in when no
        order is given; the model's primary key by default.
    :param kwargs: attribute values the instances must have.
    """

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        model_class: type | None = None,
        predicate: Callable[[Any], bool] | None = None,
        primary_key: str | None = None,
        **kwargs: Any,
    ):
        self.model = model_class
        self._iterable = iterable
        self._index_name = None
        if model_class is not None:
            self._index_name = model_class.index_manager(primary_key).details.key
        self.filters = {}
        self.orders = {}
        self._predicates = [predicate] if predicate else []
        self._slice = None
        self._iterator = None
        if kwargs:
            self._add_filters(kwargs, search=False)

    # Building.

    def copy(self) -> QuerySet:
        """A new QuerySet of the same query, not consumed.

        A QuerySet over a plain iterator shares it with its copies."""
        if self._iterable is not None and iter(self._iterable) is self._iterable:
            self._iterable, iterable = itertools.tee(self._iterable)
        else:
            iterable = self._iterable
        qs = QuerySet(iterable, self.model)
        qs._index_name = self._index_name
        qs.filters = dict(self.filters)
        qs.orders = dict(self.orders)
        qs._predicates = list(self._predicates)
        qs._slice = self._slice
        return qs

    def filter(
        self, predicate: Callable[[Any], bool] | None = None, **kwargs: Any
    ) -> QuerySet:
        """A copy that keeps the instances for which ``predicate(instance)``
        is true, and whose attributes have the given values.

        A value is compared as the attribute stores it: ``age="30"`` finds
        an :class:`~sheraf.attributes.simples.IntegerAttribute` of 30. A
        filter named after an index with a function of its own, an index
        over several attributes, or an indexed collection keeps the
        instances that index files under the value, like :meth:`search`
        does without transforming the value: ``tags="red"`` finds the lists
        that hold ``"red"``.

        An attribute cannot be filtered twice with different values:

        >>> sheraf.QuerySet([]).filter(age=30).filter(age=40)
        Traceback (most recent call last):
            ...
        sheraf.exceptions.InvalidFilterException: Some filter parameters appeared twice
        """
        qs = self.copy()
        if predicate is not None:
            qs._predicates.append(predicate)
        qs._add_filters(kwargs, search=False)
        return qs

    def search(self, **kwargs: Any) -> QuerySet:
        """A copy that keeps the instances an index files under the search
        keys of the given values: values transformed as the index says
        (lowercased, for instance). Unless ordered, the instances come in
        the order of the search keys. On an attribute with no index, it
        compares values like :meth:`filter`.

        >>> class Horse(sheraf.Model):
        ...     table = "queryset_search_horses"
        ...     name = sheraf.StringAttribute().index(values=str.lower)
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create(name="Jolly Jumper")
        ...     assert Horse.search(name="JOLLY jumper").get() == jolly
        ...     assert Horse.filter(name="jolly jumper").get() == jolly
        ...     assert not Horse.filter(name="JOLLY jumper")
        """
        qs = self.copy()
        qs._add_filters(kwargs, search=True)
        return qs

    def _add_filters(self, kwargs, search):
        for name, value in kwargs.items():
            if self.model is not None:
                if name not in self.model.attributes and name not in self.model.indexes:
                    raise InvalidFilterException(
                        f"{self.model.__name__} has no attribute {name}"
                    )
            if name in self.filters and self.filters[name] != (value, search):
                raise InvalidFilterException("Some filter parameters appeared twice")
            self.filters[name] = (value, search)

    def order(self, *args: int, **kwargs: int) -> QuerySet:
        """A copy in another order: ``order(sheraf.DESC)`` in the reverse
        order of the QuerySet's index (identifiers by default),
        ``order(name=sheraf.ASC, age=sheraf.DESC)`` by attributes, the first
        one first. Instances without a value (``None``, or the empty value
        of an attribute whose index leaves it out, like ``""`` for strings)
        come last, in either direction.
        """
        if len(args) > 1:
            raise InvalidOrderException(
                "Only one 'order' positional parameter is allowed."
            )
        if self.model is None and (args or not kwargs):
            raise InvalidOrderException(
                "QuerySets without models should have explicit order arguments"
            )
        orders = {}
        if args:
            orders[self._index_name] = args[0]
        orders.update(kwargs)
        for name, direction in orders.items():
            if direction not in (ASC, DESC):
                raise InvalidOrderException(
                    f"Parameter {name} has an invalid order value {direction!r}"
                )
            if name in self.orders:
                raise InvalidOrderException("Some order parameters appeared twice")
            if self.model is not None and name not in self.model.attributes:
                if name != self._index_name:
                    raise InvalidOrderException(
                        f"{self.model.__name__} has no attribute {name}"
                    )
                if len(self.orders) + len(orders) > 1:
                    raise InvalidOrderException(
                        f"The order of the index {name!r} cannot be combined with others."
                    )
        qs = self.copy()
        qs.orders.update(orders)
        return qs

    # Reading.

    def __iter__(self):
        if self._iterable is not None:
            # Itself: list() asks for len() after iter(), and counting
            # copies the iterable, which must not be read before.
            return self
        # Over a table: the iterator the query evaluates to, which next()
        # on the QuerySet also advances. A loop then runs at the speed of
        # that iterator (C, over a whole table), without a call of
        # __next__ per instance.
        if self._iterator is None:
            self._iterator = self._evaluate()
        return self._iterator

    def __next__(self):
        if self._iterator is None:
            self._iterator = self._evaluate()
        return next(self._iterator)

    def __getitem__(self, item):
        if isinstance(item, slice):
            if any(x is not None and x < 0 for x in (item.start, item.stop)):
                return QuerySet(list(self.copy())[item], self.model)
            qs = self.copy()
            if qs._slice is not None:
                return QuerySet(list(qs)[item], self.model)
            qs._slice = item
            return qs
        if item < 0:
            return list(self.copy())[item]
        try:
            return next(itertools.islice(self.copy(), item, None))
        except StopIteration:
            raise IndexError(f"QuerySet index {item} out of range") from None

    def get(self) -> Any:
        """The only instance, or :class:`EmptyQuerySetUnpackException` /
        :class:`TooManyValuesSetUnpackException`."""
        try:
            element = next(self)
        except StopIteration:
            raise EmptyQuerySetUnpackException(queryset=self) from None
        try:
            next(self)
        except StopIteration:
            return element
        raise TooManyValuesSetUnpackException(queryset=self)

    def exists(self) -> bool:
        """Whether the query finds at least one instance."""
        qs = self.copy()
        if qs._slice is None:
            qs.orders = {}
        return next(qs, None) is not None

    __bool__ = exists

    def count(self) -> int:
        """The number of instances. Without predicates, filters that indexes
        answer are counted without reading any instance."""
        qs = self.copy()
        if qs._iterable is not None or qs.model is None or qs._slice is not None:
            return sum(1 for _ in qs)
        if not qs.filters and not qs._predicates:
            return qs.model.count()
        qs.orders = {}
        entries, checks, _ = qs._plan()
        if not checks:
            return sum(1 for _ in entries)
        return sum(1 for _ in _checked(qs.model, entries, checks))

    __len__ = count

    def delete(self) -> None:
        """Delete every instance of the query."""
        for instance in list(self):
            instance.delete()

    def __eq__(self, other):
        try:
            return list(self) == list(other)
        except TypeError:
            return NotImplemented

    def __and__(self, other):
        return QuerySet(_ordered(set(self) & set(other)), self._common_model(other))

    def __or__(self, other):
        return QuerySet(_ordered(set(self) | set(other)), self._common_model(other))

    def __xor__(self, other):
        return QuerySet(_ordered(set(self) ^ set(other)), self._common_model(other))

    def __add__(self, other):
        return QuerySet(
            unique_everseen(itertools.chain(self, other)), self._common_model(other)
        )

    def _common_model(self, other):
        return self.model if self.model is getattr(other, "model", None) else None

    def __repr__(self):
        parts = ["<QuerySet"]
        if self.model is not None:
            parts.append(f"model={self.model.__name__}")
        if self.filters:
            shown = ", ".join(
                f"{name}={value!r}" for name, (value, _) in self.filters.items()
            )
            parts.append(f"filters=({shown})")
        if self.orders:
            shown = ", ".join(
                f"{name}={'DESC' if d == DESC else 'ASC'}"
                for name, d in self.orders.items()
            )
            parts.append(f"orders=({shown})")
        return " ".join(parts) + ">"

    # Evaluation.

    def _evaluate(self):
        if self.model is None or self._iterable is not None:
            instances = iter(() if self._iterable is None else self._iterable)
            checks = [
                _ConditionByClass(name, *f).matches for name, f in self.filters.items()
            ]
            checks += self._predicates
            instances = _checked_instances(instances, checks)
            ordered = not self.orders
        else:
            entries, checks, ordered = self._plan()
            instances = _checked(self.model, entries, checks)
        if not ordered:
            instances = iter(_sorted(instances, self.orders))
        if self._slice is not None:
            instances = itertools.islice(
                instances, self._slice.start, self._slice.stop, self._slice.step
            )
        return instances

    def _plan(self):
        """How to read the query: the ``(identifier, record)`` pairs to read,
        the checks each instance must pass, and whether the pairs come in
        the order asked for."""
        model = self.model
        checks = []
        lookups = []
        for name, (value, search) in self.filters.items():
            condition = _condition(model, name, value, search)
            lookup = condition.lookup()
            if lookup is None:
                checks.append(condition.matches)
            else:
                lookups.append(lookup)
        checks += self._predicates

        stream = _ordered_stream(model, self.orders, self._index_name)
        if not lookups:
            if stream is not None:
                return stream(), checks, True
            entries = model.indexes[self._index_name].entries()
            return entries, checks, not self.orders

        smallest = None
        if len(lookups) > 1 or stream is not None:
            sizes = [lookup.size(SIZE_PROBE) for lookup in lookups]
            lookups = [
                lookup
                for _, lookup in sorted(zip(sizes, lookups, strict=False), key=_first)
            ]
            smallest = min(sizes)
        sortable = all(name in model.attributes for name in self.orders)
        if stream is not None and (not sortable or smallest >= SIZE_PROBE):
            entries, others, ordered = stream(), lookups, True
        else:
            entries, others, ordered = (
                lookups[0].entries(),
                lookups[1:],
                not self.orders,
            )
        if others:
            entries = (e for e in entries if all(lookup.holds(*e) for lookup in others))
        return entries, checks, ordered


# Conditions: what a filter asks, checked on an instance or looked up in an
# index.


def _condition(model, name, value, search):
    """What the filter ``name=value`` (or the search) asks of instances.

    On an attribute, it asks for the value, compared as stored, which its
    plain index finds when it files instances under their stored value.
    Like sheraf always did, it asks for an index key instead on an index
    with a function of its own, on an index that is not an attribute, and
    on an attribute whose index files something else, like the items of a
    list.
    """
    index = model.indexes.get(name)
    if search and index is not None:
        return _KeyCondition(index, search_keys_of(index, model, value))
    attribute = model.attributes.get(name)
    if attribute is None or (index is not None and not index.is_plain):
        return _KeyCondition(index, [value])
    plain = model.plain_index(name)
    expected = _serialized(attribute, value)
    if plain is not None and not _filed_under_itself(attribute, value, expected):
        return _KeyCondition(plain, [value])
    return _ValueCondition(attribute, expected, plain)


def _serialized(attribute, value):
    try:
        return attribute.serialize(value)
    except (TypeError, ValueError):
        return MISSING


def _filed_under_itself(attribute, value, stored):
    if stored is MISSING:
        return False
    try:
        keys = as_keys(attribute.index_keys(value))
    except (TypeError, ValueError):
        return False
    return len(keys) == 1 and _equal(next(iter(keys)), stored)


class _KeyCondition:
    """The index files the instance under one of the keys."""

    def __init__(self, index, keys):
        self.index = index
        self.keys = keys
        try:
            self.key_set = set(keys)
        except TypeError:
            self.key_set = set()

    def matches(self, instance):
        return not self.key_set.isdisjoint(self.index.details.index_keys(instance))

    def lookup(self):
        if not self.key_set:
            return _NOTHING_FOUND
        return _Lookup.of(self.index, self.keys)


class _ValueCondition:
    """The attribute holds the value: its stored form is ``expected``."""

    def __init__(self, attribute, expected, index):
        self.attribute = attribute
        self.expected = expected
        self.index = index

    def matches(self, instance):
        return (
            self.expected is not MISSING
            and self.attribute.read_raw(instance) == self.expected
        )

    def lookup(self):
        """The plain index of the attribute, unless it leaves the value
        out."""
        if self.expected is MISSING:
            return _NOTHING_FOUND
        if self.index is None or not self.index.details.keeps(self.expected):
            return None
        return _Lookup.of(self.index, [self.expected])


class _ConditionByClass:
    """A condition on the instances of a QuerySet over an iterable, which
    may come from several models."""

    def __init__(self, name, value, search):
        self.name = name
        self.value = value
        self.search = search
        self.conditions = {}

    def matches(self, instance):
        model = type(instance)
        condition = self.conditions.get(model)
        if condition is None:
            condition = self.conditions[model] = _condition(
                model, self.name, self.value, self.search
            )
        return condition.matches(instance)


def _equal(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


class _Lookup:
    """What an index files under some keys, as ``(identifier, record)``
    pairs."""

    def __init__(self, index, found):
        self.index = index
        self.details = index.details
        self.found = found

    @classmethod
    def of(cls, index, keys):
        """The lookup of ``keys`` in the index manager ``index``, ``None``
        if queries cannot use the index."""
        found = index.lookup(keys)
        return None if found is None else cls(index, found)

    def entries(self):
        pairs = itertools.chain.from_iterable(
            itertools.starmap(self.index.entries_under, self.found)
        )
        return pairs if len(self.found) < 2 else unique_everseen(pairs, key=_first)

    def holds(self, identifier, record):
        if self.details.primary:
            return any(key == identifier for key, _ in self.found)
        if self.details.unique:
            return any(entry is record for _, entry in self.found)
        return any(
            _bucket_holds(bucket, identifier, record) for _, bucket in self.found
        )

    def size(self, limit):
        """The number of entries, counted up to ``limit``."""
        if self.details.unique:
            return len(self.found)
        keys = itertools.chain.from_iterable(bucket.keys() for _, bucket in self.found)
        return sum(1 for _ in itertools.islice(keys, limit))


def _bucket_holds(bucket, identifier, record):
    """Whether the bucket of a multiple index holds ``record``, filed under
    ``identifier``, or under another kind of key: sheraf 0.6 filed records
    by the integer of their UUID, until they are filed again."""
    if tree_entry(bucket, identifier) is record:
        return True
    if bucket and type(bucket.minKey()) is not type(identifier):
        return any(filed is record for filed in bucket.values())
    return False


class _NothingFound:
    """The lookup of a value no instance can have."""

    def entries(self):
        return iter(())

    def holds(self, identifier, record):
        return False

    def size(self, limit):
        return 0


_NOTHING_FOUND = _NothingFound()


def _first(pair):
    return pair[0]


# Orders.


def _ordered_stream(model, orders, index_name):
    """A function that gives the ``(identifier, record)`` pairs in the order
    asked, read from an index; ``None`` if the order needs a sort."""
    if len(orders) != 1:
        return None
    ((name, direction),) = orders.items()
    reverse = direction == DESC
    index = model.plain_index(name)
    if index is not None and index.table_initialized():
        attribute = model.attributes[name]
        # An index that leaves out empty values which sort among the
        # others, like 0 for numbers, cannot give the order.
        if index.nullok or not attribute.nullok:
            skip_key = functools.partial(_has_no_value, attribute)
            return functools.partial(index.entries, reverse, skip_key)
    if name == index_name:
        return functools.partial(model.indexes[index_name].entries, reverse)
    return None


def _sorted(instances, orders):
    """``instances`` sorted by the stored values of the attributes of
    ``orders``, the first one first, those without a value last."""
    ordered = list(instances)
    for name, direction in reversed(list(orders.items())):
        valued = []
        empty = []
        for instance in ordered:
            attribute = instance.attributes[name]
            raw = attribute.read_raw(instance)
            (empty if _has_no_value(attribute, raw) else valued).append((raw, instance))
        valued.sort(key=_first, reverse=direction == DESC)
        ordered = [instance for _, instance in itertools.chain(valued, empty)]
    return ordered


def _has_no_value(attribute, raw):
    """Whether ``raw`` stands for no value: ``None``, the way the attribute
    stores ``None``, or its empty value when it does not index it."""
    if raw is None:
        return True
    none_raw = _stored_none(attribute)
    if none_raw is not None and _equal(raw, none_raw):
        return True
    return not attribute.nullok and not raw


@functools.cache
def _stored_none(attribute):
    try:
        return attribute.serialize(None)
    except (TypeError, ValueError):
        return None


# Reading instances.


def _checked(model, entries, checks):
    return _checked_instances(model.from_entries(entries), checks)


def _checked_instances(instances, checks):
    if not checks:
        return instances
    return (i for i in instances if all(check(i) for check in checks))


def _ordered(instances):
    try:
        return sorted(instances, key=lambda i: i.identifier)
    except (TypeError, AttributeError):
        return list(instances)
