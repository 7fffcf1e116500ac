"""The data of a sheraf 0.6.0 application opens with this sheraf.

``data/sheraf-0.6.0/`` was written by the real sheraf 0.6.0
(``data/make_sheraf06_data.py`` says how, ``data/sheraf06_models.py``
holds the models both versions use): the default database with its blobs,
a second database, the files of file attributes (two of them queued for
deletion), and ``expected.json``, what sheraf 0.6.0 read back. Each test
opens a copy, in a FileStorage and through a real ZEO server.
"""

import datetime
import json
import os
import shutil
import uuid

import pytest

import sheraf
from sheraf import health
from sheraf.servers import start_zeo_server
from sheraf.servers import stop_zeo_server
from tests.data.sheraf06_models import SECOND_DATABASE
from tests.data.sheraf06_models import Cowboy
from tests.data.sheraf06_models import Saddle
from tests.data.sheraf06_models import Sheriff
from tests.data.sheraf06_models import Town
from tests.data.sheraf06_models import index_answers

DATA = os.path.join(os.path.dirname(__file__), "data", "sheraf-0.6.0")
with open(os.path.join(DATA, "expected.json")) as _file:
    EXPECTED = json.load(_file)


@pytest.fixture(params=["filestorage", "zeo"])
def upgraded(request, tmp_path):
    """A copy of the data, opened as the default and the second database;
    file attributes use its files. The copy's folder."""
    data = tmp_path / "sheraf-0.6.0"
    shutil.copytree(DATA, data)
    previous_root = sheraf.set_files_root_dir(str(data / "files"))
    server = None
    if request.param == "zeo":
        server, port = start_zeo_server(str(data))
        uri = f"zeo://127.0.0.1:{port}?blob_dir={tmp_path}/client-blobs"
    else:
        uri = f"file://{data}/Data.fs?blobstorage_dir={data}/blobs"
    default = sheraf.Database(uri)
    second = sheraf.Database(
        f"file://{data}/second.fs", db_args={"database_name": SECOND_DATABASE}
    )
    yield data
    second.close()
    default.close()
    if server is not None:
        stop_zeo_server(server)
    sheraf.set_files_root_dir(previous_root)


def sheriff(name):
    return Sheriff.search(name=name).get()


def test_every_password_verifies_and_is_rehashed(upgraded):
    passwords = EXPECTED["passwords"]
    attributes = ("password", "md5_password", "sha256_password")
    with sheraf.connection():
        legacy = {
            name: [sheriff(name).mapping[attribute] for attribute in attributes]
            for name in passwords
        }
    assert all(
        not h.startswith("$scrypt$") for hashes in legacy.values() for h in hashes
    )
    with sheraf.connection(commit=True):
        for name, clears in passwords.items():
            for attribute, clear in zip(attributes, clears, strict=True):
                assert not getattr(sheriff(name), attribute) == clear + "?"
                assert getattr(sheriff(name), attribute) == clear
    with sheraf.connection():
        for name, clears in passwords.items():
            for attribute, clear in zip(attributes, clears, strict=True):
                password = getattr(sheriff(name), attribute)
                assert str(password).startswith("$scrypt$") and password == clear
        assert sheriff("Steven").password is None


def test_the_files_queued_by_sheraf_0_6_are_removed(upgraded):
    files = upgraded / "files"
    queued = EXPECTED["queued_files"]
    assert len(queued) == 2 and all((files / path).exists() for path in queued)
    with sheraf.connection():
        collector = sheraf.FilesGarbageCollector.instance()
        assert collector and sorted(collector) == queued
        assert all(path in collector for path in queued)
        collector.clear()  # this connection does not commit: nothing changes
    assert all((files / path).exists() for path in queued)
    with sheraf.connection(commit=True):
        sheraf.FilesGarbageCollector.instance().clear()
    assert not any((files / path).exists() for path in queued)
    with sheraf.connection():
        assert not sheraf.FilesGarbageCollector.instance()
        george, peter = sheriff("George"), sheriff("Peter")
        assert (george.portrait.stream, george.portrait.extension) == (
            b"<svg>George</svg>",
            "svg",
        )
        assert (peter.portrait.stream, peter.portrait.extension) == (
            b"PNG of Peter",
            "png",
        )
        assert sheriff("Steven").portrait is None


