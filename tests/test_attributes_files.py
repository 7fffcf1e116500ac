"""Blob and file attributes."""

import io
import os

import pytest

import sheraf


@pytest.fixture
def files_root(tmp_path):
    root = str(tmp_path / "files")
    previous = sheraf.set_files_root_dir(root)
    yield root
    sheraf.set_files_root_dir(previous)


class Cowboy(sheraf.Model):
    table = "files_test_cowboys"
    fax = sheraf.BlobAttribute()
    faxes = sheraf.LargeListAttribute(sheraf.BlobAttribute())
    portrait = sheraf.FileAttribute()


class Upload:
    """What a web framework gives for an uploaded file."""

    def __init__(self, filename, content):
        self.filename = filename
        self.stream = io.BytesIO(content)


def test_a_blob_attribute_stores_binary_content(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(fax={"data": b"Hello George!", "filename": "fax.txt"})
        peter = Cowboy.create(
            fax=Upload("note.md", b"# Hi"),
            faxes=[b"one", {"stream": io.BytesIO(b"two")}],
        )
        steven = Cowboy.create(fax=sheraf.Blob.create(data=b"copied", filename="c.bin"))
        assert Cowboy.create().fax is None
    with sheraf.connection():
        fax = Cowboy.read(george.id).fax
        assert (fax.data, fax.original_name, fax.file_extension) == (
            b"Hello George!",
            "fax.txt",
            "txt",
        )
        assert (
            str(fax) == "fax.txt" and repr(fax) == '<Blob filename="fax.txt">' and fax
        )
        with fax.open() as file:
            assert file.read(5) == b"Hello"
        assert os.path.exists(fax.filename)
        peter = Cowboy.read(peter.id)
        assert peter.fax.data == b"# Hi" and peter.fax.original_name == "note.md"
        assert [blob.data for blob in peter.faxes] == [b"one", b"two"]
        assert Cowboy.read(steven.id).fax.data == b"copied"


def test_a_blob_can_be_replaced_and_deleted(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(fax=b"first")
        george.fax = b"second"
        assert george.fax.data == b"second"
        george.update(fax=b"third")
    with sheraf.connection(commit=True):
        george = Cowboy.read(george.id)
        assert george.fax.data == b"third"
        george.fax.delete()
    with sheraf.connection():
        assert Cowboy.read(george.id).fax is None


def test_a_blob_attribute_refuses_other_values(db):
    with sheraf.connection():
        with pytest.raises(
            TypeError, match=r"Cowboy.fax \(BlobAttribute\) cannot hold 'text'"
        ):
            Cowboy.create(fax="text")


def test_a_file_attribute_writes_files_under_the_root(db, files_root):
    with sheraf.connection(commit=True):
        george = Cowboy.create(portrait={"stream": b"<svg/>", "extension": "svg"})
        peter = Cowboy.create(portrait=b"raw")
        relative_path = george.mapping["portrait"]
    assert relative_path.startswith(os.path.join("files_test_cowboys", "portrait", ""))
    assert relative_path.endswith(".svg")
    with open(os.path.join(files_root, relative_path), "rb") as file:
        assert file.read() == b"<svg/>"
    with sheraf.connection():
        portrait = Cowboy.read(george.id).portrait
        assert (
            portrait.stream == b"<svg/>"
            and portrait.extension == "svg"
            and portrait.exists()
        )
        assert portrait == sheraf.FileObject(stream=b"<svg/>", extension="svg")
        assert dict(portrait) == {"stream": b"<svg/>", "extension": "svg"}
        assert Cowboy.read(peter.id).portrait.stream == b"raw"
        assert Cowboy.read(peter.id).portrait.extension == ""


def test_a_replaced_file_is_removed_when_the_transaction_commits(db, files_root):
    with sheraf.connection(commit=True):
        george = Cowboy.create(portrait=b"old")
        old_path = george.portrait.absolute_path()
    with sheraf.connection(commit=True):
        george = Cowboy.read(george.id)
        george.portrait = b"new"
        assert os.path.exists(old_path)
        new_path = george.portrait.absolute_path()
    assert not os.path.exists(old_path) and os.path.exists(new_path)
    with sheraf.connection(commit=True):
        del Cowboy.read(george.id).portrait
    assert not os.path.exists(new_path)


def test_a_new_file_is_removed_when_the_transaction_aborts(db, files_root):
    with sheraf.connection(commit=True):
        george = Cowboy.create(portrait=b"kept")
        kept = george.portrait.absolute_path()
    with sheraf.connection():
        george = Cowboy.read(george.id)
        george.portrait = b"dropped"
        dropped = george.portrait.absolute_path()
        assert os.path.exists(dropped)
    assert not os.path.exists(dropped) and os.path.exists(kept)
    with sheraf.connection():
        assert Cowboy.read(george.id).portrait.stream == b"kept"


def test_a_copy_has_its_own_file(db, files_root):
    with sheraf.connection(commit=True):
        george = Cowboy.create(portrait={"stream": b"me", "extension": "txt"})
        copy = george.copy()
        assert copy.portrait.relative_path() != george.portrait.relative_path()
        assert copy.portrait == george.portrait


def test_a_file_attribute_refuses_other_values(db, files_root):
    with sheraf.connection():
        with pytest.raises(
            TypeError, match=r"Cowboy.portrait \(FileAttribute\) cannot hold 'text'"
        ):
            Cowboy.create(portrait="text")
        with pytest.raises(TypeError, match="the content of a file must be bytes"):
            Cowboy.create(portrait={"stream": "text"})
    assert not os.path.exists(files_root)


def test_a_blob_reads_as_sheraf_0_6_did(db):
    class SignedBlob(sheraf.Blob):
        author = sheraf.StringAttribute()

    with sheraf.connection():
        blob = SignedBlob.create(data=b"x", filename="notes.tar.gz", author="George")
        assert (blob["data"], blob["original_name"], blob.author) == (
            b"x",
            "notes.tar.gz",
            "George",
        )
        assert blob.file_extension == "gz" and len(blob) == 1 and blob
        assert sheraf.Blob.create(data=b"x", filename="README").file_extension == (
            "README"
        )
        empty = sheraf.Blob.create()
        assert not empty and len(empty) == 0 and repr(empty) == '<Blob filename="None">'
        assert Cowboy.create(fax=empty).fax is None
        assert not sheraf.Blob.create(stream=io.BytesIO(b""))


def test_the_file_object_api_of_sheraf_0_6(db, files_root):
    with sheraf.connection(commit=True):
        george = Cowboy.create()
        portrait = sheraf.FileObject(stream=b"<svg/>", extension="svg")
        assert portrait.relative_path() is None and portrait.model is None
        portrait.associate(george, "portrait")
        assert repr(portrait) == "<FileObject model='Cowboy' attribute_name='portrait'>"
        assert portrait.directory() == os.path.join(
            files_root, "files_test_cowboys", "portrait"
        )
        portrait.write()
        first_path = portrait.absolute_path()
        assert os.path.dirname(first_path) == portrait.directory()
        read = sheraf.FileObject.read(george, "portrait")
        assert read.model is george and read.attribute_name == "portrait"
        assert read.stream == b"<svg/>" and read == george.portrait
        assert sheraf.FileObject.read(Cowboy.create(), "portrait") is None
    with sheraf.connection(commit=True):
        george = Cowboy.read(george.id)
        george.portrait["stream"] = b"<svg>2</svg>"
        george.portrait["extension"] = "xml"
        george.save()
        assert os.path.exists(first_path)
    assert not os.path.exists(first_path)
    with sheraf.connection(commit=True):
        portrait = Cowboy.read(george.id).portrait
        assert (portrait.stream, portrait.extension) == (b"<svg>2</svg>", "xml")
        second_path = portrait.absolute_path()
        with pytest.raises(KeyError):
            portrait["model"] = None
        portrait.delete()
        assert Cowboy.read(george.id).portrait is None
        assert portrait.absolute_path() == second_path
        assert os.path.exists(second_path)
    assert not os.path.exists(second_path)


def test_the_files_that_sheraf_0_6_queued_are_removed_on_commit(tmp_path, files_root):
    database = sheraf.Database(f"file://{tmp_path}/Data.fs")
    queued = ["files_test_cowboys/portrait/old.png", "elsewhere.txt"]
    outside = tmp_path / "outside.txt"
    for path in [*queued, "kept.txt"]:
        os.makedirs(os.path.dirname(os.path.join(files_root, path)), exist_ok=True)
        with open(os.path.join(files_root, path), "wb") as file:
            file.write(b"x")
    outside.write_bytes(b"x")
    try:
        with sheraf.connection(commit=True) as connection:
            collector = sheraf.FilesGarbageCollector.instance()
            assert not collector and list(collector) == []
            collector.clear()
            assert collector.DEFAULT_TABLE not in connection.root()
            # What sheraf 0.6 left: a set of paths under the files root.
            connection.root()[collector.DEFAULT_TABLE] = sheraf.types.Set(
                [*queued, "../outside.txt"]
            )
        with sheraf.connection(commit=True):
            assert queued[0] in collector and "kept.txt" not in collector
            collector.clear()
            assert not collector
            assert os.path.exists(os.path.join(files_root, queued[0]))
        assert not any(os.path.exists(os.path.join(files_root, p)) for p in queued)
        assert os.path.exists(os.path.join(files_root, "kept.txt"))
        assert outside.exists()
    finally:
        database.close()
