"""Greenlet and gevent scenarios, each run in a fresh interpreter so that
gevent's patching happens exactly when the scenario says:

    python -m tests.green_scenarios SCENARIO PATCHING PORT_OR_URI [ZEO_PID]

PORT_OR_URI is the port of a ZEO server on 127.0.0.1, or a database URI
(RelStorage's ``postgres://...`` for instance). PATCHING is ``plain``
(greenlets, no gevent), ``first`` (gevent patches before anything is
imported) or ``after`` (gevent patches after sheraf and transaction were
imported). The scenario prints one JSON line; the tests in test_green.py
and test_relstorage.py read it.
"""

import sys

SCENARIO, PATCHING, PORT_OR_URI = sys.argv[1], sys.argv[2], sys.argv[3]
ZEO_PID = int(sys.argv[4]) if len(sys.argv) > 4 else None

if PATCHING == "first":
    from gevent import monkey

    monkey.patch_all()

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

import greenlet  # noqa: E402
import transaction  # noqa: E402,F401

import sheraf  # noqa: E402

if PATCHING == "after":
    from gevent import monkey

    monkey.patch_all()

URI = f"zeo://127.0.0.1:{PORT_OR_URI}" if PORT_OR_URI.isdigit() else PORT_OR_URI


def uri_with(**query):
    """URI with ``query`` added to its query string."""
    return URI + ("&" if "?" in URI else "?") + urllib.parse.urlencode(query)


class Cowboy(sheraf.Model):
    table = "green_cowboys"
    gunskill = sheraf.IntegerAttribute()
    cheers = sheraf.CounterAttribute()


def report(**results):
    print(json.dumps(results), flush=True)


def create_cowboy():
    with sheraf.connection(commit=True):
        return Cowboy.create().id


def increments():
    """50 greenlets x 4 increments of one IntegerAttribute through attempt."""
    # Plain greenlets all hold a connection at once: a pool for 50.
    sheraf.Database(uri_with(connection_pool_size=50))
    cowboy_id = create_cowboy()
    conflicts = []

    def bump():
        cowboy = Cowboy.read(cowboy_id)
        value = cowboy.gunskill
        yield_to_others()
        cowboy.gunskill = value + 1

    def on_failure(nb_attempt):
        conflicts.append(nb_attempt)
        backoff(nb_attempt)

    def work(_number):
        for _ in range(4):
            sheraf.attempt(bump, attempts=200, on_failure=on_failure)

    run_concurrently(work, 50)
    with sheraf.connection():
        total = Cowboy.read(cowboy_id).gunskill
    report(total=total, conflicts=len(conflicts))


def cheers():
    """100 concurrent increments of a CounterAttribute: exact, and with no
    retry, since concurrent increments merge."""
    sheraf.Database(uri_with(connection_pool_size=100))
    cowboy_id = create_cowboy()
    retries = []

    def cheer(number):
        cowboy = Cowboy.read(cowboy_id)
        yield_to_others()  # every greenlet holds its transaction open at once
        if number % 2:
            cowboy.cheers.increment()
        else:
            cowboy.cheers += 1

    def work(number):
        sheraf.attempt(cheer, args=(number,), on_failure=retries.append)

    run_concurrently(work, 100)
    with sheraf.connection():
        total = Cowboy.read(cowboy_id).cheers.value
    report(total=total, retries=len(retries))


def backoff(nb_attempt):
    if PATCHING == "plain":
        yield_to_others()
    else:
        sheraf.transactions.backoff(nb_attempt)


def yield_to_others():
    if PATCHING == "plain":
        greenlet.getcurrent().parent.switch()
    else:
        import gevent

        gevent.sleep(0)


def run_concurrently(function, count):
    """Run ``function(number)`` in ``count`` greenlets until all end: a
    round-robin of plain greenlets, or gevent's hub."""
    if PATCHING == "plain":
        workers = [greenlet.greenlet(function) for _ in range(count)]
        for number, worker in enumerate(workers):
            worker.switch(number)
        while any(not w.dead for w in workers):
            for worker in workers:
                if not worker.dead:
                    worker.switch()
        return
    import gevent

    workers = [gevent.spawn(function, number) for number in range(count)]
    gevent.joinall(workers, timeout=120, raise_error=True)


