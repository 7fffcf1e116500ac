"""The ``sheraf`` command: check, repair and rebuild the indexes of a live
database.

.. code-block:: console

    $ sheraf zeo://localhost:8100 check myapp.models
    $ sheraf zeo://localhost:8100 fix myapp.models
    $ sheraf zeo://localhost:8100 rebuild myapp.models.Cowboy --index name --commit

MODELS are modules or packages (every model they and their submodules
define), or dotted paths of model classes; the current folder is on the
import path. Progress shows as a bar on a terminal and as plain lines
otherwise (on the standard error); reports go to the standard output.
Ctrl-C stops between two batches, keeping the batches already committed.

Exit statuses: 0 done (and healthy, for ``check``); 1 ``check`` found
problems; 2 bad input (a URI, a model or an index that does not exist, a
database that cannot be reached), in which case nothing was written; 130
stopped by Ctrl-C.
"""

import contextlib
import signal
import sys

import click
import rich.console

import sheraf
from sheraf import health
from sheraf import storages
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.exceptions import InvalidURIException
from sheraf.health.fixes import Interrupted
from sheraf.health.progress import progress_on

EXIT_UNHEALTHY = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: How many objects the command's connection keeps in its cache, unless the
#: URI says (``cache_size=``): enough for the index buckets a batch goes
#: through, and a bound on the command's memory.
CACHE_SIZE = 50_000


class BadInput(click.ClickException):
    """Input that names something that does not exist: nothing is done."""

    exit_code = EXIT_BAD_INPUT


class OneLineErrors(click.Group):
    """A group whose errors are one line on the standard error, exit status
    2, instead of click's usage text."""

    def main(self, args=None, prog_name=None, **extra):
        try:
            status = super().main(
                args, prog_name=prog_name or "sheraf", standalone_mode=False, **extra
            )
        except click.exceptions.Abort:
            status = EXIT_INTERRUPTED
        except click.ClickException as exc:
            click.echo(f"sheraf: error: {exc.format_message()}", err=True)
            status = EXIT_BAD_INPUT
        sys.exit(status or 0)


@click.group(cls=OneLineErrors)
@click.argument("uri")
@click.pass_context
def cli(ctx, uri):
    """Check, repair and rebuild the indexes of the sheraf database at URI
    (zeo://host:port, file:///path/Data.fs, postgres://...)."""
    sys.path.append(".")
    try:
        storages.resolve(uri)
    except InvalidURIException as exc:
        raise BadInput(str(exc)) from None
    ctx.obj = uri


def _models(names):
    try:
        return sorted(health.discover_models(*names), key=lambda pair: pair[0])
    except health.UnknownModelError as exc:
        raise BadInput(str(exc)) from None


@contextlib.contextmanager
def _database(uri):
    """The database at ``uri``, open for the time of the block. The URI
    given wins over a database of the same name that importing the models
    opened (an application that opens its database at import)."""
    _, settings = storages.resolve(uri)
    name = settings.get("database_name", sheraf.Database.DEFAULT_DATABASE_NAME)
    opened_at_import = dict(sheraf.Database.all()).get(name)
    if opened_at_import is not None:
        opened_at_import.close()
    db_args = {} if "cache_size" in settings else {"cache_size": CACHE_SIZE}
    try:
        database = sheraf.Database(uri, db_args=db_args)
    except DatabaseUnavailableException as exc:
        raise BadInput(str(exc).splitlines()[0]) from None
    try:
        with database.connection():
            yield database
    finally:
        database.close()


