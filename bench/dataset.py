"""The data every implementation works on, the same for all of them: the
same rows in the same order, and the same positions sampled for reads, so
that their results can be compared; and how they read it."""

import random


def cowboy_rows(size, seed):
    """``size`` rows ``(name, gunskill, age)``; ages from 0 to 99."""
    rnd = random.Random(seed)
    return [
        (f"Cowboy {i:06}", rnd.randrange(1000), rnd.randrange(100)) for i in range(size)
    ]


def batches(rows, batch):
    """``rows`` in consecutive slices of ``batch`` rows."""
    for start in range(0, len(rows), batch):
        yield rows[start : start + batch]


def sample(items, count, seed):
    """``count`` distinct items of ``items`` (all of them if there are
    fewer), at positions that depend only on ``len(items)``, ``count`` and
    ``seed``."""
    positions = random.Random(seed).sample(range(len(items)), min(count, len(items)))
    return [items[position] for position in positions]


def visit(timer, connection, records, passes, cold):
    """Read the name and gunskill of what ``records()`` gives, once to load
    it all, then ``passes`` times under ``timer``, after emptying the
    connection's cache if ``cold``. Return the sum of the gunskills, which
    the implementations compare."""
    check = sum(record.gunskill for record in records())
    if cold:
        connection.cacheMinimize()
    with timer:
        for _ in range(passes):
            for record in records():
                _ = record.name, record.gunskill
    return check
