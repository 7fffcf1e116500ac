"""A list stored in a BTree, for many items."""

import operator
from collections.abc import MutableSequence

from BTrees.IOBTree import IOBTree

_LENGTH = -1


class LargeList(IOBTree):
    """A list stored in buckets of a BTree, item ``i`` under the key ``i``,
    so that reading or changing an item loads and writes one bucket only.

    It is a mutable sequence: indexes, slices, ``append``, ``insert``,
    ``pop``, ``remove``... Inserting or deleting anywhere but at the end
    moves every following item. Two transactions that append at the same
    time conflict, so that no item is lost.

    >>> shots = sheraf.types.LargeList(["left", "right"])
    >>> shots.append("center")
    >>> shots[-1], shots[0:2], len(shots)
    ('center', ['left', 'right'], 3)
    """

    # The length is stored under the key -1, as sheraf 0.6 did.

    def __init__(self, items=()):
        super().__init__()
        self.extend(items)

    def __len__(self):
        return IOBTree.get(self, _LENGTH, 0)

    def __bool__(self):
        return len(self) > 0

    def _set_length(self, length):
        IOBTree.__setitem__(self, _LENGTH, length)

    def _position(self, index):
        length = len(self)
        position = operator.index(index)
        if position < 0:
            position += length
        if not 0 <= position < length:
            raise IndexError("LargeList index out of range")
        return position

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return (
                    list(IOBTree.values(self, min=start, max=stop - 1))
                    if start < stop
                    else []
                )
            return [IOBTree.__getitem__(self, i) for i in range(start, stop, step)]
        return IOBTree.__getitem__(self, self._position(index))

    def __setitem__(self, index, item):
        IOBTree.__setitem__(self, self._position(index), item)

    def __delitem__(self, index):
        self.pop(index)

    def __iter__(self):
        return iter(IOBTree.values(self, min=0))

    def __reversed__(self):
        return reversed(IOBTree.values(self, min=0))

    def __contains__(self, item):
        return any(candidate == item for candidate in self)

    def append(self, item, unique=False):
        """Add ``item`` at the end; with ``unique``, only if the list does
        not hold it yet."""
        if unique and item in self:
            return
        length = len(self)
        IOBTree.__setitem__(self, length, item)
        self._set_length(length + 1)

    def extend(self, items, unique=False):
        for item in items:
            self.append(item, unique)

    def remove(self, item, all=False):
        """Remove the first item equal to ``item``, or every one with
        ``all``; :class:`ValueError` if there is none."""
        MutableSequence.remove(self, item)
        while all and item in self:
            MutableSequence.remove(self, item)

    def insert(self, index, item):
        length = len(self)
        position = max(0, min(length, index + length if index < 0 else index))
        for i in range(length, position, -1):
            IOBTree.__setitem__(self, i, IOBTree.__getitem__(self, i - 1))
        IOBTree.__setitem__(self, position, item)
        self._set_length(length + 1)

    def pop(self, index=-1):
        if not len(self):
            raise IndexError("pop from empty LargeList")
        position = self._position(index)
        item = IOBTree.__getitem__(self, position)
        last = len(self) - 1
        for i in range(position, last):
            IOBTree.__setitem__(self, i, IOBTree.__getitem__(self, i + 1))
        IOBTree.__delitem__(self, last)
        self._set_length(last)
        return item

    def clear(self):
        IOBTree.clear(self)

    def __eq__(self, other):
        if not isinstance(other, (list, LargeList)):
            return NotImplemented
        return len(self) == len(other) and all(
            a == b for a, b in zip(self, other, strict=False)
        )

    __hash__ = IOBTree.__hash__

    def __add__(self, other):
        return list(self) + list(other)

    def __repr__(self):
        return f"LargeList({list(self)!r})"

    # The mixins of a mutable sequence, on this storage.
    index = MutableSequence.index
    count = MutableSequence.count
    reverse = MutableSequence.reverse
    __iadd__ = MutableSequence.__iadd__


MutableSequence.register(LargeList)
