"""Models: a class of attributes over one persistent record per instance."""

from __future__ import annotations

import contextlib
import reprlib
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import KeysView
from collections.abc import Mapping
from typing import Any

from sheraf import contexts
from sheraf.attributes.base import Attribute
from sheraf.attributes.base import cannot_hold
from sheraf.callbacks import call_callbacks
from sheraf.callbacks import finish_callbacks
from sheraf.callbacks import register
from sheraf.types.smalldict import SmallDict


class BaseModelMetaclass(type):
    """Collects the attributes of a model class: its own, then its bases'.

    It keeps the last class defined under each module and qualified name in
    :attr:`registry`, so that attributes can name models.
    """

    registry = {}

    def __new__(mcs, name, bases, attrs):
        klass = super().__new__(mcs, name, bases, attrs)
        key = (klass.__module__, klass.__qualname__)
        BaseModelMetaclass.registry.pop(key, None)
        BaseModelMetaclass.registry[key] = klass
        names = [n for n, value in attrs.items() if isinstance(value, Attribute)]
        for base in klass.__mro__[1:]:
            names += [n for n in vars(base) if n not in names]
        klass.attributes = {}
        for attribute_name in names:
            attribute = _resolved(klass, attribute_name)
            if not isinstance(attribute, Attribute):
                continue
            if attribute.name is not None and attribute.name != attribute_name:
                continue  # another name for an attribute, not a new one
            try:
                attribute.attribute_name = klass.attribute_id(attribute_name, attribute)
            except NotImplementedError:
                continue
            if attribute.name is None:
                attribute.name = attribute_name
            klass.attributes[attribute_name] = attribute
        klass.cb_creation = []
        klass.cb_deletion = []
        # Instances over existing records are made without __init__: when
        # the class has neither __new__ nor __init__ of its own, calling it
        # is the same, and faster than __new__.
        klass._made_by_call = (
            klass.__new__ is object.__new__ and klass.__init__ is object.__init__
        )
        return klass


def _resolved(klass, name):
    for owner in klass.__mro__:
        if name in vars(owner):
            return vars(owner)[name]
    return None


class DeletedRecord:
    """The record of a deleted instance: reading it says so."""

    __slots__ = ("description",)

    def __init__(self, description):
        self.description = description

    def _refuse(self, *args, **kwargs):
        raise AttributeError(
            f"Cannot access attributes of {self.description}: it was deleted."
        )

    get = __getitem__ = __setitem__ = __delitem__ = __contains__ = pop = _refuse


