"""The databases of this process, by name.

Databases belong to the process that created them. A forked child starts
with none: the ones its parent had are *inherited*, known here only to say
so when the child looks one up, and to let
:mod:`sheraf.green.gunicorn` open them again in each worker.

>>> from sheraf.processes import registry
>>> registry.database("saloon")
Traceback (most recent call last):
    ...
KeyError: "No database named 'saloon' in process .... Known databases: 'unnamed'."
"""

import os
from typing import Any

#: The name of the database of ``Database()``, ``Database.get()`` and
#: ``sheraf.connection()`` without a name.
DEFAULT_DATABASE_NAME = "unnamed"


class ProcessRegistry:
    """The databases of this process, by name, and the ones inherited from
    the process it was forked from."""

    def __init__(self):
        self.pid = os.getpid()
        #: The :class:`~sheraf.databases.Database` objects, by name.
        self.databases = {}
        #: The :class:`ZODB.DB` objects, by name: ZODB's multi-database map.
        self.zodb_databases = {}
        #: The databases of the parent process, by name.
        self.inherited = {}
        self.parent_pid = None
        #: What inherited databases held: never closed, never freed (see
        #: :meth:`park`).
        self.parked = []

    def database(self, name: str | None = None) -> Any:
        """The database named ``name`` (the default one without a name); a
        :class:`KeyError` that says why there is none."""
        name = name or DEFAULT_DATABASE_NAME
        try:
            return self.databases[name]
        except KeyError:
            raise self.missing(name) from None

    def park(self, *held):
        """Keep ``held`` (a parent's ZODB.DB and storage) forever. The
        parent process still uses them: closing them, or letting the garbage
        collector finalize them, could unregister its sockets from the
        parent's event loop."""
        self.parked.append(held)

    def after_fork_in_child(self):
        for database in self.databases.values():
            database.after_fork(self.pid)
        self.inherited.update(self.databases)
        self.parent_pid = self.pid
        self.pid = os.getpid()
        self.databases = {}
        self.zodb_databases = {}

    def missing(self, name: str) -> KeyError:
        """The :class:`KeyError` for a database named ``name`` that this
        process does not have."""
        message = f"No database named {name!r} in process {self.pid}."
        if name in self.inherited:
            message += (
                f" This process was forked from process {self.parent_pid}, "
                "which had one: databases are not inherited through fork. "
                "Create it again in this process, or call reset() on the "
                "inherited Database object."
            )
        elif self.databases:
            known = ", ".join(repr(known) for known in self.databases)
            message += f" Known databases: {known}."
        else:
            message += " Create one first, with sheraf.Database(uri)."
        return KeyError(message)


registry = ProcessRegistry()
os.register_at_fork(after_in_child=registry.after_fork_in_child)


def inherited_databases() -> list:
    """The databases this process inherited from the process it was forked
    from, and has neither opened again (:meth:`Database.reset`) nor closed."""
    return list(registry.inherited.values())
