"""Binary files stored in the database, as ZODB blobs."""

import shutil
from collections.abc import Mapping

import ZODB.blob

from sheraf.attributes.base import Attribute
from sheraf.attributes.models import InlineModelAttribute
from sheraf.models.inline import InlineModel
from sheraf.types import SmallDict


class Blob(InlineModel):
    """A file stored as a :class:`ZODB.blob.Blob`, with its original name.
    Its content is read from the storage's blob folder when it is needed:
    an open connection is needed to read it. The storage must keep blobs
    (a ``blob_dir`` for ZEO clients and file storages).
    """

    @classmethod
    def create(cls, data=None, filename=None, stream=None, **kwargs):
        """A blob holding ``data`` (bytes), or what is read from ``stream``
        (a binary file object), and the ``filename`` it had; ``kwargs`` are
        the values of the attributes of a subclass. With no content and no
        name, the blob is empty: it is false, and an attribute given it
        reads as ``None``."""
        blob = super().create(**kwargs)
        zodb_blob = ZODB.blob.Blob()
        with zodb_blob.open("w") as file:
            if stream is not None:
                shutil.copyfileobj(stream, file)
            elif data:
                file.write(data)
            written = file.tell()
        if written or filename:
            blob.mapping["blob"] = zodb_blob
            blob.mapping["original_name"] = filename
        return blob

    def open(self, mode="r"):
        """The content, as an open binary file."""
        return self.mapping["blob"].open(mode)

    @property
    def data(self):
        """The content, as bytes."""
        with self.open() as file:
            return file.read()

    @property
    def original_name(self):
        """The name of the file it was created from."""
        return self.mapping["original_name"]

    @property
    def file_extension(self):
        """What follows the last dot of :attr:`original_name`, all of it
        if it has no dot (as in sheraf 0.6)."""
        return (self.original_name or "").rsplit(".", 1)[-1]

    @property
    def filename(self):
        """The path of the blob file in the storage's blob folder."""
        with self.open() as file:
            return file.name

    def delete(self):
        """Forget the content; the storage drops its file when it is packed."""
        self.mapping.clear()

    def __bool__(self):
        return bool(self.mapping)

    def __len__(self):
        """1 for a blob that holds something, 0 for an empty one."""
        return 1 if self.mapping else 0

    def __getitem__(self, name):
        """``blob["data"]`` is ``blob.data``, and so on."""
        return getattr(self, name)

    def __str__(self):
        return str(self.mapping.get("original_name"))

    def __repr__(self):
        return f'<Blob filename="{self.mapping.get("original_name")}">'


class BlobAttribute(InlineModelAttribute):
    """Holds a :class:`Blob`. It accepts a blob, bytes, a dictionary of
    :meth:`Blob.create` arguments, or an uploaded file: an object with a
    ``filename`` and a ``stream`` or ``data`` (as web frameworks give).

    >>> class Cowboy(sheraf.Model):
    ...     table = "blob_cowboys"
    ...     fax = sheraf.BlobAttribute()
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(fax={"data": b"Hello George!", "filename": "fax.txt"})
    ...     george.fax.data, george.fax.original_name, george.fax.file_extension
    (b'Hello George!', 'fax.txt', 'txt')
    """

    def __init__(self, model=Blob, **kwargs):
        kwargs.setdefault("default", None)
        super().__init__(model=model, **kwargs)

    def serialize(self, value):
        if value is None:
            return None
        if isinstance(value, Blob):
            return SmallDict(value.mapping)
        if isinstance(value, (bytes, bytearray)):
            return self.model.create(data=bytes(value)).mapping
        if isinstance(value, Mapping):
            return self.model.create(**value).mapping
        if hasattr(value, "filename") and (
            hasattr(value, "stream") or hasattr(value, "data")
        ):
            return self.model.create(
                data=getattr(value, "data", None),
                stream=getattr(value, "stream", None),
                filename=value.filename,
            ).mapping
        raise TypeError(
            f"a Blob, bytes or a file is needed, not {type(value).__name__}"
        )

    def deserialize(self, raw):
        if not raw:
            return None
        return self.model.from_record(raw)

    # A blob is replaced, never edited.
    update = Attribute.update
