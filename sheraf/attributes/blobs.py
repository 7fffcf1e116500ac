"""Binary files stored in the database, as ZODB blobs."""

import os
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
    def create(cls, data=None, filename=None, stream=None):
        """A blob holding ``data`` (bytes), or what is read from ``stream``
        (a binary file object), and the ``filename`` it had."""
        blob = ZODB.blob.Blob()
        with blob.open("w") as file:
            if stream is not None:
                shutil.copyfileobj(stream, file)
            elif data is not None:
                file.write(data)
        return cls.from_record(SmallDict({"blob": blob, "original_name": filename}))

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
        """The extension of :attr:`original_name`, without its dot."""
        return os.path.splitext(self.original_name or "")[1].lstrip(".")

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

    def __str__(self):
        return str(self.mapping.get("original_name"))

    def __repr__(self):
        return f"<Blob filename={self.mapping.get('original_name')!r}>"


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