def test_a_file_of_sheraf_0_6_is_replaced_and_removed(upgraded):
    with sheraf.connection():
        old_path = sheriff("George").portrait.absolute_path()
    with sheraf.connection(commit=True):
        george = sheriff("George")
        george.portrait = {"stream": b"<svg>New</svg>", "extension": "svg"}
    assert not os.path.exists(old_path)
    with sheraf.connection():
        assert sheriff("George").portrait.stream == b"<svg>New</svg>"


def test_blobs_counters_and_inline_models_read_and_change(upgraded):
    with sheraf.connection(commit=True):
        george, peter = sheriff("George"), sheriff("Peter")
        badge = george.badge
        assert (badge.data, badge["data"], badge.original_name) == (
            b"George's badge",
            b"George's badge",
            "badge.txt",
        )
        assert badge.file_extension == "txt" and len(badge) == 1 and badge
        assert peter.badge is None
        assert george.arrests == 12 and peter.arrests == 0
        assert (george.hat.color, george.hat.size) == ("black", 7)
        assert george.hats["sunday"].color == "white"
        assert george.birth == datetime.date(1956, 1, 2)
        assert list(george.nicknames) == ["Georgey", "the sheriff"]
        george.arrests += 1
        george.hats["monday"] = {"color": "grey", "size": 8}
        george.badge = {"data": b"New badge", "filename": "badge.md"}
    with sheraf.connection():
        george = sheriff("George")
        assert george.arrests == 13 and george.hats["monday"].size == 8
        assert george.badge.data == b"New badge"
        assert Town.search(name="Dodge City").get().sheriff == george


def test_a_uuid_index_of_sheraf_0_6_answers(upgraded):
    with sheraf.connection():
        assert sheriff("George").licence == uuid.UUID(int=6)
        assert [s.name for s in Sheriff.search(licence=uuid.UUID(int=6))] == ["George"]
        assert [s.name for s in Sheriff.search(licence=5)] == ["Peter"]


def test_a_new_instance_shares_a_multiple_index_key_with_sheraf_0_6_ones(upgraded):
    # sheraf 0.6 filed the records of a multiple index under the integer of
    # their UUID: the bucket is filed by identifier when first written.
    with sheraf.connection(commit=True):
        Sheriff.create(name="Wyatt", email="wyatt@earp.example", age=50)
    with sheraf.connection(commit=True):
        assert sorted(s.name for s in Sheriff.search(age=50)) == ["Peter", "Wyatt"]
        assert [s.name for s in Sheriff.search(age=50, nicknames="Petery")] == ["Peter"]
        sheriff("Peter").age = 51
        sheriff("Wyatt").delete()
    with sheraf.connection():
        assert list(Sheriff.search(age=50)) == []
        assert [s.name for s in Sheriff.search(age=51)] == ["Peter"]


def test_an_instance_created_after_the_upgrade_is_stored_as_sheraf_0_6_does(
    upgraded,
):
    with sheraf.connection(commit=True):
        wyatt = Sheriff.create(
            name="Wyatt", email="wyatt@earp.example", age=50, nicknames=["the sheriff"]
        )
        # The identifier as an integer in the record, so that sheraf 0.6
        # reads it after a rollback.
        assert type(wyatt.mapping["id"]) is type(sheriff("Peter").mapping["id"]) is int
        assert wyatt.mapping["id"] == uuid.UUID(wyatt.id).int
    with sheraf.connection(commit=True):
        Sheriff.index_table_rebuild("age", "nicknames")
    with sheraf.connection():
        assert Sheriff.read(wyatt.id).name == "Wyatt"
        assert sorted(s.name for s in Sheriff.search(nicknames="the sheriff")) == [
            "George",
            "Peter",
            "Wyatt",
        ]
        ordered = [(s.age, s.name) for s in Sheriff.all().order(age=sheraf.DESC)]
        assert [age for age, _ in ordered] == [60, 50, 50, 30]
        assert sorted(ordered) == [
            (30, "Steven"),
            (50, "Peter"),
            (50, "Wyatt"),
            (60, "George"),
        ]


