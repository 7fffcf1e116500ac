"""Lazy queries over the instances of a model.

A :class:`QuerySet` computes nothing until it is iterated, and then reads
as little as it can: a filter on an indexed attribute is a BTree lookup, an
order on a plainly indexed attribute streams from its index, and a slice of
such an ordered query stops reading when the slice is full.

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

import itertools
import operator

from sheraf.constants import ASC
from sheraf.constants import DESC
from sheraf.exceptions import EmptyQuerySetUnpackException
from sheraf.exceptions import InvalidFilterException
from sheraf.exceptions import InvalidOrderException
from sheraf.exceptions import TooManyValuesSetUnpackException


class QuerySet:
    """Instances of a model that match filters, in an order.

    :param iterable: the instances, when the QuerySet is not a query on a
        model.
    :param model_class: the model whose instances are queried.
    :param predicate: a function of an instance that says whether to keep it.
    :param primary_key: the index to iterate when nothing else says which;
        the model's primary key by default.
    :param kwargs: attribute values the instances must have.
    """

    def __init__(self, iterable=None, model_class=None, predicate=None, primary_key=None, **kwargs):
        self.model = model_class
        self._iterable = iterable
        self._index_name = primary_key or (model_class.primary_key() if model_class else None)
        self.filters = {}
        self.orders = {}
        self._predicates = [predicate] if predicate else []
        self._slice = None
        self._iterator = None
        if kwargs:
            self._add_filters(kwargs, search=False)

    # Building.

    def copy(self):
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

    def filter(self, predicate=None, **kwargs):
        """A copy that keeps the instances for which ``predicate(instance)``
        is true, and whose attributes have the given values.

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

    def search(self, **kwargs):
        """A copy that keeps the instances an index finds for the given
        values, transformed as the index transforms searches (lowercase,
        for instance)."""
        qs = self.copy()
        qs._add_filters(kwargs, search=True)
        return qs

    def _add_filters(self, kwargs, search):
        for name, value in kwargs.items():
            if self.model is not None:
                if name not in self.model.attributes and name not in self.model.indexes:
                    raise InvalidFilterException(f"{self.model.__name__} has no attribute {name}")
                if search and name not in self.model.indexes:
                    raise InvalidFilterException(
                        f"{self.model.__name__}.{name} is not indexed: search() needs an "
                        "index, filter() compares values."
                    )
            if name in self.filters and self.filters[name] != (value, search):
                raise InvalidFilterException("Some filter parameters appeared twice")
            self.filters[name] = (value, search)

    def order(self, *args, **kwargs):
        """A copy in another order: ``order(sheraf.DESC)`` by identifier,
        ``order(name=sheraf.ASC, age=sheraf.DESC)`` by attributes, the first
        one first. ``None`` values come last."""
        if len(args) > 1:
            raise InvalidOrderException("Only one 'order' positional parameter is allowed.")
        if self.model is None and (args or not kwargs):
            raise InvalidOrderException(
                "QuerySets without models should have explicit order arguments"
            )
        orders = {}
        if args:
            orders[self._index_name] = args[0]
        orders.update(kwargs)
        for name, direction in orders.items():
            if self.model is not None and name not in self.model.attributes:
                raise InvalidOrderException(f"{self.model.__name__} has no attribute {name}")
            if direction not in (ASC, DESC):
                raise InvalidOrderException(
                    f"Parameter {name} has an invalid order value {direction!r}"
                )
            if name in self.orders:
                raise InvalidOrderException("Some order parameters appeared twice")
        qs = self.copy()
        qs.orders.update(orders)
        return qs

    # Reading.

    def __iter__(self):
        return self

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

    def get(self):
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

    def exists(self):
        """Whether the query finds at least one instance."""
        return next(self.copy(), None) is not None

    __bool__ = exists

    def count(self):
        """The number of instances, counted without reading them when an
        index can tell."""
        qs = self.copy()
        if qs._iterable is None and qs.model is not None and not qs._predicates and qs._slice is None:
            if not qs.filters:
                return qs.model.count()
            lookups = qs._index_lookups()
            if lookups is not None and len(lookups) == len(qs.filters) == 1:
                return len(lookups[0])
        return sum(1 for _ in qs)

    __len__ = count

    def delete(self):
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
        return QuerySet(_unique(itertools.chain(self, other)), self._common_model(other))

    def _common_model(self, other):
        return self.model if self.model is getattr(other, "model", None) else None

    def __repr__(self):
        parts = ["<QuerySet"]
        if self.model is not None:
            parts.append(f"model={self.model.__name__}")
        if self.filters:
            shown = ", ".join(f"{name}={value!r}" for name, (value, _) in self.filters.items())
            parts.append(f"filters=({shown})")
        if self.orders:
            shown = ", ".join(
                f"{name}={'DESC' if d == DESC else 'ASC'}" for name, d in self.orders.items()
            )
            parts.append(f"orders=({shown})")
        return " ".join(parts) + ">"

    # Evaluation.

    def _evaluate(self):
        if self._iterable is not None:
            instances = iter(self._iterable)
            checks = [self._checks_of(self.filters)]
        elif self.model is None:
            instances = iter(())
            checks = []
        else:
            instances, unchecked = self._source()
            checks = [self._checks_of(unchecked)]
        checks.extend(self._predicates)
        if any(checks):
            instances = (i for i in instances if all(check(i) for check in checks if check))

        if self.orders and not self._ordered_by_source:
            instances = iter(_sorted(instances, self.orders))
        if self._slice is not None:
            instances = itertools.islice(
                instances, self._slice.start, self._slice.stop, self._slice.step
            )
        return instances

    _ordered_by_source = False

    def _source(self):
        """Instances, and the filters they have not been checked against."""
        model = self.model
        lookups = self._index_lookups()
        if lookups is not None:
            identifiers = set.intersection(*(set(found) for found in lookups))
            records = {}
            for found in lookups:
                records.update(found)
            first_order = next(iter(self.orders.items()), None)
            if first_order and first_order[0] == model.primary_key() and len(self.orders) == 1:
                self._ordered_by_source = True
                identifiers = sorted(identifiers, reverse=first_order[1] == DESC)
            instances = (model._decorate_found(records[i], i) for i in identifiers)
            return instances, self._unindexed_filters()

        streamed = self._ordered_stream()
        if streamed is not None:
            self._ordered_by_source = True
            return streamed, self.filters

        by_index_only = set(self.orders) <= {self._index_name}
        reverse = by_index_only and self.orders.get(self._index_name) == DESC
        self._ordered_by_source = by_index_only
        pairs = model._iter_records(self._index_name, reverse=reverse)
        return (model._decorate_found(r, i) for i, r in pairs), self.filters

    def _usable_index(self, name):
        model = self.model
        index = model.indexes.get(name)
        if index is None or not index.auto:
            return None
        root = model._index_root()
        if root is None or root.data.get(index.key) is None:
            return None
        return index

    def _index_lookups(self):
        """For each filter an index can answer, the ``{identifier: record}``
        it finds; ``None`` if no filter can use an index."""
        lookups = []
        for name, (value, search) in self.filters.items():
            index = self._usable_index(name)
            if index is None:
                continue
            keys = index.search_keys(self.model, value) if search else {value}
            lookups.append(self._records_under(index, keys))
        return lookups or None

    def _records_under(self, index, keys):
        model = self.model
        tree = model._index_root().data[index.key]
        primary = model._primary_attribute
        found = {}
        for key in keys:
            try:
                entry = tree[key]
            except (KeyError, TypeError):
                continue
            if index.primary:
                found[key] = entry
            elif index.unique:
                found[primary.read_raw(model._decorate(entry))] = entry
            else:
                found.update(entry.items())
        return found

    def _unindexed_filters(self):
        return {name: f for name, f in self.filters.items() if self._usable_index(name) is None}

    def _ordered_stream(self):
        """Instances in the first order, read from a plain index, followed by
        those it does not hold; ``None`` if there is no such index."""
        if len(self.orders) != 1:
            return None
        name, direction = next(iter(self.orders.items()))
        index = self._usable_index(name)
        model = self.model
        if (
            index is None
            or index.primary
            or len(index.attributes) != 1
            or index.default_index_keys_func is not None
            or index.grouped_index_keys_funcs
        ):
            return None
        tree = model._index_root().data[index.key]
        reverse = direction == DESC
        primary = model._primary_attribute

        def stream():
            seen = set()
            for _key, entry in reversed(tree.items()) if reverse else tree.items():
                pairs = (
                    [(primary.read_raw(model._decorate(entry)), entry)]
                    if index.unique
                    else entry.items()
                )
                for identifier, record in pairs:
                    seen.add(identifier)
                    yield model._decorate_found(record, identifier)
            for identifier, record in model._iter_records():
                if identifier not in seen:
                    yield model._decorate_found(record, identifier)

        return stream()

    def _checks_of(self, filters):
        if not filters:
            return None
        compared = [(name, value) for name, (value, search) in filters.items() if not search]
        searched = [(name, value) for name, (value, search) in filters.items() if search]

        def check(instance):
            for name, value in compared:
                if name in instance.attributes:
                    if getattr(instance, name) != value:
                        return False
                elif value not in instance.index_keys(name):
                    return False
            for name, value in searched:
                wanted = instance.indexes[name].search_keys(type(instance), value)
                if not wanted & instance.index_keys(name):
                    return False
            return True

        return check


def _sorted(instances, orders):
    ordered = list(instances)
    for name, direction in reversed(list(orders.items())):
        getter = operator.attrgetter(name)
        nones = [i for i in ordered if getter(i) is None]
        valued = sorted(
            (i for i in ordered if getter(i) is not None), key=getter, reverse=direction == DESC
        )
        ordered = valued + nones
    return ordered


def _unique(iterable):
    seen = set()
    for item in iterable:
        if item not in seen:
            seen.add(item)
            yield item


def _ordered(instances):
    try:
        return sorted(instances, key=lambda i: i.identifier)
    except (TypeError, AttributeError):
        return list(instances)
