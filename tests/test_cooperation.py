"""sheraf.cooperation answers every "cooperative or not" question, before
and after gevent patches the standard library (each case in a fresh
interpreter, so that the patching happens when the case says)."""

import json
import subprocess
import sys

import pytest

from sheraf import cooperation

SCRIPT = """
import json, sys, time
if sys.argv[1] == "patched":
    from gevent import monkey; monkey.patch_all()
import gevent, greenlet
from sheraf import cooperation

ticks = []
def ticker():
    for _ in range(5):
        ticks.append(1)
        gevent.sleep(0.01)
ticks_seen = []
def sleeper():
    cooperation.sleep(0.2)
    ticks_seen.append(len(ticks))
ran_at = []
def detached(where):
    ran_at.append(where)
cooperation.run_detached(detached, "now")
ran_right_away = list(ran_at)
gevent.joinall([gevent.spawn(sleeper), gevent.spawn(ticker)], timeout=5)
print(json.dumps({
    "threads_are_greenlets": cooperation.threads_are_greenlets(),
    "runner": cooperation.zeo_client_runner().__qualname__,
    "runner_module": cooperation.zeo_client_runner().__module__,
    "ticks_while_sleeping": ticks_seen[0],
    "detached_ran_right_away": ran_right_away == ["now"],
    "detached_ran": ran_at == ["now"],
}))
"""


def run(patching):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, patching],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_gevent_patching():
    answers = run("plain")
    assert answers["threads_are_greenlets"] is False
    assert answers["runner"] == "ThreadedClientRunner"
    assert answers["runner_module"] == "sheraf.zeo"
    # In a gevent greenlet, sleep still lets the others run, patched or not.
    assert answers["ticks_while_sleeping"] == 5
    assert answers["detached_ran_right_away"] is True


def test_once_gevent_patched_threading():
    answers = run("patched")
    assert answers["threads_are_greenlets"] is True
    assert answers["runner"] == "GreenClientRunner"
    assert answers["runner_module"] == "sheraf.green.zeo"
    assert answers["ticks_while_sleeping"] == 5
    # Handed to a greenlet of its own, it runs later, not in the caller.
    assert answers["detached_ran_right_away"] is False
    assert answers["detached_ran"] is True


def test_lock_factory_is_threadings():
    import threading

    assert cooperation.lock_factory() is threading.Lock


@pytest.mark.parametrize(
    "old_path",
    [
        "from sheraf.databases import ConnectionContext",
        "from sheraf.databases import ContextTransactionManager",
        "from sheraf.databases import inherited_databases",
        "from sheraf.databases import DEFAULT_OPEN_TIMEOUT",
        "from sheraf.databases import Database, connection",
    ],
)
def test_the_old_import_paths_still_work(old_path):
    exec(old_path, {})
