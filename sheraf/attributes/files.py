"""Files kept on disk, under a root folder, by file attributes."""

import os
import uuid
from collections.abc import Mapping

from sheraf.attributes.base import Attribute
from sheraf.models.base import current_transaction

FILES_ROOT_DIR = os.path.join(os.getcwd(), "files")


def set_files_root_dir(path):
    """Keep the files of file attributes under ``path``; return the previous
    root."""
    global FILES_ROOT_DIR
    previous, FILES_ROOT_DIR = FILES_ROOT_DIR, path
    return previous


class FileObject:
    """A file of a :class:`FileAttribute`: its content (``stream``, bytes)
    and its ``extension``. Once stored, its content is read from disk when
    it is first needed.

    :param stream: the content.
    :param extension: the file extension, without its dot.
    :param relative_path: where it is stored, under the files root folder.
    """

    def __init__(self, stream=None, extension="", relative_path=None):
        self._stream = stream
        self.extension = extension
        self.relative_path = relative_path

    @property
    def stream(self):
        """The content, as bytes."""
        if self._stream is None and self.relative_path is not None:
            with open(self.absolute_path(), "rb") as file:
                self._stream = file.read()
        return self._stream

    def absolute_path(self):
        """Where the file is on disk, ``None`` before it is stored."""
        if self.relative_path is None:
            return None
        return os.path.join(FILES_ROOT_DIR, self.relative_path)

    def exists(self):
        """Whether the file is on disk."""
        path = self.absolute_path()
        return path is not None and os.path.exists(path)

    def keys(self):
        return ("stream", "extension")

    def __getitem__(self, name):
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def __eq__(self, other):
        if not isinstance(other, FileObject):
            return NotImplemented
        return (self.stream, self.extension) == (other.stream, other.extension)

    __hash__ = None

    def __repr__(self):
        return f"<FileObject {self.relative_path or 'not stored'}>"


class FileAttribute(Attribute):
    """Holds a file, written under :data:`FILES_ROOT_DIR` in a folder named
    after the model's table and the attribute; the record keeps its path.
    It accepts a :class:`FileObject`, a dictionary of its ``stream`` and
    ``extension``, or bytes.

    Every new content goes to a new file. The file of a replaced or deleted
    value is removed when the transaction commits; the file of a new value
    is removed if the transaction aborts.

    >>> import tempfile
    >>> previous_root = sheraf.set_files_root_dir(tempfile.mkdtemp())
    >>> class Cowboy(sheraf.Model):
    ...     table = "file_cowboys"
    ...     portrait = sheraf.FileAttribute()
    ...
    >>> with sheraf.connection(commit=True):
    ...     george = Cowboy.create(portrait={"stream": b"<svg/>", "extension": "svg"})
    ...     george.portrait.stream, george.portrait.relative_path
    (b'<svg/>', 'file_cowboys/portrait/....svg')
    >>> _ = sheraf.set_files_root_dir(previous_root)
    """

    def __init__(self, file_object_class=FileObject, **kwargs):
        self.file_object_class = file_object_class
        self._folder = ""
        super().__init__(**kwargs)

    def __set_name__(self, owner, name):
        super().__set_name__(owner, name)
        self._folder = os.path.join(
            getattr(owner, "table", None) or owner.__name__, name
        )

    def serialize(self, value):
        if value is None:
            return None
        if isinstance(value, (bytes, bytearray)):
            value = self.file_object_class(stream=bytes(value))
        elif isinstance(value, Mapping):
            value = self.file_object_class(**value)
        elif not isinstance(value, FileObject):
            raise TypeError(
                f"a file, a dict or bytes is needed, not {type(value).__name__}"
            )
        if not isinstance(value.stream, (bytes, bytearray)):
            raise TypeError(
                f"the content of a file must be bytes, not {type(value.stream).__name__}"
            )
        name = uuid.uuid4().hex + (f".{value.extension}" if value.extension else "")
        return _UnwrittenFile(os.path.join(self._folder, name), bytes(value.stream))

    def deserialize(self, raw):
        if raw is None:
            return None
        extension = os.path.splitext(raw)[1].lstrip(".")
        return self.file_object_class(extension=extension, relative_path=raw)

    def write_raw(self, model, raw):
        if isinstance(raw, _UnwrittenFile):
            raw = raw.write()
        previous = model.mapping.get(self.key(model))
        super().write_raw(model, raw)
        if previous is not None and previous != raw:
            _remove_after_commit(previous)
        return raw

    def delete(self, model):
        previous = model.mapping.pop(self.key(model), None)
        if previous is not None:
            _remove_after_commit(previous)


class _UnwrittenFile(str):
    """The path a new file will have, and its content: checking a value
    writes nothing, storing it writes the file."""

    def __new__(cls, relative_path, content):
        path = super().__new__(cls, relative_path)
        path.content = content
        return path

    def write(self):
        """Write the file, removed again if the transaction aborts; its
        relative path."""
        path = os.path.join(FILES_ROOT_DIR, self)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(self.content)
        transaction = current_transaction()
        if transaction is not None:
            transaction.addAfterAbortHook(_remove, (path,))
        return str(self)


def _remove_after_commit(relative_path):
    transaction = current_transaction()
    if transaction is not None:
        path = os.path.join(FILES_ROOT_DIR, relative_path)
        transaction.addAfterCommitHook(lambda committed: committed and _remove(path))


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
