"""Iteration recipes."""

from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import TypeVar

Item = TypeVar("Item")


def unique_everseen(
    iterable: Iterable[Item], key: Callable[[Item], Hashable] | None = None
) -> Iterator[Item]:
    """The items of ``iterable`` in their order, each one once: an item
    whose ``key`` (the item itself by default) was seen before is skipped.
    Every key seen is remembered, so keys must be hashable.

    >>> from sheraf.tools.more_itertools import unique_everseen
    >>> list(unique_everseen("ABBACD"))
    ['A', 'B', 'C', 'D']
    >>> list(unique_everseen(["Jolly", "jolly", "Polly"], key=str.lower))
    ['Jolly', 'Polly']
    """
    seen = set()
    for item in iterable:
        marker = item if key is None else key(item)
        if marker not in seen:
            seen.add(marker)
            yield item
