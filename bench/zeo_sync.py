"""What ZEO's ``server_sync`` costs a connection context: a read-only
context (open, read one record, close) over a ZEO server on 127.0.0.1, by
raw ZODB (no round trip: it may read a state older than the last
acknowledged commit), by this project with ``?server_sync=false`` (the same
risk), and by this project as it is by default (a round trip to the server
as the context opens: it sees every commit acknowledged before).

    python -m bench.zeo_sync [--rounds 7] [--count 1000]

From the project root. Prints medians of rounds, in microseconds of elapsed
time per context, the implementations taking turns within each round.
"""

import argparse
import statistics
import tempfile
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


IMPLEMENTATIONS = {
    "raw ZODB": raw_zodb,
    "this project, server_sync=false": lambda port, count: this_project(
        port, count, "?server_sync=false"
    ),
    "this project (server_sync, the default)": this_project,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    process, port = start_zeo_server(tempfile.mkdtemp(prefix="sheraf-bench-"))
    try:
        database = sheraf.Database(f"zeo://127.0.0.1:{port}")
        with sheraf.connection(commit=True) as connection:
            connection.root()["value"] = 1
        database.close()
        names = list(IMPLEMENTATIONS)
        samples = {name: [] for name in names}
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(IMPLEMENTATIONS[name](port, args.count))
    finally:
        stop_zeo_server(process)
    raw = statistics.median(samples["raw ZODB"])
    print("| context over ZEO (open, read, close) | µs, median | / raw ZODB |")
    print("|---|--:|--:|")
    for name in names:
        median = statistics.median(samples[name])
        print(f"| {name} | {median:.1f} | {raw / median:.2f}x |")


if __name__ == "__main__":
    main()
