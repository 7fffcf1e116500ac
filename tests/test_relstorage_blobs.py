"""Blobs on RelStorage, as on ZEO: written by one application machine, read,
replaced and deleted by another, each with its own blob cache folder
(``blob_dir``, with ``shared_blob_dir=false``: the blobs live in
PostgreSQL). A real PostgreSQL server (see tests/test_relstorage.py).
"""

import pytest

import sheraf


class Cowboy(sheraf.Model):
    table = "relstorage_blob_cowboys"
    name = sheraf.StringAttribute()
    fax = sheraf.BlobAttribute()
    faxes = sheraf.LargeListAttribute(sheraf.BlobAttribute())


BIG = bytes(range(256)) * 12_000  # 3 MB, more than one chunk


@pytest.fixture(params=["history", "history-free"])
def machine(request, pg_uri, tmp_path):
    """A function that opens the database as a new machine would: a
    Database of its own, with its own blob cache folder."""
    keep_history = "true" if request.param == "history" else "false"
    opened = []

    def open_machine(name):
        uri = (
            f"{pg_uri}?blob_dir={tmp_path / name}&shared_blob_dir=false"
            f"&keep_history={keep_history}"
        )
        database = sheraf.Database(uri, db_args={"database_name": name})
        opened.append(database)
        return name

    yield open_machine
    for database in opened:
        database.close()


def test_a_blob_written_by_one_machine_is_read_by_another(machine):
    first, second = machine("first"), machine("second")
    with sheraf.connection(first, commit=True):
        cowboy = Cowboy.create(
            name="George",
            fax=sheraf.Blob.create(data=BIG, filename="fax.bin"),
            faxes=[sheraf.Blob.create(data=b"one"), sheraf.Blob.create(data=b"two")],
        )
    with sheraf.connection(second):
        read = Cowboy.read(cowboy.id)
        assert read.fax.data == BIG
        assert read.fax.original_name == "fax.bin"
        assert [blob.data for blob in read.faxes] == [b"one", b"two"]


def test_a_blob_replaced_and_deleted_on_one_machine_is_seen_by_another(machine):
    first, second = machine("first"), machine("second")
    with sheraf.connection(first, commit=True):
        cowboy_id = Cowboy.create(fax=sheraf.Blob.create(data=b"old", filename="a")).id
    with sheraf.connection(second):
        assert Cowboy.read(cowboy_id).fax.data == b"old"  # now in its cache

    with sheraf.connection(first, commit=True):
        Cowboy.read(cowboy_id).fax = sheraf.Blob.create(data=b"new", filename="b")
    with sheraf.connection(second):
        assert Cowboy.read(cowboy_id).fax.data == b"new"

    with sheraf.connection(first, commit=True):
        del Cowboy.read(cowboy_id).fax
    with sheraf.connection(second):
        assert not Cowboy.read(cowboy_id).fax


def test_a_blob_of_an_aborted_transaction_is_not_stored(machine):
    first = machine("first")
    with sheraf.connection(first, commit=True):
        cowboy_id = Cowboy.create(name="George").id
    with sheraf.connection(first):
        Cowboy.read(cowboy_id).fax = sheraf.Blob.create(data=b"draft")
    second = machine("second")
    with sheraf.connection(second):
        assert not Cowboy.read(cowboy_id).fax
