"""What ZEO's ``server_sync`` costs a connection context: a read-only
context (open, read one record, close) over a ZEO server on 127.0.0.1, by
raw ZODB (no round trip: it may read a state older than the last
acknowledged commit), by this project with ``?server_sync=false`` (the same
risk), and by this project as it is by default (a round trip to the server
as the context opens: it sees every commit acknowledged before).

Then the same contexts opened by ``--threads`` threads at once, all as
fresh: raw ZODB with ZEO's ``server_sync`` beginning each transaction (a
round trip each), and this project (the contexts that open at the same time
share one round trip): contexts per second, and round trips per context.

    python -m bench.zeo_sync [--rounds 7] [--count 1000] [--threads 16]

From the project root. Prints medians of rounds, in microseconds of elapsed
time per context, the implementations taking turns within each round.
"""

import argparse
import statistics
import tempfile
import threading
import time

import transaction
import ZEO
import ZODB

import sheraf
from sheraf.servers import start_zeo_server
from sheraf.servers import stop_zeo_server


def raw_zodb(port, count):
    db = ZODB.DB(ZEO.client(("127.0.0.1", port)))
    try:
        return _timed(count, lambda: _raw_read(db))
    finally:
        db.close()


def _raw_read(db):
    connection = db.open(transaction_manager=transaction.TransactionManager())
    connection.root()["value"]
    connection.close()


def this_project(port, count, query=""):
    database = sheraf.Database(f"zeo://127.0.0.1:{port}{query}")
    try:
        return _timed(count, _sheraf_read)
    finally:
        database.close()


def _sheraf_read():
    with sheraf.connection() as connection:
        connection.root()["value"]


def _timed(count, read):
    read()  # the record in the client's cache
    started = time.perf_counter()
    for _ in range(count):
        read()
    return (time.perf_counter() - started) / count * 1e6


def raw_zodb_in_threads(port, threads, count):
    storage = ZEO.client(("127.0.0.1", port), server_sync=True)
    round_trips = _count_calls(storage, "sync")
    db = ZODB.DB(storage, pool_size=threads)
    try:
        return _in_threads(threads, count, lambda: _raw_fresh_read(db), round_trips)
    finally:
        db.close()


def _raw_fresh_read(db):
    manager = transaction.TransactionManager()
    connection = db.open(transaction_manager=manager)
    manager.begin()  # with server_sync: a round trip to the server
    connection.root()["value"]
    manager.abort()
    connection.close()


def this_project_in_threads(port, threads, count):
    database = sheraf.Database(
        f"zeo://127.0.0.1:{port}", db_args={"pool_size": threads}
    )
    round_trips = _count_calls(database.storage, "ping")
    try:
        return _in_threads(threads, count, _sheraf_read, round_trips)
    finally:
        database.close()


def _count_calls(storage, name):
    """Count the calls of the storage's method ``name`` from now on."""
    calls = []
    method = getattr(storage, name)
    setattr(storage, name, lambda: (calls.append(1), method())[1])
    return calls


def _in_threads(threads, count, read, round_trips):
    read()
    del round_trips[:]
    start = threading.Barrier(threads + 1)

    def run():
        start.wait()
        for _ in range(count):
            read()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    contexts = threads * count
    return contexts / (time.perf_counter() - started), len(round_trips) / contexts


IMPLEMENTATIONS = {
    "raw ZODB": raw_zodb,
    "this project, server_sync=false": lambda port, count: this_project(
        port, count, "?server_sync=false"
    ),
    "this project (server_sync, the default)": this_project,
}


CONCURRENT = {
    "raw ZODB, server_sync, begin()": raw_zodb_in_threads,
    "this project (server_sync, the default)": this_project_in_threads,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    process, port = start_zeo_server(tempfile.mkdtemp(prefix="sheraf-bench-"))
    try:
        database = sheraf.Database(f"zeo://127.0.0.1:{port}")
        with sheraf.connection(commit=True) as connection:
            connection.root()["value"] = 1
        database.close()
        names = list(IMPLEMENTATIONS)
        samples = {name: [] for name in names}
        concurrent = {name: [] for name in CONCURRENT}
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(IMPLEMENTATIONS[name](port, args.count))
            for name, measure in CONCURRENT.items():
                concurrent[name].append(
                    measure(port, args.threads, max(1, args.count // args.threads))
                )
    finally:
        stop_zeo_server(process)
    raw = statistics.median(samples["raw ZODB"])
    print("| context over ZEO (open, read, close) | µs, median | / raw ZODB |")
    print("|---|--:|--:|")
    for name in names:
        median = statistics.median(samples[name])
        print(f"| {name} | {median:.1f} | {raw / median:.2f}x |")
    print()
    print(
        f"| {args.threads} threads opening contexts at once, as fresh "
        "| contexts/s, median | round trips per context |"
    )
    print("|---|--:|--:|")
    for name, results in concurrent.items():
        rate = statistics.median(rate for rate, _ in results)
        trips = statistics.median(trips for _, trips in results)
        print(f"| {name} | {rate:.0f} | {trips:.2f} |")


if __name__ == "__main__":
    main()
