"""Files kept on disk, under a root folder, by file attributes."""

import os
import uuid
from collections.abc import Mapping

from sheraf.attributes.base import Attribute
from sheraf.databases import Database
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
    and its ``extension``. Read from a model, it is associated with the
    model and the key of the attribute in its record (``model`` and
    ``attribute_name``), and its content is read from disk when it is first
    needed.

    :param stream: the content.
    :param extension: the file extension, without its dot.

    >>> import tempfile
    >>> previous_root = sheraf.set_files_root_dir(tempfile.mkdtemp())
    >>> class Cowboy(sheraf.Model):
    ...     table = "fileobject_cowboys"
    ...     portrait = sheraf.FileAttribute()
    ...
    >>> with sheraf.connection(commit=True):
    ...     george = Cowboy.create(portrait={"stream": b"<svg/>", "extension": "svg"})
    ...     portrait = george.portrait
    ...     portrait
    <FileObject model='Cowboy' attribute_name='portrait'>
    >>> with sheraf.connection(commit=True):
    ...     portrait = Cowboy.read(george.id).portrait
    ...     portrait["stream"] = b"<svg></svg>"
    ...     portrait.write()
    ...     Cowboy.read(george.id).portrait.stream
    b'<svg></svg>'
    >>> _ = sheraf.set_files_root_dir(previous_root)
    """

    def __init__(self, stream=None, extension=""):
        self.model = None
        self.attribute_name = None
        self.extension = extension
        self._stream = stream
        self._changed = stream is not None
        self._detached_path = None

    @classmethod
    def read(cls, model, attribute_name):
        """The file stored in ``model``'s record under ``attribute_name``,
        associated with them; ``None`` if there is none."""
        relative_path = model.mapping.get(attribute_name)
        if not relative_path:
            return None
        file = cls(extension=_extension(relative_path))
        file.associate(model, attribute_name)
        return file

    @classmethod
    def stored_at(cls, relative_path):
        """The file stored at ``relative_path``, associated with no model."""
        file = cls(extension=_extension(relative_path))
        file._detached_path = relative_path
        return file

    def associate(self, model, attribute_name):
        """Make this the file of ``model`` under the key ``attribute_name``
        of its record: :meth:`write` stores it there."""
        self.model = model
        self.attribute_name = attribute_name

    @property
    def stream(self):
        """The content, as bytes."""
        if self._stream is None and self.relative_path() is not None:
            with open(self.absolute_path(), "rb") as file:
                self._stream = file.read()
        return self._stream

    @stream.setter
    def stream(self, content):
        self._stream = content
        self._changed = True

    def relative_path(self):
        """Where the file is stored, under the files root folder (where it
        was, once :meth:`delete` took it out of its model); ``None`` before
        it is stored."""
        if self.model is not None and self.model.mapping.get(self.attribute_name):
            return self.model.mapping[self.attribute_name]
        return self._detached_path

    def absolute_path(self):
        """Where the file is on disk; ``None`` before it is stored."""
        relative_path = self.relative_path()
        if relative_path is None:
            return None
        return os.path.join(FILES_ROOT_DIR, relative_path)

    def directory(self):
        """The folder of the files of its model's attribute."""
        return os.path.join(
            FILES_ROOT_DIR, files_folder(type(self.model), self.attribute_name)
        )

    def exists(self):
        """Whether the file is on disk."""
        path = self.absolute_path()
        return path is not None and os.path.exists(path)

    def write(self):
        """Write the content to a new file in :meth:`directory`, and keep its
        path in the model's record. The file it replaces is removed when
        the transaction commits; the new one if it aborts."""
        content = self.stream
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError(
                f"the content of a file must be bytes, not {type(content).__name__}"
            )
        folder = files_folder(type(self.model), self.attribute_name)
        relative_path = new_file(folder, self.extension, bytes(content)).write()
        replace_in_record(self.model, self.attribute_name, relative_path)
        self._changed = False

    def delete(self):
        """Take the file out of the model's record; it is removed from disk
        when the transaction commits."""
        if self.model is not None:
            self._detached_path = self.relative_path()
            replace_in_record(self.model, self.attribute_name, None)

    def keys(self):
        return ("stream", "extension")

    def __getitem__(self, name):
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name, value):
        if name not in self.keys():
            raise KeyError(name)
        setattr(self, name, value)

    def __eq__(self, other):
        if not isinstance(other, FileObject):
            return NotImplemented
        return (self.stream, self.extension) == (other.stream, other.extension)

    __hash__ = None

    def __repr__(self):
        return (
            f"<FileObject model='{type(self.model).__name__}' "
            f"attribute_name='{self.attribute_name}'>"
        )


