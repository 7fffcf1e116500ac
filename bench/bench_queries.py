"""Indexes against scans: the same queries on an indexed attribute and on a
plain copy of it, on a table of 100 000 instances in a FileStorage.

Each query runs in a fresh connection whose cache was emptied, so that it
loads from the storage what it reads; the figures are the medians of
several rounds, with the number of objects loaded. Run from the project
root::

    python -m bench.bench_queries

It prints a Markdown table, for BENCHMARKS.md.
"""

import argparse
import random
import shutil
import statistics
import tempfile
import time

import sheraf


class Cowboy(sheraf.IntOrderedNamedAttributesModel):
    table = "bench_cowboys"
    name = sheraf.StringAttribute().index()
    plain_name = sheraf.StringAttribute()
    age = sheraf.IntegerAttribute().index()
    plain_age = sheraf.IntegerAttribute()


def fill(size, seed, batch=10_000):
    """``size`` cowboys with seeded random names and ages; each value is
    stored twice, indexed and not."""
    rnd = random.Random(seed)
    for start in range(0, size, batch):
        with sheraf.connection(commit=True):
            for _ in range(start, min(start + batch, size)):
                name = f"Cowboy {rnd.randrange(size // 20):05}"
                age = rnd.randrange(100)
                Cowboy.create(name=name, plain_name=name, age=age, plain_age=age)


# Each query reads an attribute of what it finds, as an application would.
QUERIES = [
    (
        "filter, ~1% of the table",
        "`filter(age=42)`",
        lambda: [c.name for c in Cowboy.filter(age=42)],
        "`filter(plain_age=42)`",
        lambda: [c.name for c in Cowboy.filter(plain_age=42)],
    ),
    (
        "filter, ~20 instances",
        '`filter(name="Cowboy 00042")`',
        lambda: [c.age for c in Cowboy.filter(name="Cowboy 00042")],
        '`filter(plain_name="Cowboy 00042")`',
        lambda: [c.age for c in Cowboy.filter(plain_name="Cowboy 00042")],
    ),
    (
        "count, ~1% of the table",
        "`filter(age=42).count()`",
        lambda: Cowboy.filter(age=42).count(),
        "`filter(plain_age=42).count()`",
        lambda: Cowboy.filter(plain_age=42).count(),
    ),
    (
        "order + slice",
        "`order(name=ASC)[:10]`",
        lambda: [c.name for c in Cowboy.order(name=sheraf.ASC)[:10]],
        "`order(plain_name=ASC)[:10]`",
        lambda: [c.plain_name for c in Cowboy.order(plain_name=sheraf.ASC)[:10]],
    ),
    (
        "order + slice, descending",
        "`order(age=DESC)[100:110]`",
        lambda: [c.age for c in Cowboy.order(age=sheraf.DESC)[100:110]],
        "`order(plain_age=DESC)[100:110]`",
        lambda: [c.plain_age for c in Cowboy.order(plain_age=sheraf.DESC)[100:110]],
    ),
]


def measure(query, rounds):
    """The median time of ``query`` in seconds, the objects it loads, and
    its result."""
    times = []
    for _ in range(rounds):
        with sheraf.connection() as connection:
            connection.cacheMinimize()
            connection.getTransferCounts(True)
            start = time.perf_counter()
            result = query()
            times.append(time.perf_counter() - start)
            loaded, _ = connection.getTransferCounts()
    return statistics.median(times), loaded, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="sheraf-bench-")
    database = sheraf.Database(f"file://{folder}/Data.fs")
    try:
        start = time.perf_counter()
        fill(args.size, args.seed)
        print(f"{args.size} cowboys created in {time.perf_counter() - start:.1f} s\n")
        print(
            "| query | indexed | time | loads | not indexed | time | loads | speed-up |"
        )
        print("|---|---|--:|--:|---|--:|--:|--:|")
        for label, indexed_code, indexed, scan_code, scan in QUERIES:
            indexed_time, indexed_loads, indexed_result = measure(indexed, args.rounds)
            scan_time, scan_loads, scan_result = measure(scan, args.rounds)
            assert indexed_result == scan_result, label
            print(
                f"| {label} | {indexed_code} | {indexed_time * 1000:.2f} ms | "
                f"{indexed_loads} loads | {scan_code} | {scan_time * 1000:.0f} ms | "
                f"{scan_loads} loads | {scan_time / indexed_time:.0f}x |"
            )
    finally:
        database.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
