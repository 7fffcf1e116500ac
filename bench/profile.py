"""Where this project spends the time of one workload.

    python -m bench.profile WORKLOAD [--profile quick] [--top 12]

``WORKLOAD`` is one of the workloads of ``python -m bench`` (``create``,
``read_warm``, ``zeo_counter``...), run by this project's side exactly as
the benchmark runs it, with cProfile on during its measured part only; or
``http_read``: the saloon's WSGI application answering ``GET
/api/cowboys/<id>`` against a ZEO server, in this process, without
gunicorn; or ``http_raw_read``: the same endpoint written on raw ZODB
(see :mod:`bench.http_app`). It prints the functions with the most time of
their own.
"""

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from werkzeug.test import EnvironBuilder

import sheraf
from bench.plan import PROFILES
from bench.plan import WORKLOADS
from bench.plan import commands
from bench.worker import Timer

ROOT = Path(__file__).resolve().parent.parent
NEEDS_DATA = {"read", "iterate", "filter"}
HTTP_READS = 2000


class ProfilingTimer:
    """A timer of :mod:`bench.worker` that profiles what it times."""

    def __init__(self):
        self.profiler = cProfile.Profile()

    def __enter__(self):
        self.profiler.enable()
        return self

    def __exit__(self, *exc_info):
        self.profiler.disable()
        return False


def profile_workload(key, sizes, work_dir):
    """The profile of the project's side of the workload ``key``, and the
    number of operations it made."""
    from bench.sheraf_api import SherafModels
    from sheraf.servers import start_zeo_server
    from sheraf.servers import stop_zeo_server

    zeo = start_zeo_server(work_dir) if key.startswith("zeo") else (None, None)
    data = os.path.join(work_dir, "Data.fs")
    steps = {
        k: (method, args) for k, method, args in commands(sizes, 0, data, zeo[1]) if k
    }
    subject, timer = SherafModels(), ProfilingTimer()
    try:
        method, args = steps[key]
        if method in NEEDS_DATA:
            subject.create(Timer(), **steps["create"][1])
        ops, _check = getattr(subject, method)(timer, **args)
        if method in NEEDS_DATA:
            subject.drop(Timer())
    finally:
        if zeo[0] is not None:
            stop_zeo_server(zeo[0])
    return timer.profiler, ops


#: The HTTP profiles: the endpoint of :mod:`bench.http_app` each one reads,
#: and the path that creates the object it reads.
HTTP_PROFILES = {
    "http_read": ("/api/cowboys", "/api/cowboys/{}"),
    "http_raw_read": ("/raw/cowboys", "/raw/cowboys/{}"),
}


def profile_http(key, work_dir):
    """The profile of :mod:`bench.http_app` (the saloon and the bench's
    endpoints) answering the read endpoint of the HTTP profile ``key``,
    and the number of requests."""
    from sheraf.servers import start_zeo_server
    from sheraf.servers import stop_zeo_server

    create_path, read_path = HTTP_PROFILES[key]
    process, port = start_zeo_server(work_dir)
    os.environ["SALOON_DATABASE"] = f"zeo://127.0.0.1:{port}"
    try:
        from bench import http_app

        body = http_app.application(
            _environ("POST", create_path, b'{"name": "Profiled"}'), _ignore
        )
        environ = _environ("GET", read_path.format(json.loads(b"".join(body))["id"]))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(HTTP_READS):
            http_app.application(dict(environ), _ignore)
        profiler.disable()
        http_app.raw_database.close()
        sheraf.Database.get().close()
    finally:
        stop_zeo_server(process)
    return profiler, HTTP_READS


def _environ(method, path, body=b""):
    return EnvironBuilder(method=method, path=path, data=body).get_environ()


def _ignore(status, headers, exc_info=None):
    pass


def hot_spots(profiler, ops, top):
    """As text: the ``top`` functions by time of their own, then the
    ``top`` functions of this project (sheraf/, examples/, bench/) by time spent
    in them and in what they call."""
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = [
        (own, cumulative, ncalls, f"{function} ({_short(filename)}:{line})")
        for (filename, line, function), (
            _calls,
            ncalls,
            own,
            cumulative,
            _callers,
        ) in stats.stats.items()
    ]
    ours = [
        row
        for row in rows
        if row[3].rsplit("(", 1)[1].startswith(("sheraf/", "examples/", "bench/"))
    ]
    lines = [
        f"{total / ops * 1e6:.1f} µs per operation under the profiler, {ops} operations"
    ]
    for title, chosen, column in (
        ("own time", rows, 0),
        ("this project, with callees", ours, 1),
    ):
        lines += ["", f"by {title}:", f"{'own':>6} {'total':>6} {'calls':>8}  function"]
        for own, cumulative, ncalls, where in sorted(
            chosen, key=lambda row: row[column], reverse=True
        )[:top]:
            lines.append(
                f"{own / total:6.1%} {cumulative / total:6.1%} {ncalls:8d}  {where}"
            )
    return "\n".join(lines)


def _short(filename):
    for prefix in (
        str(ROOT) + os.sep,
        *(p + os.sep for p in sys.path if "site-packages" in p),
    ):
        if filename.startswith(prefix):
            return filename[len(prefix) :]
    return filename


def main(argv=None):
    keys = [w.key for w in WORKLOADS] + list(HTTP_PROFILES)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workload", choices=keys)
    parser.add_argument(
        "--profile", choices=list(PROFILES), default="quick", help="sizes (quick)"
    )
    parser.add_argument("--top", type=int, default=12, help="functions shown (12)")
    args = parser.parse_args(argv)
    work_dir = tempfile.mkdtemp(prefix="sheraf-profile-")
    try:
        if args.workload in HTTP_PROFILES:
            profiler, ops = profile_http(args.workload, work_dir)
        else:
            profiler, ops = profile_workload(
                args.workload, PROFILES[args.profile], work_dir
            )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(hot_spots(profiler, ops, args.top))


if __name__ == "__main__":
    main()
