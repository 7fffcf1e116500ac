"""The data every implementation works on, the same for all of them: the
same rows in the same order, and the same positions sampled for reads, so
that their results can be compared; and how they read it."""

import gc
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


def resident_bytes():
    """The resident memory of this process (Linux), after a collection."""
    gc.collect()
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("No VmRSS in /proc/self/status.")


def hold(timer, records):
    """Read the name and gunskill of everything ``records()`` gives, under
    ``timer``, keeping it in the connection's cache. Return the sum of the
    gunskills and the figures of the memory it takes: ``rss_before`` and
    ``rss``, the resident memory of the process before and after."""
    before = resident_bytes()
    check = 0
    with timer:
        for record in records():
            _ = record.name
            check += record.gunskill
    return check, {"rss_before": before, "rss": resident_bytes()}