def test_an_order_over_sheraf_0_6_records_lists_each_once(upgraded):
    with sheraf.connection(commit=True):
        Sheriff.create(name="Doc", email="doc@holliday.example", age=None)
        ordered = [s.name for s in Sheriff.all().order(age=sheraf.DESC)]
        assert ordered == [*EXPECTED["index_answers"]["sheriffs ordered by age"], "Doc"]


# --- Index queries and the second database --------------------------------
# The compat-models work adds its tests here: expected.json holds what
# sheraf 0.6.0 answered, "index_answers" (sheraf06_models.index_answers())
# and "saddles" (the brands of the saddles in each database; sheraf 0.6.0
# reads both through Saddle, whose database_name is SECOND_DATABASE).


def test_every_index_query_answers_as_in_sheraf_0_6(upgraded):
    with sheraf.connection():
        assert index_answers() == EXPECTED["index_answers"]


def test_an_indexed_model_attribute_of_sheraf_0_6_answers_its_queries(upgraded):
    with sheraf.connection(commit=True):
        george = Cowboy.search(name="George").get()
        polly = george.mules.read("Polly")
        assert list(george.mules.search(age=3)) == [polly]
        george.mules.create(name="Molly", age=3)
        polly.age = 4
    with sheraf.connection():
        mules = Cowboy.search(name="George").get().mules
        assert [mule.name for mule in mules.search(age=3)] == ["Molly"]
        assert [mule.name for mule in mules.order(age=sheraf.DESC)] == [
            "Polly",
            "Molly",
        ]


def test_saddles_of_both_databases_stay_where_sheraf_0_6_wrote_them(upgraded):
    default = sheraf.Database.get().name
    with sheraf.connection(commit=True):
        assert (
            sorted(s.brand for s in Saddle.all())
            == (EXPECTED["saddles_read_by_sheraf_0_6"])
        )
        Saddle.search(brand="Mexican").get().brand = "Spanish"
        Saddle.create(brand="Navajo")
    with sheraf.connection():
        in_each = {
            name: sorted(
                record["brand"]
                for record in sheraf.Database.current_connection(name)
                .root()[Saddle.table]["id"]
                .values()
            )
            for name in (default, SECOND_DATABASE)
        }
        assert in_each == {default: ["Spanish"], SECOND_DATABASE: ["Navajo", "Texan"]}
        assert [s.brand for s in Saddle.search(brand="Spanish")] == ["Spanish"]
        assert list(Saddle.search(brand="Mexican")) == []
        assert Saddle.count() == 3
    with sheraf.connection(commit=True) as connection:
        Saddle.search(brand="Spanish").get().delete()
        assert not connection.root()[Saddle.table]["id"]
        assert sorted(s.brand for s in Saddle.all()) == ["Navajo", "Texan"]


def test_the_health_checks_find_sheraf_0_6_indexes_healthy(upgraded):
    # Its multiple indexes file UUID models by the integer of the UUID: the
    # checks find them there, and the fix has nothing to do.
    models = [Cowboy, Sheriff, Town]
    with sheraf.connection():
        assert health.is_healthy(health.check_health(*models))
        fixed = health.fix_health(*models)
    assert {
        count
        for counts in fixed.values()
        for changes in counts.values()
        for count in changes.values()
    } == {0}
    with sheraf.connection():
        assert [s.name for s in Sheriff.search(age=50)] == ["Peter"]
