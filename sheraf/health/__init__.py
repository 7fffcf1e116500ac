"""Check and repair a database: are the indexes of each table in step with
its instances, and can the storage server merge sheraf's conflicts?

>>> class Cowboy(sheraf.Model):
...     table = "health_cowboys"
...     name = sheraf.StringAttribute().index(unique=True)
...
>>> with sheraf.connection(commit=True):
...     george = Cowboy.create(name="George")
...
>>> with sheraf.connection():
...     report = check_health(Cowboy)
>>> report["check_attributes_index"]
{'sheraf.health.Cowboy': {'name': {'ok': 1, 'ko': 0}}}
>>> report["check_model_index"]
{'sheraf.health.Cowboy': {'name': {'ok': 1, 'ko': 0}}}
>>> report["check_conflict_resolution"], is_healthy(report)
(True, True)

The checks only read (but for :func:`check_conflict_resolution`, which
writes a scratch counter and removes it), and so are safe on a live
database; :func:`fix_health` repairs what they find. ``sheraf URI check``
and ``sheraf URI fix`` do the same from the command line.
"""

import contextlib
from collections.abc import Iterable
from typing import Any

import rich.console

from sheraf.databases import Database
from sheraf.health.checks import check_attributes_index
from sheraf.health.checks import check_conflict_resolution
from sheraf.health.checks import check_model_index
from sheraf.health.entries import Table
from sheraf.health.fixes import Batches
from sheraf.health.fixes import rebuild
from sheraf.health.progress import NoProgress
from sheraf.health.progress import progress_on
from sheraf.health.report import print_report
from sheraf.health.utils import UnknownModelError
from sheraf.health.utils import discover_models

#: Checks of each instance: ``{name: function(instance) -> bool}``.
INSTANCE_CHECK_FUNCS = {}
#: Checks of each instance, per attribute or index:
#: ``{name: function(instance) -> {attribute or index name: bool}}``.
ATTRIBUTE_CHECK_FUNCS = {"index": check_attributes_index}
#: Checks of each model: ``{name: function(model) -> {name: {"ok", "ko"}}}``.
MODEL_CHECK_FUNCS = {"index": check_model_index}
#: Checks of the database: ``{name: function() -> bool}``.
OTHER_CHECK_FUNCS = {"check_conflict_resolution": check_conflict_resolution}

#: How many instances are read between two trims of the connection's cache.
CHECK_BATCH_SIZE = 1000


def _chosen(model_checks, instance_checks, attribute_checks, other_checks):
    """The checks to run: those given, or all of them when no check of
    models, instances or attributes is given."""
    if not (model_checks or instance_checks or attribute_checks):
        return (
            list(MODEL_CHECK_FUNCS),
            list(INSTANCE_CHECK_FUNCS),
            list(ATTRIBUTE_CHECK_FUNCS),
            list(OTHER_CHECK_FUNCS),
        )
    return (
        list(model_checks or ()),
        list(instance_checks or ()),
        list(attribute_checks or ()),
        list(other_checks or ()),
    )


def check_health(
    *args: Any,
    model_checks: Iterable[str] | None = None,
    instance_checks: Iterable[str] | None = None,
    attribute_checks: Iterable[str] | None = None,
    other_checks: Iterable[str] | None = None,
    console: rich.console.Console | None = None,
) -> dict[str, Any]:
    """Run the health checks on the models that ``args`` name (modules,
    dotted paths or model classes, see :func:`discover_models`), in the
    current connection.

    :param model_checks: names of :data:`MODEL_CHECK_FUNCS` to run;
        ``instance_checks``, ``attribute_checks`` and ``other_checks`` name
        those of the other registries. Without any of the first three,
        every check runs.
    :param console: a :class:`rich.console.Console` to show progress on.
    :return: the report: ``{check function name: result}``, each result by
        model path (and by index for the index checks), as ``{"ok": n,
        "ko": n}`` counts; the database checks as booleans.
    """
    model_checks, instance_checks, attribute_checks, other_checks = _chosen(
        model_checks, instance_checks, attribute_checks, other_checks
    )
    models = sorted(discover_models(*args), key=lambda pair: pair[0])
    report = {}
    for key in other_checks:
        report[key] = OTHER_CHECK_FUNCS[key]()
    shown = (
        progress_on(console)
        if console is not None
        else contextlib.nullcontext(NoProgress())
    )
    with shown as progress:
        for path, model in models:
            for key in model_checks:
                check = MODEL_CHECK_FUNCS[key]
                report.setdefault(check.__name__, {})[path] = check(model)
            _check_instances(
                model, path, instance_checks, attribute_checks, report, progress
            )
    return report