class BaseModel(metaclass=BaseModelMetaclass):
    """The base of every model: reading and writing attributes, creation,
    deletion, edition and callbacks.

    A model instance is a view on its ``mapping``, the persistent record
    that holds its attribute values. Instances can be used as dictionaries:

    >>> class Horse(sheraf.InlineModel):
    ...     name = sheraf.StringAttribute()
    ...     age = sheraf.IntegerAttribute()
    ...
    >>> dict(Horse.create(name="Jolly Jumper", age=12))
    {'name': 'Jolly Jumper', 'age': 12}
    """

    attributes = {}
    mapping = None
    default_mapping = SmallDict

    @classmethod
    def attribute_id(cls, name: str, attribute: Attribute) -> Any:
        """The key of ``attribute`` in the records of this model."""
        raise NotImplementedError

    @classmethod
    def from_record(cls, mapping: Any) -> BaseModel:
        """An instance over ``mapping``, an existing record of this model:
        nothing is written.

        >>> class Horse(sheraf.InlineModel):
        ...     name = sheraf.StringAttribute()
        ...
        >>> Horse.from_record({"name": "Polly"}).name
        'Polly'
        """
        instance = cls() if cls._made_by_call else cls.__new__(cls)
        instance.mapping = mapping
        return instance

    # Creation and deletion.

    @classmethod
    def create(
        cls, default: type | None = None, *args: Any, **kwargs: Any
    ) -> BaseModel:
        """A new instance, its attributes given as keyword arguments.

        :param default: the class of the record, ``default_mapping`` if
            ``None``.

        Values are all checked before anything is written: a value an
        attribute cannot hold raises :class:`TypeError` or
        :class:`ValueError`, an unknown attribute :class:`TypeError`.
        """
        instance = cls.from_record((default or cls.default_mapping)())
        if cls._writes_elsewhere(kwargs):
            with _undone_on_error(instance, True):
                after_model = instance._fill(kwargs)
        else:
            after_model = instance._fill(kwargs)
        finish_callbacks(after_model)
        return instance

    def _fill(self, values):
        """Write the ``values`` of a new instance, and its defaults; the
        creation callbacks of the model that are left to finish."""
        attributes = self.attributes
        raw_values = self._serialize_all(values)
        after_model = call_callbacks(self.cb_creation, self)
        later = {
            name: raw_values.pop(name)
            for name in list(raw_values)
            if attributes[name].written_after_creation
        }
        self.initialize(raw_values)
        if later:
            self._write_new_values(later)
        return after_model

    @classmethod
    def _writes_elsewhere(cls, names):
        attributes = cls.attributes
        return any(attributes[n].writes_elsewhere for n in names if n in attributes)

    def _serialize_all(self, values):
        """Check ``values`` and serialize them, before anything is written."""
        self._check_names(values)
        return {
            name: self._serialize(self.attributes[name], value)
            for name, value in values.items()
        }

    @classmethod
    def _check_names(cls, names):
        unknown = [name for name in names if name not in cls.attributes]
        if unknown:
            raise TypeError(
                f"{cls.__name__} has no attribute(s) "
                f"{', '.join(map(repr, unknown))}; its attributes are "
                f"{', '.join(map(repr, cls.attributes))}."
            )

    def _serialize(self, attribute, value):
        try:
            return attribute.serialize(value)
        except (TypeError, ValueError) as error:
            raise cannot_hold(attribute.label(self), value, error) from error

    def initialize(self, raw_values: dict[str, Any]) -> None:
        """Fill a new record: the given values, and the defaults of the
        attributes that are not ``lazy``."""
        attributes = self.attributes
        missing = [
            a for name, a in attributes.items() if not a.lazy and name not in raw_values
        ]
        defaults = {a.name: a.serialize(a.create(self)) for a in missing}
        self._write_new_values({**raw_values, **defaults})

    def _write_new_values(self, raw_values):
        afters = []
        for name, raw in raw_values.items():
            attribute = self.attributes[name]
            if attribute.cb_creation:
                new = attribute.deserialize(raw)
                afters += call_callbacks(attribute.cb_creation, self, new=new)
            attribute.write_raw(self, raw)
            if attribute.write_memoization:
                self.__dict__[name] = (
                    raw if attribute.reads_as_stored else attribute.deserialize(raw)
                )
        finish_callbacks(afters)

    def delete(self) -> None:
        """Delete this instance."""
        cls = self.__class__
        after_model = call_callbacks(cls.cb_deletion, self)
        afters = []
        for name, attribute in self.attributes.items():
            if attribute.cb_deletion:
                afters += call_callbacks(
                    attribute.cb_deletion, self, old=getattr(self, name)
                )
        for attribute in self.attributes.values():
            if attribute.written_after_creation:
                attribute.delete(self)
        self._delete_record()
        finish_callbacks(afters)
        finish_callbacks(after_model)

    @property
    def deleted(self) -> bool:
        """Whether this instance was deleted.

        >>> class Horse(sheraf.InlineModel):
        ...     name = sheraf.StringAttribute()
        ...
        >>> jolly = Horse.create(name="Jolly")
        >>> jolly.delete()
        >>> jolly.deleted
        True
        """
        return isinstance(self.mapping, DeletedRecord)

    def _delete_record(self):
        for attribute in self.attributes.values():
            if not attribute.written_after_creation:
                attribute.delete(self)
            self.__dict__.pop(attribute.name, None)
        self.mapping = DeletedRecord(repr(self))

    # Attribute access, through the attributes' descriptors.

    def set_attribute(self, name: str, value: Any) -> None:
        """Write ``value`` to the attribute ``name``, calling its creation or
        edition callbacks."""
        attribute = self.attributes[name]
        afters = ()
        if attribute.cb_creation or attribute.cb_edition:
            if attribute.is_created(self):
                afters = call_callbacks(
                    attribute.cb_edition, self, new=value, old=getattr(self, name)
                )
            else:
                afters = call_callbacks(attribute.cb_creation, self, new=value)
        if attribute.writes_elsewhere:
            with _undone_on_error(self, True):
                self.write_raw(attribute, self._serialize(attribute, value))
        else:
            self.write_raw(attribute, self._serialize(attribute, value))
        finish_callbacks(afters)

    def write_raw(self, attribute: Attribute, raw: Any) -> None:
        """Store ``raw``, a value ``attribute`` serialized, with no
        callback: what :meth:`set_attribute` does once the value is checked.
        Indexed models also move the instance in the attribute's indexes."""
        attribute.write_raw(self, raw)
        if attribute.write_memoization:
            self.__dict__[attribute.name] = attribute.deserialize(raw)
        else:
            self.__dict__.pop(attribute.name, None)

    def delete_attribute(self, name: str) -> None:
        """Remove the value of the attribute ``name``, calling its deletion
        callbacks; it reads as its default value again."""
        attribute = self.attributes[name]
        afters = call_callbacks(attribute.cb_deletion, self, old=getattr(self, name))
        self._erase(attribute)
        finish_callbacks(afters)

    def _erase(self, attribute):
        attribute.delete(self)
        self.__dict__.pop(attribute.name, None)

    def reset(self, attribute: str) -> None:
        """Write the default value of the attribute named ``attribute``."""
        self.set_attribute(attribute, self.attributes[attribute].create(self))

    # Dictionary-like use.

    def keys(self) -> KeysView[str]:
        """The attribute names."""
        return self.attributes.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` pairs of every attribute."""
        return ((name, getattr(self, name)) for name in self.attributes)

    def values(self) -> Iterator[Any]:
        """The value of every attribute."""
        return (getattr(self, name) for name in self.attributes)

    def __getitem__(self, name):
        if name not in self.attributes:
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name, value):
        if name not in self.attributes:
            raise KeyError(name)
        self.set_attribute(name, value)

    def __contains__(self, name):
        return name in self.attributes

    # Edition.

    def copy(self, **kwargs: Any) -> BaseModel:
        """A new instance with the same values, except those given. Values
        that hold collections or inline models are copied too."""
        return self.__class__.create(**{**created_values(self), **kwargs})

    def update(self, **kwargs: Any) -> BaseModel:
        """Edit the given attributes, and those of sub-models recursively,
        adding what is missing but removing nothing."""
        return self.edit(kwargs, addition=True, edition=True, deletion=False)

    def assign(self, **kwargs: Any) -> BaseModel:
        """Edit the given attributes recursively, removing what sub-models and
        collections have and ``kwargs`` does not."""
        return self.edit(kwargs, addition=True, edition=True, deletion=True)

    def edit(
        self,
        value: Mapping[str, Any],
        addition: bool = True,
        edition: bool = True,
        deletion: bool = False,
        replacement: bool = False,
        strict: bool = False,
    ) -> BaseModel:
        """Apply a dictionary of values to this instance and its sub-models.

        :param addition: add what ``value`` has and the instance has not.
        :param edition: change what both have.
        :param deletion: remove what the instance has and ``value`` has not.
        :param replacement: replace sub-models and collections instead of
            editing them in place.
        :param strict: raise :class:`TypeError` if ``value`` has keys that
            are not attributes; they are ignored otherwise.
        """
        if strict:
            self._check_names(value)
        with _undone_on_error(self, True):
            for name, new_value in value.items():
                attribute = self.attributes.get(name)
                if attribute is None:
                    continue
                old_value = getattr(self, name)
                try:
                    updated = attribute.update(
                        old_value, new_value, addition, edition, deletion, replacement
                    )
                except (TypeError, ValueError) as error:
                    if getattr(error, "label", None):
                        raise  # it names an attribute already
                    raise cannot_hold(
                        attribute.label(self), new_value, error
                    ) from error
                if updated is not old_value or not attribute.is_created(self):
                    self.set_attribute(name, updated)
        return self

    def save(self) -> BaseModel:
        """Let every attribute save what it needs to."""
        for attribute in self.attributes.values():
            attribute.save(self)
        return self

    # Callbacks.

    @classmethod
    def on_creation(cls, *args: Callable) -> Callable:
        """Decorate a function ``f(instance)`` called when an instance is
        created, before its attributes are written; if it yields, the rest
        runs after."""
        return register(cls.cb_creation, args)

    @classmethod
    def on_deletion(cls, *args: Callable) -> Callable:
        """Decorate a function ``f(instance)`` called when an instance is
        deleted; if it yields, the rest runs after."""
        return register(cls.cb_deletion, args)

    # Comparison and display.

    def __eq__(self, other):
        return isinstance(other, BaseModel) and self.mapping == other.mapping

    def __ne__(self, other):
        return not self == other

    # Equal when their values are: instances that are not filed in a table
    # are values, and values that can change are not hashable.
    __hash__ = None

    def __repr__(self):
        values = " ".join(
            f"{name}={_SHORT.repr(getattr(self, name))}"
            for name, attribute in self.attributes.items()
            if attribute.is_created(self)
        )
        return f"<{self.__class__.__name__}{' ' if values else ''}{values}>"


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40


def created_values(instance: BaseModel) -> dict[str, Any]:
    """The values of the attributes that ``instance`` stores, by name:
    defaults that were never stored are left out."""
    return {
        name: getattr(instance, name)
        for name, attribute in instance.attributes.items()
        if attribute.is_created(instance)
    }


def current_transaction():
    """The transaction of the connection context of the running thread or
    greenlet, ``None`` without one."""
    context = contexts.current_context()
    return None if context is None else context.connection.transaction_manager.get()


@contextlib.contextmanager
def _undone_on_error(instance, needed):
    """Undo what the block wrote in the current transaction if it fails,
    when ``needed`` and a transaction is open. The memoized values of
    ``instance`` are forgotten too."""
    transaction = current_transaction() if needed else None
    if transaction is None:
        yield
        return
    savepoint = transaction.savepoint(optimistic=True)
    try:
        yield
    except BaseException:
        savepoint.rollback()
        for name in instance.attributes:
            instance.__dict__.pop(name, None)
        raise
