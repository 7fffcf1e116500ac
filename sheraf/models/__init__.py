"""The model classes: how instances are identified and how their
attributes are stored.

:class:`Model` is the usual choice: UUID identifiers, named attributes, and
creation and modification dates.
"""

import random
import re
import sys
import uuid

from sheraf.attributes.simples import IntegerAttribute
from sheraf.attributes.simples import StringUUIDAttribute
from sheraf.models.attributes import DatedNamedAttributesModel
from sheraf.models.attributes import IntAttributesModel
from sheraf.models.attributes import NamedAttributesModel
from sheraf.models.indexation import IndexedModel
from sheraf.models.indexation import IndexedModelMetaclass
from sheraf.models.indexation import SimpleIndexedModel


class UUIDIndexedModel:
    """Identifiers are random UUIDs, handled as strings."""

    id = StringUUIDAttribute(default=lambda: str(uuid.uuid4())).index(primary=True)


class IntIndexedModel:
    """Identifiers are random 64-bit integers."""

    MAX_INT = sys.maxsize
    id = IntegerAttribute(default=lambda m: random.randint(0, m.MAX_INT)).index(
        primary=True
    )


class IntOrderedIndexedModel:
    """Identifiers are integers counting from 0. Two transactions creating
    an instance at once get the same identifier: one of them conflicts, and
    :func:`sheraf.attempt` runs it again."""

    id = IntegerAttribute(default=lambda m: m.count()).index(primary=True)


class IntIndexedNamedAttributesModel(
    NamedAttributesModel, IntIndexedModel, IndexedModel
):
    """Integer identifiers, named attributes."""


class IntOrderedNamedAttributesModel(
    NamedAttributesModel, IntOrderedIndexedModel, IndexedModel
):
    """Integer identifiers counting from 0, named attributes."""


class UUIDIndexedNamedAttributesModel(
    NamedAttributesModel, UUIDIndexedModel, IndexedModel
):
    """UUID identifiers, named attributes."""


class UUIDIndexedDatedNamedAttributesModel(
    DatedNamedAttributesModel, UUIDIndexedModel, IndexedModel
):
    """UUID identifiers, named attributes, creation and modification dates."""


class IntIndexedIntAttributesModel(IntAttributesModel, IntIndexedModel, IndexedModel):
    """Integer identifiers, attributes stored under integer keys."""


class AttributeModel(NamedAttributesModel, SimpleIndexedModel):
    """A model whose instances live in an
    :class:`~sheraf.attributes.models.IndexedModelAttribute` of another
    model."""


Model = UUIDIndexedDatedNamedAttributesModel


class AutoModelMetaclass(IndexedModelMetaclass):
    """Gives the subclasses of :class:`AutoModel` a table named after them,
    unless they name one."""

    def __new__(mcs, name, bases, attrs):
        if any(isinstance(base, AutoModelMetaclass) for base in bases):
            attrs.setdefault("table", _snake_case(name))
        return super().__new__(mcs, name, bases, attrs)


def _snake_case(name):
    words = re.sub(
        r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    )
    return words.lower()


class AutoModel(Model, metaclass=AutoModelMetaclass):
    """A :class:`Model` whose table is its class name in snake case.

    >>> class WildHorse(sheraf.AutoModel):
    ...     name = sheraf.StringAttribute()
    ...
    >>> WildHorse.table
    'wild_horse'
    >>> with sheraf.connection():
    ...     WildHorse.create(name="Jolly Jumper").name
    'Jolly Jumper'
    """