def _check_instances(model, path, instance_checks, attribute_checks, report, progress):
    instance_counts = {
        key: report.setdefault(INSTANCE_CHECK_FUNCS[key].__name__, {}).setdefault(
            path, {"ok": 0, "ko": 0}
        )
        for key in instance_checks
    }
    attribute_counts = {
        key: report.setdefault(ATTRIBUTE_CHECK_FUNCS[key].__name__, {}).setdefault(
            path, {}
        )
        for key in attribute_checks
    }
    if not (instance_checks or attribute_checks):
        return
    table = Table(model)
    task = progress.task(f"{model.__name__}: checking", table.count())
    connection = Database.current_connection()
    after = Table.FIRST
    while True:
        identifiers = table.keys_after(None, after, CHECK_BATCH_SIZE)
        for identifier in identifiers:
            instance = table.instance(identifier)
            for key, counts in instance_counts.items():
                counts["ok" if INSTANCE_CHECK_FUNCS[key](instance) else "ko"] += 1
            for key, counts in attribute_counts.items():
                for name, ok in ATTRIBUTE_CHECK_FUNCS[key](instance).items():
                    counts.setdefault(name, {"ok": 0, "ko": 0})[
                        "ok" if ok else "ko"
                    ] += 1
        task.advance(len(identifiers))
        connection.cacheGC()
        if len(identifiers) < CHECK_BATCH_SIZE:
            break
        after = identifiers[-1]
    task.finish()


def is_healthy(report: dict[str, Any]) -> bool:
    """Whether a report of :func:`check_health` found nothing wrong."""

    def healthy(result):
        if isinstance(result, bool):
            return result
        if set(result) == {"ok", "ko"}:
            return result["ko"] == 0
        return all(healthy(value) for value in result.values())

    return all(healthy(result) for result in report.values())


def print_health(
    *args: Any,
    model_checks: Iterable[str] | None = None,
    instance_checks: Iterable[str] | None = None,
    attribute_checks: Iterable[str] | None = None,
    other_checks: Iterable[str] | None = None,
    console: rich.console.Console | None = None,
) -> dict[str, Any]:
    """Run :func:`check_health` and print its report as tables, with the
    meaning of each check, on ``console`` (the standard output by default).
    Progress goes to the standard error.

    :return: the report.
    """
    chosen = _chosen(model_checks, instance_checks, attribute_checks, other_checks)
    console = console or rich.console.Console()
    report = check_health(
        *args,
        model_checks=chosen[0],
        instance_checks=chosen[1],
        attribute_checks=chosen[2],
        other_checks=chosen[3],
        console=rich.console.Console(stderr=True),
    )
    registries = {
        "other": {key: OTHER_CHECK_FUNCS[key] for key in chosen[3]},
        "model": {key: MODEL_CHECK_FUNCS[key] for key in chosen[0]},
        "instance": {key: INSTANCE_CHECK_FUNCS[key] for key in chosen[1]},
        "attribute": {key: ATTRIBUTE_CHECK_FUNCS[key] for key in chosen[2]},
    }
    print_report(console, report, registries)
    return report


def fix_health(
    *args: Any, batches: Batches | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """Repair what :func:`check_health` finds in the indexes of the models
    that ``args`` name: file instances again under the keys they miss, drop
    orphan and stale entries, build missing indexes. Safe to run twice, and
    on a live database (see :mod:`sheraf.health.fixes`). Call it with a
    connection open.

    :param batches: how the work goes, a :class:`~sheraf.health.fixes.Batches`;
        by default a commit every 1000 instances.
    :return: ``{model path: {index name: {"refiled": n, "dropped": n}}}``.

    >>> class Horse(sheraf.Model):
    ...     table = "fix_health_horses"
    ...     name = sheraf.StringAttribute().index(unique=True)
    ...
    >>> with sheraf.connection(commit=True):
    ...     jolly = Horse.create(name="Jolly Jumper")
    ...
    >>> with sheraf.connection():
    ...     fix_health(Horse)
    {'sheraf.health.Horse': {'name': {'refiled': 0, 'dropped': 0}}}
    """
    return {
        path: rebuild(model, batches=batches)
        for path, model in sorted(discover_models(*args), key=lambda pair: pair[0])
    }


__all__ = [
    "ATTRIBUTE_CHECK_FUNCS",
    "INSTANCE_CHECK_FUNCS",
    "MODEL_CHECK_FUNCS",
    "OTHER_CHECK_FUNCS",
    "Batches",
    "UnknownModelError",
    "check_attributes_index",
    "check_conflict_resolution",
    "check_health",
    "check_model_index",
    "discover_models",
    "fix_health",
    "is_healthy",
    "print_health",
    "rebuild",
]
