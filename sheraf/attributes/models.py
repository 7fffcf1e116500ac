"""Attributes that hold models.

- :class:`ModelAttribute` refers to an instance of an indexed model, by
  its identifier;
- :class:`ReverseModelAttribute` finds the instances that refer to this
  one through an indexed :class:`ModelAttribute`;
- :class:`InlineModelAttribute` holds an
  :class:`~sheraf.models.inline.InlineModel`, stored inside the record of
  its owner;
- :class:`IndexedModelAttribute` holds a whole table of
  :class:`~sheraf.models.AttributeModel` instances, with their indexes,
  inside the record of its owner.

A model can be given as a class or, when it is defined later, by its name:
``"Horse"`` is looked for among the models of the module that defines the
attribute first, then among all models; ``"package.module.Horse"`` is
imported.
"""

import importlib
from collections.abc import Mapping

from sheraf.attributes.base import Attribute
from sheraf.attributes.collections import ListAttribute
from sheraf.attributes.collections import SetAttribute
from sheraf.exceptions import EmptyQuerySetUnpackException
from sheraf.exceptions import ModelObjectNotFoundException
from sheraf.exceptions import SherafException
from sheraf.models.base import BaseModel
from sheraf.models.base import BaseModelMetaclass
from sheraf.models.base import created_values
from sheraf.models.indexation import IndexedModel


def find_model(reference, module=None):
    """The model class ``reference`` designates: the class itself, or its
    name, looked for in ``module`` first. Among models of the same name, the
    last one defined wins."""
    if isinstance(reference, type):
        return reference
    if isinstance(reference, BaseModel):
        return type(reference)
    if not isinstance(reference, str):
        raise TypeError(f"A model class or a model name is needed, not {reference!r}.")
    module_name, _, name = reference.rpartition(".")
    if module_name:
        try:
            return getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            pass
    known = [
        (klass_module, klass)
        for (klass_module, qualname), klass in BaseModelMetaclass.registry.items()
        if reference in (qualname, f"{klass_module}.{qualname}")
        or qualname.endswith(f".{reference}")
    ]
    local = [klass for klass_module, klass in known if klass_module == module]
    candidates = local or [klass for _, klass in known]
    if not candidates:
        raise SherafException(f"No model is named {reference!r}.")
    return candidates[-1]


def edit_or_replace(
    self,
    old_value,
    new_value,
    addition=True,
    edition=True,
    deletion=False,
    replacement=False,
):
    """The ``update`` of attributes that hold one instance: a dictionary
    edits the instance in place, unless ``replacement``; anything else
    replaces it."""
    if replacement or old_value is None or not isinstance(new_value, Mapping):
        return new_value if edition or old_value is None else old_value
    return old_value.edit(new_value, addition, edition, deletion, replacement)


class ModelReferences:
    """For attributes that name models: they are found on first use, so
    that a model can name another one defined after it."""

    _module = None

    def __init__(self, model, **kwargs):
        if not model:
            raise SherafException(f"{self.__class__.__name__} needs a model.")
        self._several = isinstance(model, (list, tuple))
        self._references = tuple(model) if self._several else (model,)
        self._models = None
        super().__init__(**kwargs)

    def __set_name__(self, owner, name):
        super().__set_name__(owner, name)
        self._module = owner.__module__

    @property
    def models(self):
        """The model classes, the default one first."""
        if self._models is None:
            self._models = tuple(find_model(r, self._module) for r in self._references)
        return self._models

    @property
    def model(self):
        """The default model class."""
        return self.models[0]

    def _names(self):
        return " or ".join(model.__name__ for model in self.models)


class ModelAttribute(ModelReferences, Attribute):
    """Refers to an instance of an indexed model, stored as its identifier:
    reading it reads that instance, or ``None`` if it was deleted.

    :param model: the model class, or its name; a list of them to accept
        instances of several models (the identifier is then stored with the
        table name; the first model is the one a dictionary creates).

    It accepts an instance, the identifier of an existing instance, or a
    dictionary of the attributes of a new instance to create.

    >>> class Horse(sheraf.Model):
    ...     table = "modelattribute_horses"
    ...     name = sheraf.StringAttribute()
    ...
    >>> class Cowboy(sheraf.Model):
    ...     table = "modelattribute_cowboys"
    ...     horse = sheraf.ModelAttribute(Horse)
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(horse={"name": "Jolly Jumper"})
    ...     george.horse.name
    'Jolly Jumper'
    """

    writes_elsewhere = True

    def __init__(self, model=None, **kwargs):
        kwargs["read_memoization"] = False
        kwargs["write_memoization"] = False
        super().__init__(model=model, **kwargs)

    def _reference(self, instance):
        if self._several:
            return (instance.table, instance.identifier)
        return instance.identifier

    def serialize(self, value):
        if value is None:
            return None
        models = self.models
        if isinstance(value, BaseModel):
            if not isinstance(value, models):
                raise TypeError(
                    f"a {self._names()} is needed, not a {type(value).__name__}"
                )
            return self._reference(value)
        if isinstance(value, Mapping):
            return self._reference(self.model.create(**value))
        for model, identifier in self._candidates(value):
            if model.exists(identifier):
                return self._reference(model.read(identifier))
        raise ValueError(f"no {self._names()} has this identifier")

    def _candidates(self, raw):
        """``(model, identifier)`` pairs that ``raw`` may designate."""
        if self._several and isinstance(raw, tuple) and len(raw) == 2:
            table, identifier = raw
            model = next((m for m in self.models if m.table == table), None)
            return [(model or IndexedModel.from_table(table), identifier)]
        return [(model, raw) for model in self.models]

    def deserialize(self, raw):
        if raw is None:
            return None
        for model, identifier in self._candidates(raw):
            if model is None:
                continue
            try:
                return model.read(identifier)
            except ModelObjectNotFoundException:
                continue
        return None

    def search_keys(self, value):
        if value is None or isinstance(value, BaseModel):
            return {self.serialize(value)}
        if self._several and not isinstance(value, tuple):
            return {(model.table, value) for model in self.models}
        return {value}

    update = edit_or_replace


