"""One implementation's side of the benchmark, in its own process.

    python -m bench.worker raw|sheraf

It first answers a line that says what it runs (the sheraf it imported,
and from where), then reads commands, one JSON object per line on stdin:
``{"workload": "read", "args": {...}}``, runs the method of that name (see
:mod:`bench.raw_zodb` and :mod:`bench.sheraf_api`) and answers one JSON
line: ``{"seconds": ..., "cpu_seconds": ..., "ops": ..., "check": ...}``,
or ``{"error": traceback}``. ``check`` is a sum computed from the data the workload read,
which must be the same for every implementation. A method may answer more
figures (the memory it holds, for instance) in a dictionary after ``ops``
and ``check``.
"""

import gc
import importlib
import json
import os
import sys
import time
import traceback
from importlib.metadata import version

SUBJECTS = {
    "raw": ("bench.raw_zodb", "RawZODB"),
    "sheraf": ("bench.sheraf_api", "SherafModels"),
}


class Timer:
    """Times the block it guards, in wall-clock time and in CPU time of this
    process, after a garbage collection, so that no collection of the
    previous work lands in it."""

    seconds = cpu_seconds = 0.0

    def __enter__(self):
        gc.collect()
        self._cpu_start = time.process_time()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self._start
        self.cpu_seconds = time.process_time() - self._cpu_start
        return False


def describe(kind):
    """What this worker runs, for the report."""
    description = {
        "kind": kind,
        "python": sys.version.split()[0],
        "ZODB": version("ZODB"),
    }
    if kind == "sheraf":
        import sheraf

        description["sheraf"] = sheraf.__version__
        description["sheraf_path"] = os.path.dirname(sheraf.__file__)
    return description


def run(subject, request):
    """Run one command; the answer as a dictionary."""
    timer = Timer()
    try:
        ops, check, *extra = getattr(subject, request["workload"])(
            timer, **request["args"]
        )
    except Exception:
        return {"error": traceback.format_exc()}
    return {
        "seconds": timer.seconds,
        "cpu_seconds": timer.cpu_seconds,
        "ops": ops,
        "check": check,
        **(extra[0] if extra else {}),
    }


def serve(kind, commands, answers):
    module_name, class_name = SUBJECTS[kind]
    subject = getattr(importlib.import_module(module_name), class_name)()
    print(json.dumps(describe(kind)), file=answers, flush=True)
    for line in commands:
        print(json.dumps(run(subject, json.loads(line))), file=answers, flush=True)


def main():
    # Answers go to the real standard output only; what libraries print,
    # even from C, goes to standard error.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.argv[1], sys.stdin, answers)


if __name__ == "__main__":
    main()
