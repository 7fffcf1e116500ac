"""A ZEO server on the loopback interface, for tests, examples and
benchmarks.

.. code-block:: python

    process, port = start_zeo_server("/tmp/saloon")
    db = sheraf.Database(f"zeo://127.0.0.1:{port}")
    ...
    stop_zeo_server(process)
"""

import atexit
import os
import signal
import socket
import subprocess
import sys
import time

import sheraf

_started = set()
_owner_pid = os.getpid()
_SHERAF_PATH = os.path.dirname(os.path.dirname(os.path.abspath(sheraf.__file__)))


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_zeo_server(data_dir, port=None, timeout=30):
    """Start a ZEO server on 127.0.0.1 that keeps its data (a FileStorage
    with a blob folder) in ``data_dir``; return ``(process, port)`` once it
    accepts connections. Started again with the same ``data_dir`` and
    ``port``, it serves the same data.

    The server can import sheraf, which it needs to resolve conflicts on
    sheraf's types. It is stopped at exit if nothing stopped it before.
    """
    port = port or free_port()
    config_path = os.path.join(data_dir, "zeo.conf")
    log_path = os.path.join(data_dir, "zeo.log")
    with open(config_path, "w") as config:
        config.write(
            f"<zeo>\n  address 127.0.0.1:{port}\n</zeo>\n"
            f"<filestorage>\n  path {os.path.join(data_dir, 'Data.fs')}\n"
            f"  blob-dir {os.path.join(data_dir, 'blobs')}\n</filestorage>\n"
        )
    python_path = os.pathsep.join(
        filter(None, [_SHERAF_PATH, os.environ.get("PYTHONPATH")])
    )
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ZEO.runzeo", "-C", config_path],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=python_path),
            start_new_session=True,
        )
    _started.add(process)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_zeo_server(process)
            with open(log_path, errors="replace") as log:
                tail = log.read()[-2000:]
            raise RuntimeError(f"The ZEO server did not start on port {port}:\n{tail}")
        time.sleep(0.05)


def stop_zeo_server(process):
    """Stop a server from :func:`start_zeo_server`, even a paused one:
    SIGTERM, SIGKILL after 5 s, and reap it. Return whether it was still
    running."""
    _started.discard(process)
    if process.poll() is not None:
        return False
    for signum in (signal.SIGCONT, signal.SIGTERM):
        _signal_group(process, signum)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()
    return True


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


@atexit.register
def _stop_forgotten_servers():
    if os.getpid() == _owner_pid:
        for process in list(_started):
            stop_zeo_server(process)