class ReverseModelAttribute(ModelReferences, Attribute):
    """The instances of ``model`` that refer to this one through their
    attribute ``attribute``: a :class:`ModelAttribute`, or a list or a set
    of them, that must be indexed. Nothing is stored: reading it searches
    the index, and writing it changes the instances it names.

    It reads as the instance (or ``None``) when the index is unique, as a
    :class:`~sheraf.queryset.QuerySet` otherwise.

    >>> class Cowboy(sheraf.Model):
    ...     table = "reverse_cowboys"
    ...     name = sheraf.StringAttribute()
    ...     horses = sheraf.LargeListAttribute(sheraf.ModelAttribute("Horse")).index()
    ...
    >>> class Horse(sheraf.Model):
    ...     table = "reverse_horses"
    ...     name = sheraf.StringAttribute()
    ...     cowboys = sheraf.ReverseModelAttribute("Cowboy", "horses")
    ...
    >>> with sheraf.connection():
    ...     jolly = Horse.create(name="Jolly Jumper")
    ...     george = Cowboy.create(name="George", horses=[jolly])
    ...     peter = Cowboy.create(name="Peter")
    ...     jolly.cowboys = [george, peter]
    ...     [horse.name for horse in peter.horses]
    ['Jolly Jumper']
    """

    writes_elsewhere = True
    written_after_creation = True

    def __init__(self, model, attribute, **kwargs):
        kwargs["read_memoization"] = False
        kwargs["write_memoization"] = False
        super().__init__(model=model, **kwargs)
        self.reverse_of = attribute

    def _target(self):
        """The referring attribute and its index, checked."""
        model, name = self.model, self.reverse_of
        attribute = model.attributes.get(name)
        referring = attribute
        if isinstance(attribute, (ListAttribute, SetAttribute)):
            referring = attribute.attribute
        if not isinstance(referring, ModelAttribute):
            raise SherafException(
                f"{model.__name__}.{name} should be a ModelAttribute, or a list or a set "
                "of them, to be the reverse of a ReverseModelAttribute."
            )
        index = next(
            (
                i
                for i in getattr(model, "indexes", {}).values()
                if attribute in i.attributes
            ),
            None,
        )
        if attribute is None or index is None:
            raise SherafException(
                f"{model.__name__}.{name} should be indexed to be the reverse of a "
                "ReverseModelAttribute."
            )
        return attribute, index

    def is_created(self, model):
        return False

    def read(self, model):
        attribute, index = self._target()
        found = self.model.search(**{index.key: model})
        if not index.unique:
            return found
        try:
            return found.get()
        except EmptyQuerySetUnpackException:
            return None

    def serialize(self, value):
        if value is None:
            return []
        if (
            isinstance(value, BaseModel)
            or not hasattr(value, "__iter__")
            or isinstance(value, str)
        ):
            value = [value]
        referents = []
        for item in value:
            if isinstance(item, self.model):
                referents.append(item)
            elif isinstance(item, BaseModel):
                raise TypeError(
                    f"a {self.model.__name__} is needed, not a {type(item).__name__}"
                )
            elif self.model.exists(item):
                referents.append(self.model.read(item))
            else:
                raise ValueError(
                    f"no {self.model.__name__} has the identifier {item!r}"
                )
        return referents

    def write_raw(self, model, raw):
        self.delete(model)
        for referent in raw:
            self._link(referent, model)
        return raw

    def delete(self, model):
        current = self.read(model)
        if current is None:
            return
        for referent in [current] if isinstance(current, BaseModel) else list(current):
            self._unlink(referent, model)

    def _link(self, referent, model):
        attribute, _ = self._target()
        name = self.reverse_of
        if isinstance(attribute, ListAttribute):
            references = getattr(referent, name)
            if model not in references:
                references.append(model)
        elif isinstance(attribute, SetAttribute):
            getattr(referent, name).add(model)
        else:
            setattr(referent, name, model)

    def _unlink(self, referent, model):
        attribute, _ = self._target()
        name = self.reverse_of
        if isinstance(attribute, ListAttribute):
            references = getattr(referent, name)
            while model in references:
                references.remove(model)
        elif isinstance(attribute, SetAttribute):
            getattr(referent, name).discard(model)
        else:
            delattr(referent, name)


