"""A persistent dictionary stored as one record, that merges concurrent
writes of different keys and refuses to merge writes of the same key."""

from collections.abc import MutableMapping
from sys import intern

import persistent

from sheraf.tools.dicttools import merge


class SmallDict(persistent.Persistent, MutableMapping):
    """A dictionary that ZODB stores as one record.

    Two transactions that change *different* keys of the same SmallDict
    both commit: their changes are merged. Two transactions that change
    the *same* key conflict, even when they write the same value, so that a
    read-modify-write of one key never silently loses an update.

    >>> d = sheraf.types.SmallDict({"a": 1})
    >>> d["b"] = 2
    >>> sorted(d.items())
    [('a', 1), ('b', 2)]
    """

    # Models keep each instance in a SmallDict: a table held in a cache costs
    # what raw persistent objects cost when the values live in ``data``
    # alone, with no instance dictionary beside it, and their keys (the
    # attribute names) are interned on load, as persistent does for the
    # attributes of other objects. The state stored is ``{"data": {...}}``,
    # as before and as in sheraf 0.6.
    __slots__ = ("data", "__weakref__")

    def __getstate__(self):
        state = {"data": self.data}
        # Only a subclass can have attributes of its own (and asking a
        # SmallDict for the __dict__ it has not costs an exception).
        attributes = (
            None if type(self) is SmallDict else getattr(self, "__dict__", None)
        )
        if attributes:
            state.update(
                (name, value)
                for name, value in attributes.items()
                if not name.startswith("_v_")
            )
        return state

    def __setstate__(self, state):
        data = state["data"]
        try:
            self.data = {intern(key): value for key, value in data.items()}
        except TypeError:  # keys that are not all strings
            self.data = data
        if len(state) > 1:
            self.__dict__.update(
                (name, value) for name, value in state.items() if name != "data"
            )

    def __init__(self, data=None, **kwargs):
        self.data = {}
        if data is not None:
            self.data.update(data)
        if kwargs:
            self.data.update(kwargs)

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)

    def __contains__(self, key):
        return key in self.data

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)

    def __setitem__(self, key, value):
        self.data[key] = value
        self._p_changed = True

    def __delitem__(self, key):
        del self.data[key]
        self._p_changed = True

    def keys(self):
        return self.data.keys()

    def items(self):
        return self.data.items()

    def values(self):
        return self.data.values()

    def copy(self):
        return dict(self.data)

    def __eq__(self, other):
        if isinstance(other, SmallDict):
            return self is other or self.data == other.data
        return isinstance(other, dict) and self.data == other

    __hash__ = persistent.Persistent.__hash__

    def __repr__(self):
        return f"{self.__class__.__name__}({self.data!r})"

    def _p_resolveConflict(self, old, committed, new):
        return {
            **new,
            "data": merge((old or {}).get("data", {}), committed["data"], new["data"]),
        }
