"""The application the bench serves on gunicorn: the saloon
(:mod:`examples.saloon.app`), and beside it the endpoints the bench
compares it with, on Flask as the saloon is, so that only what they do
with the database differs.

- ``GET /raw/cowboys/<id>``: the saloon's read endpoint written on raw
  ZODB by hand, the limit of the request path: ``DB.open()`` with a new
  transaction manager, ``begin()`` (with ZEO's ``server_sync``, the round
  trip to the server that makes the read as fresh as sheraf's), the lookup
  in an OOBTree of :class:`persistent.Persistent` records, the same JSON,
  ``abort()`` and ``close()``. Its
  :class:`ZODB.DB` has the same cooperative ZEO client as sheraf's
  databases (:func:`sheraf.storages.resolve`), on the same server;
- ``POST /raw/cowboys`` (``{"name": ...}``): files such a record, answers
  its JSON;
- ``POST /bench/tallies``: creates a :class:`bench.sheraf_api.Tally`;
  ``POST /bench/tallies/<id>/cheer``: ``tally.cheers.increment(1)``, a
  CounterAttribute, in :class:`sheraf.green.wsgi.ConnectionMiddleware`
  like the saloon's routes; ``GET /bench/tallies/<id>``.

Every other path goes to the saloon.
"""

import os
import uuid

import flask
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


raw = flask.Flask("bench.raw", static_folder=None)
tallies = flask.Flask("bench.tallies", static_folder=None)
tallies.config["PROPAGATE_EXCEPTIONS"] = True  # conflicts reach the middleware


@raw.get("/raw/cowboys/<cowboy_id>")
def raw_read(cowboy_id):
    manager = transaction.TransactionManager()
    connection = raw_database.open(transaction_manager=manager)
    try:
        manager.begin()
        table = connection.root().get(RAW_TABLE)
        record = None if table is None else table.get(cowboy_id)
        payload = None if record is None else record.as_json()
    finally:
        manager.abort()
        connection.close()
    if payload is None:
        flask.abort(404)
    return payload


@raw.post("/raw/cowboys")
def raw_create():
    name = flask.request.get_json(force=True).get("name", "")
    manager = transaction.TransactionManager()
    connection = raw_database.open(transaction_manager=manager)
    try:
        manager.begin()
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
    return payload, 201


@tallies.post("/bench/tallies")
def create_tally():
    return {"id": Tally.create().id}, 201


@tallies.get("/bench/tallies/<tally_id>")
def read_tally(tally_id):
    tally = Tally.read(tally_id)
    return {"id": tally.id, "cheers": int(tally.cheers)}


@tallies.post("/bench/tallies/<tally_id>/cheer")
def cheer(tally_id):
    tally = Tally.read(tally_id)
    tally.cheers.increment(1)
    return {"id": tally.id, "cheers": int(tally.cheers)}


tallies_in_connections = ConnectionMiddleware(tallies)


def application(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    if path.startswith("/raw/"):
        return raw(environ, start_response)
    if path.startswith("/bench/"):
        return tallies_in_connections(environ, start_response)
    return saloon(environ, start_response)