class _CtrlC:
    """Ctrl-C asks the work to stop between two batches; a second one stops
    it at once."""

    def __init__(self):
        self.pressed = False

    def __enter__(self):
        self.previous = signal.signal(signal.SIGINT, self._press)
        return self

    def __exit__(self, *exc_info):
        signal.signal(signal.SIGINT, self.previous)

    def _press(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        click.echo("Stopping after this batch (Ctrl-C again to stop now).", err=True)

    def __call__(self):
        return self.pressed


def _stderr():
    return rich.console.Console(stderr=True)


@cli.command()
@click.argument("models", nargs=-1)
@click.pass_obj
def check(uri, models):
    """Check the indexes of MODELS and the storage server; exit status 1
    when something is wrong."""
    found = _models(models)
    with _database(uri):
        report = health.print_health(*(model for _, model in found))
    if not found:
        click.echo("No model given: only the database was checked.", err=True)
    return 0 if health.is_healthy(report) else EXIT_UNHEALTHY


@cli.command()
@click.argument("models", nargs=-1, required=True)
@click.option(
    "--batch-size",
    default=health.fixes.DEFAULT_BATCH_SIZE,
    type=click.IntRange(min=1),
    help="Instances or index keys per transaction.",
)
@click.pass_obj
def fix(uri, models, batch_size):
    """File the instances of MODELS again under the index keys they miss,
    drop orphan and stale index entries, build missing indexes; committed
    batch by batch, safe while the application writes."""
    found = _models(models)
    with _database(uri), progress_on(_stderr()) as progress, _CtrlC() as ctrl_c:
        batches = health.Batches(batch_size, progress=progress, interrupted=ctrl_c)
        return _report_changes(
            lambda: health.fix_health(*(model for _, model in found), batches=batches),
            kept="the batches already committed are kept",
        )


def _report_changes(work, kept):
    try:
        changes = work()
    except Interrupted as exc:
        click.echo(f"Stopped: {exc}; {kept}.", err=True)
        return EXIT_INTERRUPTED
    for path, by_index in changes.items():
        for name, counts in by_index.items():
            click.echo(
                f"{path}.{name}: {counts['refiled']} refiled, "
                f"{counts['dropped']} dropped"
            )
    return 0


@cli.command()
@click.argument("models", nargs=-1, required=True)
@click.option(
    "--index",
    "indexes",
    multiple=True,
    help="An index to rebuild (again for several); all of them by default.",
)
@click.option(
    "--batch-size",
    default=health.fixes.DEFAULT_BATCH_SIZE,
    type=click.IntRange(min=1),
    help="Instances or index keys per batch.",
)
@click.option(
    "--commit/--no-commit",
    default=False,
    help="Commit each batch (for a live database); otherwise one transaction "
    "for everything, committed at the end.",
)
@click.option(
    "--reset/--no-reset",
    default=True,
    help="Also drop the entries that no instance justifies (default), or "
    "only file the instances.",
)
@click.option(
    "--fork/--no-fork",
    default=False,
    help="Run each batch in a process of its own; implies --commit.",
)
@click.option(
    "--start", type=click.IntRange(min=0), help="Position of the first instance."
)
@click.option(
    "--end", type=click.IntRange(min=0), help="Position after the last instance."
)
@click.pass_obj
def rebuild(uri, models, indexes, batch_size, commit, reset, fork, start, end):
    """Rebuild the indexes of MODELS from their instances."""
    found = _models(models)
    for path, model in found:
        unknown = [name for name in indexes if name not in model.indexes]
        if unknown:
            raise BadInput(
                f"{path} has no index {unknown[0]!r}; its indexes are "
                f"{', '.join(map(repr, model.indexes))}."
            )
    if fork and uri.startswith("memory:"):
        raise BadInput(
            "--fork needs a database server: a memory:// database is not shared."
        )
    with _database(uri), progress_on(_stderr()) as progress, _CtrlC() as ctrl_c:
        batches = health.Batches(
            batch_size, commit=commit, fork=fork, progress=progress, interrupted=ctrl_c
        )

        def work():
            return {
                path: health.rebuild(
                    model, *indexes, reset=reset, start=start, end=end, batches=batches
                )
                for path, model in found
            }

        if batches.commit:
            return _report_changes(work, kept="the batches already committed are kept")
        return _report_changes(lambda: sheraf.attempt(work), kept="nothing was written")
