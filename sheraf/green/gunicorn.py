"""gunicorn hooks that give every worker its own databases.

Use it as the configuration module::

    gunicorn -c python:sheraf.green.gunicorn myapp:application

or from your own configuration file::

    from sheraf.green.gunicorn import *

(if your file defines one of these hooks too, call ours from it).

Databases the master opened (the application imported with ``--preload``,
or imported by the configuration) are inherited by every forked worker,
with the master's ZEO connection. In each worker, once gevent has patched
the standard library, :func:`post_worker_init` opens them again, under the
same names and settings, so that their ZEO clients cooperate with gevent;
the master's sockets are never touched. :func:`worker_exit` closes the
worker's databases. This works with the gevent, sync and gthread workers,
with and without ``--preload``.
"""

from typing import Any

import sheraf.processes

__all__ = ["post_worker_init", "worker_class", "worker_exit"]

#: sheraf.green is for gevent; ``-k sync`` or ``-k gthread`` still work.
worker_class = "gevent"


def post_worker_init(worker: Any) -> None:
    """Open again, in this worker, every database inherited from the master.

    gunicorn calls it after the worker is set up (and, for the gevent
    worker, after gevent patched the standard library), before it serves.
    """
    for database in sheraf.processes.inherited_databases():
        if database.name in dict(sheraf.Database.all()):
            # The application, imported in this worker, opened its own.
            database.close()
            continue
        database.reset()
        worker.log.info(
            "Worker %s opened database %r again.", worker.pid, database.name
        )


def worker_exit(server: Any, worker: Any) -> None:
    """Close the databases of the worker."""
    for _name, database in list(sheraf.Database.all()):
        database.close()
