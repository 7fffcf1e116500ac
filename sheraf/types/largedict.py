"""A dictionary stored in a BTree, for many keys."""

import itertools

from BTrees.OOBTree import OOBTree


class LargeDict(OOBTree):
    """A dictionary of sorted keys, stored in buckets of a BTree, so that
    reading or changing one key loads and writes one bucket only. Two
    transactions that change different keys both commit.

    Its keys are ordered, and a slice gives the values of the keys between
    two bounds, both included; a negative step walks them backwards:

    >>> horses = sheraf.types.LargeDict({"c": "Polly", "a": "Jolly", "b": "Lucky"})
    >>> list(horses.values())
    ['Jolly', 'Lucky', 'Polly']
    >>> list(horses["b":"c"])
    ['Lucky', 'Polly']
    >>> list(horses[::-1])
    ['Polly', 'Lucky', 'Jolly']

    Slice bounds are keys, not positions: ``numbers[1:2]`` gives the values
    of the keys 1 and 2.
    """

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return OOBTree.__getitem__(self, key)
        values = OOBTree.values(self, min=key.start, max=key.stop)
        step = key.step or 1
        if step < 0:
            values = reversed(values)
        return itertools.islice(values, None, None, abs(step))
