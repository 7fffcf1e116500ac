"""On a terminal, ``sheraf URI rebuild`` shows a progress bar: instances
done out of the total, per second, and the time left."""

import os
import pty
import select
import subprocess
import time

from sheraf import health
from tests.test_cli import PROJECT
from tests.test_cli import SHERAF
from tests.test_health import PATH
from tests.test_health import check
from tests.test_health import hire_without_the_town_index


def _run_on_a_terminal(command, timeout=120):
    """Run ``command`` with a pseudo-terminal as its standard error; what it
    wrote there, and its exit status."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        command,
        cwd=PROJECT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=dict(os.environ, COLUMNS="120", TERM="xterm"),
    )
    os.close(slave)
    written = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal closed with the process
                    break
                if not chunk:
                    break
                written += chunk
            elif process.poll() is not None:
                break
        return written.decode("utf-8", "replace"), process.wait(timeout=30)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_rebuild_on_a_terminal_shows_a_progress_bar(sheraf_zeo_database):
    hire_without_the_town_index(400)
    written, status = _run_on_a_terminal(
        [SHERAF, sheraf_zeo_database.uri, "rebuild", PATH, "--index", "town"]
        + ["--commit", "--batch-size", "1"]
    )
    assert status == 0, written
    assert "Cowboy: filing" in written
    assert "━" in written  # the bar
    assert "400/400" in written
    assert "/s" in written  # instances per second
    assert "0:00:" in written  # the time left
    assert health.is_healthy(check())
