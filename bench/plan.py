"""What one run measures: the workloads, in the order each round runs
them, and the sizes of the three profiles (``--smoke``, ``--quick``, full).
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Sizes:
    rounds: int
    cowboys: int  # instances created, then read
    batch: int  # instances per commit when creating
    reads: int  # distinct identifiers read by id
    passes: int  # passes over warm data, for long enough samples
    connections: int  # open+close of a connection
    commits: int  # sequential commits against ZEO
    http_rounds: int
    http_seconds: int  # per endpoint and round
    http_connections: int
    held: int  # instances a fresh process loads and holds in its cache
    memory_rounds: int


PROFILES = {
    "smoke": Sizes(2, 300, 75, 300, 1, 300, 20, 1, 1, 8, 300, 1),
    "quick": Sizes(3, 2_000, 500, 2_000, 3, 3_000, 150, 2, 2, 16, 10_000, 1),
    "full": Sizes(7, 20_000, 5_000, 10_000, 3, 20_000, 800, 5, 5, 16, 100_000, 3),
}

FILTERED_AGES = list(range(0, 100, 10))


@dataclasses.dataclass(frozen=True)
class HttpGoal:
    """A lowest acceptable ratio of the requests per second of an endpoint
    to those of another endpoint, or to the raw sequential commit rate
    (``raw_commits``)."""

    key: str
    endpoint: str
    baseline: str
    goal: float
    title: str


HTTP_GOALS = [
    HttpGoal(
        "http_read",
        "read",
        "empty",
        0.85,
        "saloon read endpoint >= 0.85x the empty endpoint",
    ),
    HttpGoal(
        "http_read_raw",
        "read",
        "raw_read",
        0.95,
        "saloon read endpoint >= 0.95x the same endpoint on raw ZODB",
    ),
    HttpGoal(
        "http_increment",
        "increment",
        "raw_commits",
        0.6,
        "hot object, IntegerAttribute += 1 >= 0.6x raw sequential ZEO commits",
    ),
    HttpGoal(
        "http_counter",
        "counter",
        "raw_commits",
        1.0,
        "hot object, CounterAttribute increments >= 1.0x raw sequential ZEO commits",
    ),
]
MEMORY_GOAL = 1.2  # the highest acceptable resident memory, to raw ZODB's
HELD_CACHE_SIZE = 250_000  # objects a connection's cache may hold


@dataclasses.dataclass(frozen=True)
class Workload:
    key: str
    title: str
    goal: float  # the lowest acceptable project/raw speed ratio, if any
    clock: str  # "cpu": CPU time of the worker process; "wall": elapsed time
    description: str  # what each implementation does, for BENCHMARKS.md

    def seconds(self, sample):
        """The time of a worker's answer by this workload's clock."""
        return sample["cpu_seconds"] if self.clock == "cpu" else sample["seconds"]


WORKLOADS = [
    Workload(
        key="create",
        title="create",
        goal=0.8,
        clock="cpu",
        description="instances with a name, a gunskill and an indexed age, committed by "
        "batches to a new FileStorage (raw: records filed by UUID in an OOBTree, and by "
        "age in an OOBTree of OOBTrees)",
    ),
    Workload(
        key="read_warm",
        title="read by id, warm cache",
        goal=0.6,
        clock="cpu",
        description="`Cowboy.read(id)` and two attributes, for distinct random ids, every "
        "record already loaded (raw: `tree[id]`)",
    ),
    Workload(
        key="read_cold",
        title="read by id, cold cache",
        goal=0.95,
        clock="cpu",
        description="the same reads after `connection.cacheMinimize()`: each one loads its "
        "record (and BTree buckets) from the FileStorage",
    ),
    Workload(
        key="iterate_warm",
        title="iterate all, warm cache",
        goal=0.4,
        clock="cpu",
        description="`for c in Cowboy.all()`, reading two attributes (raw: `tree.values()`)",
    ),
    Workload(
        key="iterate_cold",
        title="iterate all, cold cache",
        goal=0.95,
        clock="cpu",
        description="the same after `connection.cacheMinimize()`",
    ),
    Workload(
        key="filter",
        title="filter by an indexed attribute",
        goal=0.4,
        clock="cpu",
        description="`Cowboy.filter(age=a)` for 10 ages, ~1% of the instances each, reading "
        "two attributes (raw: the age index by hand)",
    ),
    Workload(
        key="open_close",
        title="connection open+close, in memory",
        goal=None,
        clock="cpu",
        description="`with sheraf.connection(): pass` on `memory://` (raw: `DB.open()` with "
        "a new `TransactionManager`, then `close()`)",
    ),
    Workload(
        key="zeo_integer",
        title="ZEO commit: IntegerAttribute += 1",
        goal=None,
        clock="wall",
        description="sequential transactions against a ZEO server, each `sheraf.attempt` "
        "reading an instance by id and adding 1 to an IntegerAttribute (raw: the same on a "
        "Persistent record, then `commit()`: the raw sequential commit rate)",
    ),
    Workload(
        key="zeo_counter",
        title="ZEO commit: CounterAttribute.increment(1)",
        goal=None,
        clock="wall",
        description="the same with `.increment(1)` on a CounterAttribute (raw: the same raw "
        "sequential commit rate)",
    ),
]

WORKLOADS_BY_KEY = {workload.key: workload for workload in WORKLOADS}


def commands(sizes, round_number, data_path, zeo_port):
    """The ``(workload key, worker method, arguments)`` of one round for one
    implementation; ``drop`` (unmeasured) closes the database the reads
    used."""
    seed = 1000 + round_number
    return [
        (
            "create",
            "create",
            dict(path=data_path, size=sizes.cowboys, batch=sizes.batch, seed=2024),
        ),
        (
            "read_warm",
            "read",
            dict(count=sizes.reads, passes=sizes.passes, cold=False, seed=seed),
        ),
        ("read_cold", "read", dict(count=sizes.reads, passes=1, cold=True, seed=seed)),
        ("iterate_warm", "iterate", dict(passes=sizes.passes, cold=False)),
        ("iterate_cold", "iterate", dict(passes=1, cold=True)),
        ("filter", "filter", dict(ages=FILTERED_AGES, passes=sizes.passes)),
        (None, "drop", {}),
        ("open_close", "open_close", dict(count=sizes.connections)),
        (
            "zeo_integer",
            "zeo_commits",
            dict(port=zeo_port, count=sizes.commits, counter=False),
        ),
        (
            "zeo_counter",
            "zeo_commits",
            dict(port=zeo_port, count=sizes.commits, counter=True),
        ),
    ]
