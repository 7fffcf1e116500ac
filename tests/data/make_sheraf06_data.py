"""Write ``sheraf-0.6.0/`` beside this file with the real sheraf 0.6.0.

Run it with the Python of an environment that has sheraf 0.6.0 (the one
``python -m bench`` builds, or ``pip install sheraf==0.6.0 zeo``)::

    bench/.reference-venv/bin/python tests/data/make_sheraf06_data.py

It writes, with the models of ``sheraf06_models.py``:

- ``Data.fs`` and its ``blobs/`` folder: the default database;
- ``second.fs``: the database named ``sheraf06_second``;
- ``files/``: the files of file attributes, some of them queued for
  deletion in ``__sheraf_collected_files_to_remove``;
- ``expected.json``: what the tests compare with (passwords in clear,
  the files queued for deletion), as sheraf 0.6.0 reads it back.
"""

import datetime
import json
import os
import shutil
import sys
import uuid

from sheraf06_models import SECOND_DATABASE
from sheraf06_models import Cowboy
from sheraf06_models import Saddle
from sheraf06_models import Sheriff
from sheraf06_models import Status
from sheraf06_models import Steed
from sheraf06_models import Town
from sheraf06_models import index_answers

import sheraf
import sheraf.attributes.files

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "sheraf-0.6.0")
PASSWORDS = {
    "George": ("george-secret", "george-md5", "george-sha256"),
    "Peter": ("peter-secret", "peter-md5", "peter-sha256"),
}


class SaddleWithoutDatabaseName(sheraf.Model):
    """The saddles, before the model had a ``database_name``."""

    table = Saddle.table
    unique_table_name = False
    brand = sheraf.StringAttribute().index()


def main():
    if sheraf.__version__ != "0.6.0":
        sys.exit(f"sheraf 0.6.0 is needed, not {sheraf.__version__}")
    shutil.rmtree(TARGET, ignore_errors=True)
    os.makedirs(TARGET)
    os.chdir(TARGET)  # sheraf 0.6 writes files under ./files/
    default = sheraf.Database(f"file://{TARGET}/Data.fs?blobstorage_dir={TARGET}/blobs")
    try:
        write_cowboys()
        expected = write_sheriffs()
        with sheraf.connection():
            expected["queued_files"] = sorted(
                sheraf.FilesGarbageCollector.instance()._collected_paths()
            )
        # Saddles written before the model had a database_name are in the
        # default database; sheraf 0.6 reads them there too.
        with sheraf.connection(commit=True):
            SaddleWithoutDatabaseName.create(brand="Mexican")
        second = sheraf.Database(
            f"file://{TARGET}/second.fs", db_args={"database_name": SECOND_DATABASE}
        )
        try:
            expected.update(write_saddles(default.name))
            with sheraf.connection():
                expected["index_answers"] = index_answers()
        finally:
            second.close()
    finally:
        default.close()
    for leftover in os.listdir("."):
        if leftover.endswith((".index", ".lock", ".tmp")):
            os.remove(leftover)
    with open("expected.json", "w") as file:
        json.dump(expected, file, indent=2, sort_keys=True)
        file.write("\n")


def write_cowboys():
    """What tests/test_attributes_legacy_data.py reads."""
    with sheraf.connection(commit=True):
        steed = Steed.create(name="Jolly")
        cowboy = Cowboy.create(
            name="George",
            age=50,
            status=Status.SHERIF,
            small=[1, 2],
            large=[3, 4, 5],
            tags={"a", "b"},
            sdict={"k": "v"},
            ldict={"x": {"name": "X"}},
            horse={"name": "H"},
            steed=steed,
        )
        cowboy.shots.increment(7)
        cowboy.mules.create(name="Polly", age=3)


def write_sheriffs():
    with sheraf.connection(commit=True):
        for name, (password, md5, sha256) in PASSWORDS.items():
            Sheriff.create(
                name=name,
                email=f"{name}@Abitbol.example",
                age=len(name) * 10,
                nicknames=[f"{name}y", "the sheriff"],
                birth=datetime.date(1950 + len(name), 1, 2),
                licence=uuid.UUID(int=len(name)),
                password=password,
                md5_password=md5,
                sha256_password=sha256,
            )
    with sheraf.connection(commit=True):
        george = Sheriff.search(name="George").get()
        george.portrait = {"stream": b"<svg>George</svg>", "extension": "svg"}
        george.badge = sheraf.Blob.create(data=b"George's badge", filename="badge.txt")
        george.arrests.increment(12)
        george.hat = {"color": "black", "size": 7}
        george.hats = {"sunday": {"color": "white", "size": 7}}
        george.save()
        peter = Sheriff.search(name="Peter").get()
        peter.portrait = {"stream": b"JPEG of Peter", "extension": "jpg"}
        peter.save()
        Town.create(name="Dodge City", sheriff=george)
        Town.create(name="Tombstone", sheriff=peter)
        Town.create(name="Nowhere")
    with sheraf.connection(commit=True):
        # A new extension, a new path: sheraf 0.6 queues the old file.
        peter = Sheriff.search(name="Peter").get()
        peter.portrait = {"stream": b"PNG of Peter", "extension": "png"}
        peter.save()
        steven = Sheriff.create(name="Steven", email="steven@abitbol.example", age=30)
        steven.portrait = {"stream": b"Steven", "extension": "txt"}
        steven.save()
    with sheraf.connection(commit=True):
        del Sheriff.search(name="Steven").get().portrait
    return {"passwords": PASSWORDS}


def write_saddles(default_name):
    with sheraf.connection(commit=True):
        Saddle.create(brand="Texan")
    with sheraf.connection():
        return {
            "saddles": {
                name: sorted(
                    record["brand"]
                    for record in sheraf.Database.current_connection(name)
                    .root()[Saddle.table]["id"]
                    .values()
                )
                for name in (default_name, SECOND_DATABASE)
            },
            "saddles_read_by_sheraf_0_6": sorted(s.brand for s in Saddle.all()),
        }


if __name__ == "__main__":
    main()