def start_ticker(interval):
    """A greenlet that counts how often it gets to run: its ticks, itself."""
    import gevent

    ticks = []

    def tick():
        while True:
            gevent.sleep(interval)
            ticks.append(1)

    return ticks, gevent.spawn(tick)


def practice_while_blocked(cowboy_id, unblock):
    """Start a practice while the storage is blocked, wait 1.5 s, unblock it
    (whatever happened) and wait for the practice: how many times a ticker
    greenlet ran meanwhile, whether the practice was done before, how long
    it waited, and the final gunskill."""
    import gevent

    ticks, ticker = start_ticker(0.01)

    def practice():
        with sheraf.connection(commit=True):
            Cowboy.read(cowboy_id).gunskill += 1000
        return time.monotonic()

    try:
        blocked_at = time.monotonic()
        waiter = gevent.spawn(practice)
        gevent.sleep(1.5)
        ticks_while_blocked = len(ticks)
        done_while_blocked = waiter.ready()
    finally:
        unblock()
    finished_at = waiter.get(timeout=30)
    ticker.kill()
    with sheraf.connection():
        total = Cowboy.read(cowboy_id).gunskill
    return {
        "ticks_while_blocked": ticks_while_blocked,
        "done_while_blocked": done_while_blocked,
        "waited": finished_at - blocked_at,
        "total": total,
    }


def stopped_server():
    """While the ZEO server is stopped, a ticker greenlet keeps ticking and a
    greenlet waiting on ZEO waits; after SIGCONT it completes."""
    import gevent

    sheraf.Database(URI)
    cowboy_id = create_cowboy()
    gevent.sleep(0.1)
    os.kill(ZEO_PID, signal.SIGSTOP)
    report(
        **practice_while_blocked(cowboy_id, lambda: os.kill(ZEO_PID, signal.SIGCONT))
    )


def locked_tables():
    """RelStorage on PostgreSQL: while another session locks the tables of
    the objects, a ticker greenlet keeps ticking and a greenlet waiting on
    PostgreSQL waits; once the lock is released it completes. (Were the
    driver not cooperative, the waiting greenlet would block the process
    until PostgreSQL ends the locking session, after 5 s.)

    With PATCHING ``late``, gevent patches after the database was opened:
    sheraf opens it again at its next connection context."""
    db = sheraf.Database(URI)
    cowboy_id = create_cowboy()
    first_storage = db.storage
    if PATCHING == "late":
        from gevent import monkey

        monkey.patch_all()
        with sheraf.connection():
            pass
    # Under gevent, RelStorage's wait callback only works with the
    # connections of its driver.
    driver = db.storage._adapter.driver
    locker = driver.connect(URI.split("?")[0])
    cursor = locker.cursor()
    cursor.execute("SET idle_in_transaction_session_timeout = '5s'")
    tables = ["object_state"] + (["current_object"] if db.storage.keep_history else [])
    cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")

    def unlock():
        try:
            locker.rollback()
        except driver.driver_module.OperationalError:
            pass  # PostgreSQL ended the session already

    results = practice_while_blocked(cowboy_id, unlock)
    locker.close()
    report(driver=driver.__name__, reopened=db.storage is not first_storage, **results)


def response_timeout():
    """A server that stops answering: the wait ends in a clear error after
    response_timeout, other greenlets keep running, and once the server is
    back requests work again."""
    import gevent

    sheraf.Database(uri_with(response_timeout=1, wait_timeout=5))
    cowboy_id = create_cowboy()
    ticks, ticker = start_ticker(0.01)

    def practice():
        with sheraf.connection(commit=True):
            Cowboy.read(cowboy_id).gunskill += 1

    os.kill(ZEO_PID, signal.SIGSTOP)
    started = time.monotonic()
    try:
        gevent.spawn(practice).get(timeout=30)
        error = None
    except sheraf.DatabaseUnavailableException as exc:
        error = str(exc)
    finally:
        waited = time.monotonic() - started
        ticks_while_blocked = len(ticks)
        os.kill(ZEO_PID, signal.SIGCONT)

    recovered = False
    deadline = time.monotonic() + 20
    while not recovered and time.monotonic() < deadline:
        try:
            gevent.spawn(practice).get(timeout=30)
            recovered = True
        except Exception:
            gevent.sleep(0.2)
    ticker.kill()
    report(
        error=error,
        waited=waited,
        ticks_while_blocked=ticks_while_blocked,
        recovered=recovered,
    )