class InlineModelAttribute(ModelReferences, Attribute):
    """Holds an instance of an :class:`~sheraf.models.inline.InlineModel`,
    stored inside its owner's record. An inline model is a value: assigning
    one stores a copy of it. A dictionary creates one.

    It reads as an instance with the default values until one is written.

    >>> class Horse(sheraf.InlineModel):
    ...     name = sheraf.StringAttribute()
    ...
    >>> class Cowboy(sheraf.Model):
    ...     table = "inlinemodelattribute_cowboys"
    ...     horse = sheraf.InlineModelAttribute(Horse)
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(horse={"name": "Jolly Jumper"})
    ...     george.horse.name
    'Jolly Jumper'
    """

    def __init__(self, model=None, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs["read_memoization"] = False
        kwargs["write_memoization"] = False
        super().__init__(model=model, **kwargs)

    def serialize(self, value):
        if value is None:
            return None
        if isinstance(value, Mapping):
            return self.model.create(**value).mapping
        if isinstance(value, self.model):
            return value.copy().mapping
        raise TypeError(
            f"a {self.model.__name__} or a dict is needed, not {type(value).__name__}"
        )

    def deserialize(self, raw):
        if raw is None:
            return None
        return self.model.from_record(raw)

    update = edit_or_replace


class IndexedModelAttribute(ModelReferences, Attribute):
    """Holds a table of :class:`~sheraf.models.AttributeModel` instances,
    with their indexes, inside its owner's record. It reads as the model
    class, bound to this table: ``create``, ``read``, ``all``, ``filter``,
    ``search``, ``count``... work on it.

    It accepts a list of dictionaries (or instances), that fill a new
    table.

    >>> class Horse(sheraf.AttributeModel):
    ...     name = sheraf.StringAttribute().index(primary=True)
    ...     size = sheraf.IntegerAttribute().index()
    ...
    >>> class Cowboy(sheraf.Model):
    ...     table = "indexedmodelattribute_cowboys"
    ...     horses = sheraf.IndexedModelAttribute(Horse)
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(horses=[{"name": "Jolly Jumper", "size": 32}])
    ...     polly = george.horses.create(name="Polly Pumper", size=28)
    ...     george.horses.read("Jolly Jumper").size, george.horses.count()
    (32, 2)
    """

    def __init__(self, model=None, **kwargs):
        kwargs["read_memoization"] = True
        # Read, not written, it is bound to its owner (see read()).
        kwargs["write_memoization"] = False
        kwargs["store_default_value"] = True
        super().__init__(model=model, **kwargs)

    def _values_of(self, value):
        if isinstance(value, type) and issubclass(value, self.model):
            value = value.all()
        for item in value:
            if isinstance(item, BaseModel):
                yield created_values(item)
            elif isinstance(item, Mapping):
                yield item
            else:
                raise TypeError(
                    f"a {self.model.__name__} or a dict is needed, not {item!r}"
                )

    def serialize(self, value):
        root = self.model.index_manager().new_root()
        if value is not None:
            bound = self.model.bound_to(root)
            for values in self._values_of(value):
                bound.create(**values)
        return root

    def read(self, model):
        # The owner of an indexed table is refiled when the table changes.
        owner = (model, self) if self.indexes else None
        return self.model.bound_to(self.read_raw(model), owner)

    def deserialize(self, raw):
        return self.model.bound_to(raw)

    def index_keys(self, table):
        """The identifiers of the instances of ``table``: an owner is filed
        under those of the instances it holds."""
        return set(table.index_manager().iterkeys())

    def search_keys(self, value):
        """An instance is searched by its identifier."""
        return {value.raw_identifier if isinstance(value, self.model) else value}

    def update(
        self,
        old_value,
        new_value,
        addition=True,
        edition=True,
        deletion=False,
        replacement=False,
    ):
        """Edit the instances whose identifiers ``new_value`` gives, create
        the others on ``addition``, and delete those it does not name on
        ``deletion``; replace the whole table on ``replacement``."""
        if replacement:
            return new_value
        primary = self.model.primary_attribute().name
        kept = set()
        for values in self._values_of(new_value or ()):
            identifier = values.get(primary)
            if identifier is not None and old_value.exists(identifier):
                instance = old_value.read(identifier)
                if edition:
                    instance.edit(values, addition, edition, deletion, replacement)
            elif addition:
                instance = old_value.create(**values)
            else:
                continue
            kept.add(instance.raw_identifier)
        if deletion:
            for instance in list(old_value.all()):
                if instance.raw_identifier not in kept:
                    instance.delete()
        return old_value
