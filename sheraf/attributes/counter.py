"""An attribute that counts, without conflicts between transactions."""

import numbers

from BTrees.Length import Length

from sheraf.attributes.base import Attribute
from sheraf.types.counter import Counter


class CounterAttribute(Attribute):
    """Holds a number in a :class:`~sheraf.types.Counter`: ``increment``,
    ``decrement``, ``+=`` and ``-=`` made by concurrent transactions all
    count, none of them conflicts. Assigning a number (``cowboy.shots =
    0``) sets the counter: that conflicts with any concurrent change, so
    that :func:`sheraf.attempt` runs the transaction again.

    The counter is created with the instance (``lazy`` is false), so that
    two first increments do not both create it.

    >>> class Cowboy(sheraf.Model):
    ...     table = "counter_cowboys"
    ...     shots = sheraf.CounterAttribute()
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create()
    ...     george.shots.increment(3)
    ...     george.shots += 2
    ...     george.shots == 5, george.shots + 1
    (True, 6)
    """

    def __init__(self, default=0, **kwargs):
        kwargs["lazy"] = False
        kwargs["read_memoization"] = False
        kwargs["write_memoization"] = False
        super().__init__(default=default, **kwargs)

    def serialize(self, value):
        if isinstance(value, Counter):
            return value.value
        if (
            value is None
            or isinstance(value, bool)
            or not isinstance(value, numbers.Real)
        ):
            raise TypeError(f"a number is needed, not {type(value).__name__}")
        return value

    def read_raw(self, model):
        key = self.key(model)
        stored = model.mapping.get(key)
        if isinstance(stored, Counter):
            return stored
        # A number stored by another attribute, or a counter of sheraf 0.6
        # kept in a Length, becomes a Counter.
        if isinstance(stored, Length):
            stored = stored()
        value = self.serialize(self.create(model) if stored is None else stored)
        counter = model.mapping[key] = Counter(value)
        return counter

    def write_raw(self, model, raw):
        counter = model.mapping.get(self.key(model))
        if not isinstance(counter, Counter):
            counter = model.mapping[self.key(model)] = Counter(raw)
        elif counter.value != raw:
            counter.set(raw)
        return counter
