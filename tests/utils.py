"""Helpers for tests and doctests: temporary folders, and a real ZEO
server on a free loopback port."""

import multiprocessing
import os
import shutil
import tempfile

import sheraf.attributes.files
import sheraf.servers


def create_temp_directory():
    """A new temporary folder, which file attributes now use; return it and
    the folder they used before."""
    persistent_dir = tempfile.mkdtemp(prefix="sheraf-")
    old = sheraf.attributes.files.set_files_root_dir(
        os.path.join(persistent_dir, "files")
    )
    return persistent_dir, old


def delete_temp_directory(persistent_dir, old):
    """Give file attributes their previous folder back, and delete
    ``persistent_dir``."""
    sheraf.attributes.files.set_files_root_dir(old)
    shutil.rmtree(persistent_dir, ignore_errors=True)


def start_zeo_server(persistent_dir, port=None):
    """A ZEO server keeping its data in ``persistent_dir``:
    ``(process, port)``, once it accepts connections."""
    return sheraf.servers.start_zeo_server(persistent_dir, port)


def stop_zeo_server(process, silent=False):
    """Stop and reap the server; unless ``silent``, say if it had already
    stopped."""
    if not sheraf.servers.stop_zeo_server(process) and not silent:
        print(
            f"The ZEO server {process.pid} had already stopped ({process.returncode})."
        )


def open_at_once(uri, processes=8):
    """Open and close ``sheraf.Database(uri)`` in ``processes`` forked
    processes at the same moment; what each one got: ``"ok"`` or the
    exception."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(processes), context.Queue()
    children = [
        context.Process(target=_open, args=(uri, barrier, results))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(10)
    return outcomes


def _open(uri, barrier, results):
    barrier.wait(10)
    try:
        sheraf.Database(uri).close()
        results.put("ok")
    except Exception as exc:  # reported to the parent
        results.put(repr(exc))
