"""The base of every attribute: how a value is read from and written to a
model's record."""

import copy

from BTrees.OOBTree import OOBTree

from sheraf.attributes.index import Index
from sheraf.callbacks import register
from sheraf.callbacks import required_arguments
from sheraf.constants import MISSING
from sheraf.types.smalldict import SmallDict

_IMMUTABLE_DEFAULTS = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    tuple,
    frozenset,
)


def set_read_memoization(should_memoize_read):
    """Memoize every attribute on read, unless an attribute says otherwise."""
    Attribute.read_memoization = should_memoize_read


def set_write_memoization(should_memoize_write):
    """Memoize every attribute on write, unless an attribute says otherwise."""
    Attribute.write_memoization = should_memoize_write


class Attribute:
    """A value of a model, stored in the model's record under a key.

    :param default: the value of the attribute until one is written. A
        callable is called, with no argument or with the model instance.
    :param key: the key of the value in the record; the attribute's name by
        default. A list of keys reads the first one present (to rename a key
        without migrating the data).
    :param lazy: if ``False``, the default value is stored when the instance
        is created, instead of when it is first needed.
    :param read_memoization: keep the value on the instance after a read.
    :param write_memoization: keep the value on the instance after a write
        (``True`` by default), so that it stays readable after the
        connection is closed.
    :param store_default_value: store the default value when it is first
        read. By default only defaults that may change (callables, mutable
        values) are stored, so that reading never writes a constant.

    Attributes are descriptors: ``model.name`` reads the value and
    ``model.name = value`` writes it.

    >>> class Cowboy(sheraf.Model):
    ...     table = "attribute_cowboys"
    ...     name = sheraf.StringAttribute(default="John Doe")
    ...
    >>> with sheraf.connection():
    ...     Cowboy.create().name
    'John Doe'
    """

    default_index_mapping = OOBTree
    nullok = True
    noneok = False
    read_memoization = False
    write_memoization = True
    # Whether writing a value may change other records than the model's own
    # (creating or editing other instances): models then write it inside a
    # savepoint, undone if the operation fails.
    writes_elsewhere = False
    # Whether writing a value makes other instances refer to the model
    # instance: a new instance then writes it once it is created.
    written_after_creation = False
    # Whether the keys its indexes file (when no function says otherwise)
    # are its values as read, not as stored: an instance found by its
    # identifier then reads the key the primary index files it under.
    index_keys_are_values = False

    def __init__(
        self,
        default=None,
        key=None,
        lazy=True,
        read_memoization=None,
        write_memoization=None,
        store_default_value=None,
    ):
        self._default_value = default
        self._key = key
        self.lazy = lazy
        if read_memoization is not None:
            self.read_memoization = read_memoization
        if write_memoization is not None:
            self.write_memoization = write_memoization
        self.store_default_value = store_default_value
        self.name = None
        self.attribute_name = None
        cls = type(self)
        #: Whether values read as they are stored (no :meth:`deserialize`).
        self.reads_as_stored = cls.deserialize is Attribute.deserialize
        self.indexes = {}
        self.cb_creation = []
        self.cb_edition = []
        self.cb_deletion = []
        self._default_wants_model = None

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.attribute_name}>"

    @property
    def attribute_name(self):
        """The key of this attribute in records, as the model names it."""
        return self._attribute_name

    @attribute_name.setter
    def attribute_name(self, value):
        self._attribute_name = value
        cls = type(self)
        key = value if self._key is None else self._key
        plain = (
            cls.read is Attribute.read
            and cls.read_raw is Attribute.read_raw
            and cls.key is Attribute.key
            and not isinstance(key, (list, tuple))
        )
        self._plain_key = key if plain else None

    def __set_name__(self, owner, name):
        if self.name is None:
            self.name = name

    # Descriptor protocol: the hot path of every model.

    def __get__(self, model, owner=None):
        if model is None:
            return self
        name = self.name
        memo = model.__dict__
        if name in memo:
            return memo[name]
        key = self._plain_key
        if key is not None:
            # The read path of most attributes, without its function calls.
            mapping = model.mapping
            if type(mapping) is SmallDict:
                mapping = mapping.data
            value = mapping.get(key, MISSING)
            if value is not MISSING:
                if not self.reads_as_stored:
                    value = self.deserialize(value)
                if self.read_memoization:
                    memo[name] = value
                return value
        value = self.read(model)
        if self.read_memoization:
            memo[name] = value
        return value

    def __set__(self, model, value):
        model.set_attribute(self.name, value)

    def __delete__(self, model):
        model.delete_attribute(self.name)

    # Storage.

    def key(self, model):
        """The key of this attribute in ``model``'s record."""
        if self._key is None:
            return self._attribute_name
        if isinstance(self._key, (list, tuple)):
            for key in self._key:
                if key in model.mapping:
                    return key
            return self._key[0]
        return self._key

    def is_created(self, model):
        """Whether ``model``'s record holds a value for this attribute."""
        return self.key(model) in model.mapping

    def create(self, model):
        """The default value for ``model``: a copy of a mutable default, so
        that instances do not share one."""
        default = self._default_value
        if not callable(default):
            if isinstance(default, _IMMUTABLE_DEFAULTS):
                return default
            return copy.deepcopy(default)
        if self._default_wants_model is None:
            self._default_wants_model = required_arguments(default) > 0
        return default(model) if self._default_wants_model else default()

    def read_raw(self, model):
        """The stored value, the default one stored first if needed."""
        key = self._plain_key  # key(model), when known in advance
        if key is None:
            key = self.key(model)
        raw = model.mapping.get(key, MISSING)
        if raw is not MISSING:
            return raw
        raw = self.serialize(self.create(model))
        if self._stores_default():
            model.mapping[key] = raw
        return raw

    def _stores_default(self):
        if self.store_default_value is not None:
            return self.store_default_value
        default = self._default_value
        return callable(default) or not isinstance(default, _IMMUTABLE_DEFAULTS)

    def write_raw(self, model, raw):
        key = self._plain_key  # key(model), when known in advance
        model.mapping[self.key(model) if key is None else key] = raw
        return raw

    def read(self, model):
        """The value of this attribute for ``model``."""
        return self.deserialize(self.read_raw(model))

    def read_stored(self, model):
        """The value of this attribute for ``model`` if its record holds
        one, else :data:`~sheraf.constants.MISSING`: no default is made.

        >>> class Cowboy(sheraf.Model):
        ...     table = "read_stored_cowboys"
        ...     name = sheraf.StringAttribute(default="John Doe")
        ...
        >>> with sheraf.connection():
        ...     george = Cowboy.create()
        ...     Cowboy.name.read_stored(george) is sheraf.constants.MISSING
        ...     george.name = "George"
        ...     Cowboy.name.read_stored(george)
        True
        'George'
        """
        key = self._plain_key
        if key is None:
            return self.read(model) if self.is_created(model) else MISSING
        raw = model.mapping.get(key, MISSING)
        return raw if raw is MISSING or self.reads_as_stored else self.deserialize(raw)

    def write(self, model, value):
        """Store ``value`` for ``model``; the value as read back."""
        return self.deserialize(self.write_raw(model, self.serialize(value)))

    def delete(self, model):
        """Remove this attribute's value from ``model``'s record."""
        model.mapping.pop(self.key(model), None)

    def serialize(self, value):
        """``value`` as stored. Raise :class:`TypeError` or
        :class:`ValueError` for a value this attribute cannot hold."""
        return value

    def deserialize(self, raw):
        """The stored ``raw`` value as users read it."""
        return raw

    def label(self, model):
        """How error messages name this attribute of ``model``."""
        return f"{model.__class__.__name__}.{self.name} ({self.__class__.__name__})"

    def update(
        self,
        old_value,
        new_value,
        addition=True,
        edition=True,
        deletion=False,
        replacement=False,
    ):
        """The value that :meth:`~sheraf.models.base.BaseModel.edit` writes:
        collections and models merge ``new_value`` into ``old_value``
        according to the flags; simple values are replaced on ``edition``."""
        return new_value if edition else old_value

    def save(self, model):
        """Called by :meth:`~sheraf.models.base.BaseModel.save`."""

    # Indexes.

    def index(
        self,
        unique=False,
        key=None,
        index_keys_func=None,
        search_keys_func=None,
        values=None,
        search=None,
        mapping=None,
        primary=False,
        nullok=None,
        noneok=None,
    ):
        """Index the model instances by this attribute, and return the
        attribute. See :class:`~sheraf.attributes.index.Index` for the
        parameters; ``values`` and ``search`` are short names of
        ``index_keys_func`` and ``search_keys_func``.

        >>> class Cowboy(sheraf.Model):
        ...     table = "index_cowboys"
        ...     email = sheraf.StringAttribute().index(unique=True)
        """
        index_keys_func = index_keys_func or values
        search_keys_func = search_keys_func or search
        self.indexes[key] = Index(
            self,
            unique=unique,
            key=key,
            index_keys_func=index_keys_func,
            search_keys_func=search_keys_func or index_keys_func,
            mapping=mapping or self.default_index_mapping,
            primary=primary,
            nullok=self.nullok if nullok is None else nullok,
            noneok=self.noneok if noneok is None else noneok,
        )
        self.lazy = False
        return self

    @property
    def has_primary_index(self) -> bool:
        """Whether this attribute holds its model's primary index."""
        return any(index.primary for index in self.indexes.values())

    def index_keys_func(self, *args):
        """:meth:`Index.index_keys_func <sheraf.attributes.index.Index.index_keys_func>`
        of this attribute's own index, the one :meth:`index` declared.

        >>> class Horse(sheraf.Model):
        ...     table = "index_keys_func_horses"
        ...     name = sheraf.StringAttribute().index()
        ...
        ...     @name.index_keys_func
        ...     def lowercase(self, name):
        ...         return name.lower()
        ...
        >>> with sheraf.connection():
        ...     jolly = Horse.create(name="Jolly Jumper")
        ...     Horse.search(name="JOLLY JUMPER").get() == jolly
        True
        """
        return self._own_index().index_keys_func(*args)

    def search_keys_func(self, *args):
        """:meth:`Index.search_keys_func <sheraf.attributes.index.Index.search_keys_func>`
        of this attribute's own index, the one :meth:`index` declared."""
        return self._own_index().search_keys_func(*args)

    def _own_index(self):
        # Until the model class is made, .index() keeps it under None.
        index = self.indexes.get(None) or self.indexes.get(self.name)
        if index is None:
            raise AttributeError(
                f"{type(self).__name__} has no index of its own: call .index() "
                "on it before declaring its index functions."
            )
        return index

    def index_keys(self, value):
        """The index keys of ``value`` when no function says otherwise."""
        return {self.serialize(value)}

    def search_keys(self, value):
        """The keys to look up in the index to find ``value``."""
        return self.index_keys(value)

    # Callbacks.

    def on_creation(self, *args):
        """Decorate a function ``f(model, new)`` called before the attribute
        gets its first value. If it yields, the rest runs after.

        >>> class Cowboy(sheraf.Model):
        ...     table = "creation_cowboys"
        ...     age = sheraf.IntegerAttribute()
        ...
        ...     @age.on_creation
        ...     def welcome(self, new):
        ...         print("New cowboy aged", new)
        ...
        >>> with sheraf.connection():
        ...     george = Cowboy.create(age=50)
        New cowboy aged 50
        """
        return register(self.cb_creation, args)

    def on_edition(self, *args):
        """Decorate a function ``f(model, new, old)`` called before the
        attribute changes. If it yields, the rest runs after."""
        return register(self.cb_edition, args)

    def on_deletion(self, *args):
        """Decorate a function ``f(model, old)`` called before the attribute
        is deleted. If it yields, the rest runs after."""
        return register(self.cb_deletion, args)

    def on_change(self, *args):
        """:meth:`on_creation`, :meth:`on_edition` and :meth:`on_deletion` at
        once."""

        def wrapper(func):
            for callbacks in (self.cb_creation, self.cb_edition, self.cb_deletion):
                callbacks.append(func)
            return func

        return wrapper(args[0]) if args else wrapper

    def default(self, func):
        """Decorate the function that gives the default value.

        >>> class Cowboy(sheraf.Model):
        ...     table = "default_cowboys"
        ...     age = sheraf.IntegerAttribute()
        ...
        ...     @age.default
        ...     def default_age(self):
        ...         return 42
        ...
        >>> with sheraf.connection():
        ...     Cowboy.create().age
        42
        """
        self._default_value = func
        self._default_wants_model = None
        return func


def cannot_hold(label, value, error):
    """The error to raise when the attribute ``label`` names is given a
    ``value`` it cannot hold, ``error`` saying why: a :class:`ValueError`
    or a :class:`TypeError`, like ``error``."""
    kind = ValueError if isinstance(error, ValueError) else TypeError
    refusal = kind(f"{label} cannot hold {value!r}: {error}")
    refusal.label = label
    return refusal
