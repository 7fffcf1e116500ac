"""The application the bench serves on gunicorn: the saloon
(:mod:`examples.saloon.app`), and beside it the endpoints the bench
compares it with.

- ``GET /raw/cowboys/<id>``: the saloon's read endpoint written on raw
  ZODB by hand, the limit of the request path: ``DB.open()`` with a new
  transaction manager, the lookup in an OOBTree of
  :class:`persistent.Persistent` records, the same JSON, ``close()`` (a
  read joins no transaction: there is nothing to abort). Its :class:`ZODB.DB` has the same cooperative ZEO client as
  sheraf's databases (:func:`sheraf.storages.resolve`), on the same server;
- ``POST /raw/cowboys`` (``{"name": ...}``): files such a record, answers
  its JSON;
- ``POST /bench/tallies``: creates a :class:`bench.sheraf_api.Tally`;
  ``POST /bench/tallies/<id>/cheer``: ``tally.cheers.increment(1)``, a
  CounterAttribute, in :class:`sheraf.green.wsgi.ConnectionMiddleware`
  like the saloon's routes; ``GET /bench/tallies/<id>``.

Every other path goes to the saloon.
"""

import json
import os
import uuid

import persistent
import transaction
import ZODB
from BTrees.OOBTree import OOBTree

from bench.sheraf_api import Tally
from examples.saloon.app import application as saloon
from sheraf import storages
from sheraf.green.wsgi import ConnectionMiddleware

RAW_TABLE = "bench_raw_cowboys"


class RawCowboy(persistent.Persistent):
    def __init__(self, identifier, name):
        self.id = identifier
        self.name = name
        self.gunskill = 0

    def as_json(self):
        return {"id": self.id, "name": self.name, "gunskill": self.gunskill}


def _open_raw_database():
    open_storage, db_settings = storages.resolve(
        os.environ.get("SALOON_DATABASE", "memory://")
    )
    return ZODB.DB(open_storage(), **db_settings)


raw_database = _open_raw_database()


def respond(start_response, status, payload):
    body = json.dumps(payload).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def raw_read(environ, start_response, cowboy_id):
    connection = raw_database.open(transaction_manager=transaction.TransactionManager())
    try:
        table = connection.root().get(RAW_TABLE)
        record = None if table is None else table.get(cowboy_id)
        payload = None if record is None else record.as_json()
    finally:
        connection.close()
    if payload is None:
        return respond(start_response, "404 Not Found", {"error": "No such cowboy."})
    return respond(start_response, "200 OK", payload)


def raw_create(environ, start_response):
    name = json.loads(environ["wsgi.input"].read() or b"{}").get("name", "")
    manager = transaction.TransactionManager()
    connection = raw_database.open(transaction_manager=manager)
    try:
        root = connection.root()
        if RAW_TABLE not in root:
            root[RAW_TABLE] = OOBTree()
        cowboy = RawCowboy(str(uuid.uuid4()), name)
        root[RAW_TABLE][cowboy.id] = cowboy
        payload = cowboy.as_json()
        manager.commit()
    finally:
        manager.abort()
        connection.close()
    return respond(start_response, "201 Created", payload)


def tallies(environ, start_response):
    """The routes of :class:`~bench.sheraf_api.Tally`, in a connection."""
    method = environ["REQUEST_METHOD"]
    parts = environ["PATH_INFO"].strip("/").split("/")[2:]
    if method == "POST" and not parts:
        return respond(start_response, "201 Created", {"id": Tally.create().id})
    tally = Tally.read(parts[0])
    if method == "POST" and parts[1:] == ["cheer"]:
        tally.cheers.increment(1)
    return respond(
        start_response, "200 OK", {"id": tally.id, "cheers": int(tally.cheers)}
    )


tallies_in_connections = ConnectionMiddleware(tallies)


def application(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    if path.startswith("/raw/cowboys"):
        parts = path.strip("/").split("/")
        if len(parts) == 3 and environ["REQUEST_METHOD"] == "GET":
            return raw_read(environ, start_response, parts[2])
        return raw_create(environ, start_response)
    if path.startswith("/bench/tallies"):
        return tallies_in_connections(environ, start_response)
    return saloon(environ, start_response)