def killed_greenlet():
    """A greenlet killed inside its connection context leaves nothing
    written and gives its connection back."""
    import gevent

    db = sheraf.Database(URI)
    cowboy_id = create_cowboy()
    inside = gevent.event.Event()

    def practice():
        with sheraf.connection(commit=True):
            Cowboy.read(cowboy_id).gunskill = 666
            Cowboy.create()
            inside.set()
            gevent.sleep(60)

    worker = gevent.spawn(practice)
    inside.wait(10)
    open_during = len(db.pool)
    worker.kill(timeout=10)
    open_after = len(db.pool)
    with sheraf.connection():
        report(
            open_during=open_during,
            open_after=open_after,
            gunskill=Cowboy.read(cowboy_id).gunskill,
            count=Cowboy.count(),
            killed=worker.dead and isinstance(worker.value, gevent.GreenletExit),
        )


def pool():
    """1000 greenlets open, read and close a connection: no flood of
    'DB.open() has N open connections' and the pool is back in bounds."""
    import gevent

    warnings = []

    class Collect(logging.Handler):
        def emit(self, record):
            if "open connections with a pool_size" in record.getMessage():
                warnings.append(record.getMessage())

    logging.getLogger("ZODB.DB").addHandler(Collect())
    db = sheraf.Database(URI)
    cowboy_id = create_cowboy()
    most_open = []

    def read():
        with sheraf.connection():
            most_open.append(len(db.pool))
            Cowboy.read(cowboy_id).gunskill
            gevent.sleep(0.001)

    started = time.monotonic()
    workers = [gevent.spawn(read) for _ in range(1000)]
    gevent.joinall(workers, timeout=120, raise_error=True)
    report(
        finished=sum(w.successful() for w in workers),
        seconds=time.monotonic() - started,
        warnings=len(warnings),
        most_open=max(most_open),
        pool_size=db.db.getPoolSize(),
        connections_kept=len(db.db.pool.available),
        connections_alive=len(db.db.pool.all),
        open_after=len(db.pool),
    )


def created_before_patching():
    """A ZEO client created before gevent patched threading does its I/O on
    a real thread and would block the hub: sheraf opens it again, then
    waits on ZEO without stopping other greenlets."""
    assert PATCHING == "plain"
    db = sheraf.Database(URI)
    cowboy_id = create_cowboy()
    real_thread_client = db.storage
    from gevent import monkey

    monkey.patch_all()
    import gevent

    ticks, ticker = start_ticker(0.005)

    def bump():
        Cowboy.read(cowboy_id).gunskill += 1

    def practice():
        sheraf.attempt(bump, attempts=100)

    workers = [gevent.spawn(practice) for _ in range(20)]
    gevent.joinall(workers, timeout=60)
    ticker.kill()
    with sheraf.connection():
        total = Cowboy.read(cowboy_id).gunskill
    report(
        reopened=db.storage is not real_thread_client,
        finished=sum(w.successful() for w in workers),
        errors=[repr(w.exception) for w in workers if w.exception][:3],
        ticks=len(ticks),
        total=total,
    )


def two_databases():
    """Two ZEO databases in one gevent process: two asyncio loops share the
    thread, each in its greenlet."""
    import gevent

    sheraf.Database(URI)
    sheraf.Database(URI, db_args={"database_name": "second"})

    def visit():
        root = sheraf.Database.current_connection().root()
        root["visits"] = root.get("visits", 0) + 1

    def practice(name):
        with sheraf.connection(name):
            sheraf.attempt(visit, attempts=100)

    workers = [gevent.spawn(practice, n) for n in ["unnamed", "second"] * 10]
    gevent.joinall(workers, timeout=60)
    visits = {}
    deadline = time.monotonic() + 10
    for name in ("unnamed", "second"):
        # Two clients of one server: each sees the other's commits once the
        # server's invalidations have reached it.
        while True:
            with sheraf.connection(name) as connection:
                visits[name] = connection.root()["visits"]
            if visits[name] == len(workers) or time.monotonic() > deadline:
                break
            gevent.sleep(0.05)
    report(
        finished=sum(w.successful() for w in workers),
        errors=[repr(w.exception) for w in workers if w.exception][:3],
        visits=visits,
    )


if __name__ == "__main__":
    globals()[SCENARIO]()
    for _name, database in list(sheraf.Database.all()):
        database.close()