class FileAttribute(Attribute):
    """Holds a file, written under :data:`FILES_ROOT_DIR` in a folder named
    after the model's table and the attribute; the record keeps its path.
    It accepts a :class:`FileObject`, a dictionary of its ``stream`` and
    ``extension``, or bytes.

    Every new content goes to a new file. The file of a replaced or deleted
    value is removed when the transaction commits; the file of a new value
    is removed if the transaction aborts.

    A value read is kept on the instance (``read_memoization``): changing
    its ``stream`` and calling :meth:`~sheraf.models.base.BaseModel.save`
    (or its :meth:`FileObject.write`) stores the new content.

    >>> import tempfile
    >>> previous_root = sheraf.set_files_root_dir(tempfile.mkdtemp())
    >>> class Cowboy(sheraf.Model):
    ...     table = "file_cowboys"
    ...     portrait = sheraf.FileAttribute()
    ...
    >>> with sheraf.connection(commit=True):
    ...     george = Cowboy.create(portrait={"stream": b"<svg/>", "extension": "svg"})
    ...     george.portrait.stream, george.portrait.relative_path()
    (b'<svg/>', 'file_cowboys/portrait/....svg')
    >>> _ = sheraf.set_files_root_dir(previous_root)
    """

    def __init__(self, file_object_class=FileObject, **kwargs):
        self.file_object_class = file_object_class
        self._folder = ""
        kwargs.setdefault("read_memoization", True)
        kwargs.setdefault("write_memoization", False)
        super().__init__(**kwargs)

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
        return new_file(self._folder, value.extension, bytes(value.stream))

    def read(self, model):
        return self.file_object_class.read(model, self.key(model))

    def deserialize(self, raw):
        if raw is None:
            return None
        return self.file_object_class.stored_at(raw)

    def write_raw(self, model, raw):
        if isinstance(raw, _UnwrittenFile):
            raw = raw.write()
        replace_in_record(model, self.key(model), raw)
        return raw

    def delete(self, model):
        replace_in_record(model, self.key(model), None)

    def save(self, model):
        """Store the content of the file read from ``model``, if it was
        given a new one."""
        file = model.__dict__.get(self.name)
        if file is not None and file.model is model and file._changed:
            file.write()

    def __set_name__(self, owner, name):
        super().__set_name__(owner, name)
        self._folder = files_folder(owner, name)


def files_folder(model_class, attribute_name):
    """The folder of the files of ``model_class``'s attribute
    ``attribute_name``, under the files root folder: named after the
    model's table (or class) and the attribute, as in sheraf 0.6."""
    return os.path.join(
        getattr(model_class, "table", None) or model_class.__name__, attribute_name
    )


def new_file(folder, extension, content):
    """A file to write in ``folder`` with a new name."""
    name = uuid.uuid4().hex + (f".{extension}" if extension else "")
    return _UnwrittenFile(os.path.join(folder, name), content)


def replace_in_record(model, key, relative_path):
    """Keep ``relative_path`` (``None``: nothing) under ``key`` in
    ``model``'s record; the file it held is removed when the transaction
    commits."""
    previous = model.mapping.get(key)
    if relative_path is None:
        model.mapping.pop(key, None)
    else:
        model.mapping[key] = relative_path
    if previous is not None and previous != relative_path:
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


class FilesGarbageCollector:
    """The files that sheraf 0.6 queued for removal: the paths, relative to
    :data:`FILES_ROOT_DIR`, kept in the set ``table`` of the database
    root. This sheraf queues nothing (it removes a replaced or deleted file
    when the transaction commits); :meth:`clear` removes what sheraf 0.6
    left behind.

    >>> with sheraf.connection(commit=True):
    ...     collector = sheraf.FilesGarbageCollector.instance()
    ...     collector.clear()
    ...     bool(collector)
    False
    """

    DEFAULT_TABLE = "__sheraf_collected_files_to_remove"
    _instance = None

    @classmethod
    def instance(cls):
        """The collector of the default table."""
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def __init__(self, table=DEFAULT_TABLE):
        self.table = table

    def _queued(self):
        return Database.current_connection().root().get(self.table, ())

    def __iter__(self):
        return iter(list(self._queued()))

    def __contains__(self, relative_path):
        return relative_path in self._queued()

    def __bool__(self):
        return bool(self._queued())

    def clear(self):
        """Empty the queue; its files are removed when the transaction
        commits (in a connection that does not commit, nothing changes).
        A path that leads out of the files root folder is not followed."""
        root = Database.current_connection().root()
        queued = root.get(self.table)
        if not queued:
            return
        for relative_path in list(queued):
            _remove_after_commit(relative_path)
        queued.clear()


def _extension(relative_path):
    return os.path.splitext(relative_path)[1].lstrip(".")


def _remove_after_commit(relative_path):
    transaction = current_transaction()
    root = os.path.realpath(FILES_ROOT_DIR)
    path = os.path.realpath(os.path.join(root, relative_path))
    if transaction is not None and path.startswith(root + os.sep):
        transaction.addAfterCommitHook(lambda committed: committed and _remove(path))


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
