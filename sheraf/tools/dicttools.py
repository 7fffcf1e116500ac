"""Merging two concurrent sets of changes made to one dictionary: what
:class:`~sheraf.types.SmallDict` does when two transactions change it at
once."""

from collections.abc import Mapping
from typing import Any

from ZODB.POSException import ConflictError

from sheraf.constants import MISSING


class DictConflictException(ConflictError):
    """Both sets of changes changed the same key: they cannot be merged.
    It is a :class:`~ZODB.POSException.ConflictError`, so that
    :func:`sheraf.attempt` runs the transaction again."""


def pr_eq(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same value: of one type and equal.
    A comparison that raises counts as a difference.

    >>> from sheraf.tools.dicttools import pr_eq
    >>> pr_eq(1, 1), pr_eq(1, 1.0), pr_eq([1], [1])
    (True, False, True)
    """
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def merge(old: Mapping, a: Mapping, b: Mapping) -> dict:
    """The dictionary holding the changes that ``a`` and ``b`` made to
    ``old``. A key that both changed, even to equal values, is a
    :class:`DictConflictException`: merging two increments of one key would
    lose one. A key whose three values are dictionaries is merged the same
    way, key by key.

    >>> from sheraf.tools.dicttools import merge
    >>> merge({"a": 1}, {"a": 1, "b": 2}, {"a": 1, "c": 3})
    {'a': 1, 'b': 2, 'c': 3}
    >>> merge({"a": 1}, {"a": 2}, {"a": 2})
    Traceback (most recent call last):
        ...
    sheraf.tools.dicttools.DictConflictException: both changed the key 'a' (to 2 and to 2)
    """
    merged = dict(a)
    for key in old.keys() | b.keys():
        old_value = old.get(key, MISSING)
        b_value = b.get(key, MISSING)
        if pr_eq(b_value, old_value):
            continue
        a_value = a.get(key, MISSING)
        if pr_eq(a_value, old_value):
            if b_value is MISSING:
                del merged[key]
            else:
                merged[key] = b_value
        elif all(isinstance(value, dict) for value in (old_value, a_value, b_value)):
            merged[key] = merge(old_value, a_value, b_value)
        else:
            raise DictConflictException(
                f"both changed the key {key!r} "
                f"(to {_show(a_value)} and to {_show(b_value)})"
            )
    return merged


def _show(value):
    return "nothing" if value is MISSING else repr(value)
