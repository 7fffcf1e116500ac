"""The processes that run the implementations, one per implementation,
each spoken to in JSON lines (see :mod:`bench.worker`).

This project and raw ZODB run from the project's root, with this Python.
The released sheraf runs with the reference environment's Python, from a
folder that holds only a link to ``bench``: ``import sheraf`` there finds
the release, not this project.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALL_TIMEOUT = 600


class WorkerError(RuntimeError):
    pass


class Worker:
    """A running ``python -m bench.worker``."""

    def __init__(self, name, python, kind, cwd, env, log_path):
        self.name = name
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(python), "-m", "bench.worker", kind],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.description = self._answer("start")

    def call(self, method, **args):
        """Run ``method`` in the worker; its answer (``seconds``, ``ops``,
        ``check``)."""
        self.process.stdin.write(json.dumps({"workload": method, "args": args}) + "\n")
        self.process.stdin.flush()
        answer = self._answer(method)
        if "error" in answer:
            raise WorkerError(f"{self.name} failed in {method}:\n{answer['error']}")
        return answer

    def _answer(self, what):
        watchdog = threading.Timer(CALL_TIMEOUT, self.process.kill)
        watchdog.start()
        try:
            line = self.process.stdout.readline()
        finally:
            watchdog.cancel()
        if not line:
            self.process.wait()
            with open(self.log_path, errors="replace") as log:
                tail = log.read()[-3000:]
            raise WorkerError(
                f"{self.name} ended during {what} (exit code {self.process.returncode}):\n{tail}"
            )
        return json.loads(line)

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_workers(reference_python, work_dir):
    """The workers by implementation name: ``raw``, ``project`` and, with a
    reference Python, ``reference``. Each is checked to run the sheraf it
    should."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    here = dict(env, PYTHONPATH=str(ROOT))
    specs = [
        ("raw", sys.executable, "raw", ROOT, here),
        ("project", sys.executable, "sheraf", ROOT, here),
    ]
    if reference_python is not None:
        alone = Path(work_dir) / "reference-cwd"
        if not alone.exists():
            alone.mkdir()
            (alone / "bench").symlink_to(ROOT / "bench")
        specs.append(("reference", reference_python, "sheraf", alone, env))
    workers = {}
    try:
        for name, python, kind, cwd, worker_env in specs:
            log_path = Path(work_dir) / f"{name}.log"
            workers[name] = Worker(name, python, kind, cwd, worker_env, log_path)
        _check_sheraf(workers)
    except BaseException:
        for worker in workers.values():
            worker.close()
        raise
    return workers


def _check_sheraf(workers):
    project = workers["project"].description
    if Path(project["sheraf_path"]) != ROOT / "sheraf":
        raise WorkerError(
            f"The project's worker imported sheraf from {project['sheraf_path']}."
        )
    reference = workers.get("reference")
    if reference is not None:
        from bench.reference import RELEASE

        if (
            reference.description["sheraf"] != RELEASE
            or str(ROOT / "sheraf") == reference.description["sheraf_path"]
        ):
            raise WorkerError(f"The reference worker runs {reference.description}.")
