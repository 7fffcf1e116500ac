"""The same work through sheraf's models: this project's sheraf, or the
released sheraf 0.6.0 in its own virtual environment, which share this
API. Each method takes the ``timer`` of :mod:`bench.worker` and times only
its measured part with it.

The databases are the default one (sheraf 0.6.0's ``attempt`` works on
it only), opened for a workload and closed after it.
"""

from itertools import chain

import sheraf
from bench.dataset import batches
from bench.dataset import cowboy_rows
from bench.dataset import hold
from bench.dataset import sample
from bench.dataset import visit


class Cowboy(sheraf.Model):
    table = "bench_cowboys"
    name = sheraf.StringAttribute()
    gunskill = sheraf.IntegerAttribute()
    age = sheraf.IntegerAttribute().index()


class Tally(sheraf.Model):
    table = "bench_tallies"
    score = sheraf.IntegerAttribute()
    cheers = sheraf.CounterAttribute()


def add_score(tally_id):
    Tally.read(tally_id).score += 1


def add_cheer(tally_id):
    Tally.read(tally_id).cheers.increment(1)


class SherafModels:
    """sheraf, whichever version ``import sheraf`` finds."""

    def __init__(self):
        self.ids = []

    def create(self, timer, path, size, batch, seed):
        sheraf.Database(f"file://{path}")
        self.ids = []
        rows = cowboy_rows(size, seed)
        with timer:
            for chunk in batches(rows, batch):
                with sheraf.connection(commit=True):
                    for name, gunskill, age in chunk:
                        cowboy = Cowboy.create(name=name, gunskill=gunskill, age=age)
                        self.ids.append(cowboy.id)
        return size, sum(row[1] for row in rows)

    def read(self, timer, count, passes, cold, seed):
        ids = sample(self.ids, count, seed)
        with sheraf.connection() as connection:
            check = visit(
                timer, connection, lambda: map(Cowboy.read, ids), passes, cold
            )
        return len(ids) * passes, check

    def iterate(self, timer, passes, cold):
        with sheraf.connection() as connection:
            check = visit(timer, connection, Cowboy.all, passes, cold)
        return len(self.ids) * passes, check

    def filter(self, timer, ages, passes):
        def found():
            return chain.from_iterable(Cowboy.filter(age=age) for age in ages)

        with sheraf.connection() as connection:
            check = visit(timer, connection, found, passes, cold=False)
            count = sum(1 for _ in found())
        return count * passes, check

    def hold(self, timer, path, cache_size):
        """Open the FileStorage ``create`` wrote, in a process that has not
        read it yet, and load every instance in the connection's cache."""
        database = sheraf.Database(f"file://{path}", db_args={"cache_size": cache_size})
        with sheraf.connection():
            check, memory = hold(timer, Cowboy.all)
            count = Cowboy.count()
        database.close()
        return count, check, memory

    def drop(self, timer):
        sheraf.Database.get().close()
        self.ids = []
        return 0, 0

    def open_close(self, timer, count):
        database = sheraf.Database("memory://")
        with timer:
            for _ in range(count):
                with sheraf.connection():
                    pass
        database.close()
        return count, 0

    def zeo_commits(self, timer, port, count, counter):
        """``count`` transactions in a row through :func:`sheraf.attempt`,
        each adding 1 to an instance read by its identifier: to its
        CounterAttribute if ``counter``, else to its IntegerAttribute."""
        database = sheraf.Database(f"zeo://127.0.0.1:{port}")
        with sheraf.connection(commit=True):
            tally_id = Tally.create().id
        bump = add_cheer if counter else add_score
        with sheraf.connection():
            with timer:
                for _ in range(count):
                    sheraf.attempt(bump, args=(tally_id,))
            tally = Tally.read(tally_id)
            value = int(tally.cheers) if counter else tally.score
        database.close()
        return count, value
