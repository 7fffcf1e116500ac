"""A persistent number that concurrent transactions can increment."""

import operator

import persistent
from ZODB.POSException import ConflictError


class Counter(persistent.Persistent):
    """A number stored as a record of its own, whose increments and
    decrements never conflict: when two transactions change it at once, the
    second to commit adds its own change to what the first committed.

    Setting it to a value (:meth:`set`, or an in-place operation other than
    ``+=`` and ``-=``) is not a change that can be merged: it conflicts with
    any other change made at the same time, and
    :func:`sheraf.attempt` runs the transaction again.

    It is hashed by identity, unlike the number it holds (and unlike
    sheraf 0.6, which hashed it by value): its value changes, and a set or
    a dictionary loses a key whose hash changes. Use ``counter.value`` as a
    key.

    It reads like the number it holds:

    >>> hits = sheraf.types.Counter(10)
    >>> hits += 5
    >>> hits.decrement(3)
    >>> hits == 12, hits + 1, int(hits)
    (True, 13, 12)
    """

    def __init__(self, value=0):
        self._value = value.value if isinstance(value, Counter) else value
        self._settings = 0

    @property
    def value(self):
        """The number. Assigning it is :meth:`set`: it conflicts with
        concurrent changes (in sheraf 0.6 an assignment merged with them as
        if it were an increment, so ``counter.value = 0`` could be undone by
        a concurrent increment)."""
        return self._value

    @value.setter
    def value(self, value):
        self.set(value)

    @property
    def nb_editions(self):
        """How many times the number was set (not incremented): a set
        conflicts with concurrent changes whenever this count moved."""
        return self._settings

    def increment(self, amount=1):
        """Add ``amount``; concurrent increments all count."""
        self._value += amount

    def decrement(self, amount=1):
        """Subtract ``amount``; concurrent decrements all count."""
        self._value -= amount

    def set(self, value):
        """Replace the number; this conflicts with concurrent changes."""
        self._value = value.value if isinstance(value, Counter) else value
        self._settings += 1

    def __iadd__(self, amount):
        self.increment(_number(amount))
        return self

    def __isub__(self, amount):
        self.decrement(_number(amount))
        return self

    # The state keeps the layout of sheraf 0.6, so that its counters load.

    def __getstate__(self):
        return (self._value, self._settings)

    def __setstate__(self, state):
        self._value, self._settings = state

    def _p_resolveConflict(self, old, committed, new):
        old_value, old_settings = old
        committed_value, committed_settings = committed
        new_value, new_settings = new
        if committed_settings != old_settings or new_settings != old_settings:
            raise ConflictError(
                "a counter was set to a value while another transaction changed it"
            )
        return (committed_value + new_value - old_value, old_settings)

    # Reading it as a number.

    def __repr__(self):
        return f"<Counter value={self._value!r}>"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        return format(self._value, spec)

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __index__(self):
        return operator.index(self._value)

    def __round__(self, ndigits=None):
        return round(self._value, ndigits)

    def __neg__(self):
        return -self._value

    def __pos__(self):
        return +self._value

    def __abs__(self):
        return abs(self._value)

    __hash__ = persistent.Persistent.__hash__


def _number(value):
    return value.value if isinstance(value, Counter) else value


def _forward(operation):
    def method(self, other):
        return operation(self._value, _number(other))

    return method


def _reflected(operation):
    def method(self, other):
        return operation(_number(other), self._value)

    return method


def _set_by(operation):
    def method(self, other):
        self.set(operation(self._value, _number(other)))
        return self

    return method


for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(Counter, f"__{_name}__", _forward(getattr(operator, _name)))
for _name, _operation in {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
}.items():
    setattr(Counter, f"__{_name}__", _forward(_operation))
    setattr(Counter, f"__r{_name}__", _reflected(_operation))
    if _name not in ("add", "sub"):
        setattr(Counter, f"__i{_name}__", _set_by(_operation))
Counter.__divmod__ = _forward(divmod)
Counter.__rdivmod__ = _reflected(divmod)
del _name, _operation
