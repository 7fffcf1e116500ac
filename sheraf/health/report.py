"""The report of :func:`sheraf.health.check_health`, as tables."""

from rich.table import Table


def _caption(check):
    """The first paragraph of a check's docstring: what a KO means."""
    return " ".join((check.__doc__ or "").strip().split("\n\n")[0].split())


def _table(title, check, first_column):
    table = Table(title=title, caption=_caption(check), expand=True)
    table.add_column(first_column)
    table.add_column("KO", justify="right")
    table.add_column("OK", justify="right")
    return table


def _add_counts(table, by_model):
    """One row per model, with the sums, and one per index."""
    for path, by_name in by_model.items():
        table.add_row(
            path,
            str(sum(counts["ko"] for counts in by_name.values())),
            str(sum(counts["ok"] for counts in by_name.values())),
        )
        for name, counts in by_name.items():
            table.add_row(f"  - {name}", str(counts["ko"]), str(counts["ok"]))


def print_report(console, report, registries):
    """Print ``report`` on ``console``: one table per check of
    ``registries`` (``{"other"|"model"|"instance"|"attribute": {key:
    check}}``)."""
    for key, check in registries["other"].items():
        table = Table(title=key, caption=_caption(check), expand=True)
        table.add_column("Check")
        table.add_column("State")
        table.add_row(key, "OK" if report.get(key) else "KO")
        console.print(table)
    for kind in ("model", "attribute"):
        for check in registries[kind].values():
            by_model = report.get(check.__name__, {})
            if not by_model:
                console.print(f"{check.__name__}: no model to check.")
                continue
            table = _table(check.__name__, check, "Model")
            _add_counts(table, by_model)
            console.print(table)
    for check in registries["instance"].values():
        table = _table(check.__name__, check, "Model")
        for path, counts in report.get(check.__name__, {}).items():
            table.add_row(path, str(counts["ko"]), str(counts["ok"]))
        console.print(table)
