"""The classes of indexed models: they gather a model's indexes, give each
its :mod:`index manager <sheraf.models.indexmanager>`, check the primary
key, and keep table names unique."""

from sheraf.attributes.index import Index
from sheraf.exceptions import PrimaryKeyException
from sheraf.exceptions import SameNameForTableException
from sheraf.models.base import BaseModelMetaclass


class BaseIndexedModelMetaclass(BaseModelMetaclass):
    """Gathers the indexes of a model, those of its attributes and those
    declared as class attributes, and checks it has one primary key."""

    def __new__(mcs, name, bases, attrs):
        klass = super().__new__(mcs, name, bases, attrs)
        indexes = _declared_indexes(klass)
        for index in indexes.values():
            index.resolve(klass.attributes)
            for attribute in index.attributes:
                attribute.lazy = False
                # Attributes know they are indexed (collection views then
                # write their changes through the model).
                attribute.indexes.setdefault(index.key, index)
        klass.indexes = klass.index_managers(indexes.values())
        klass._indexes_of_attribute = {
            attribute_name: [
                index
                for index in indexes.values()
                if attribute in index.attributes and not index.primary
            ]
            for attribute_name, attribute in klass.attributes.items()
        }
        klass._plain_indexes = _plain_indexes(klass.attributes, indexes)

        primaries = [key for key, index in indexes.items() if index.primary]
        if len(primaries) > 1:
            raise PrimaryKeyException(
                f"A model can have only one primary key. {name!r} has "
                f"{' and '.join(map(repr, primaries))}."
            )
        klass._primary_key = primaries[0] if primaries else None
        klass._primary_attribute = (
            indexes[primaries[0]].attributes[0] if primaries else None
        )
        # What reading an instance by its identifier memoizes, kept out of
        # the class's descriptors for the hot path.
        primary = klass._primary_attribute
        klass._identifier_memo = (
            (
                primary.name,
                None
                if primary.reads_as_stored or primary.index_keys_are_values
                else primary.deserialize,
            )
            if primary is not None and primary.write_memoization
            else None
        )
        return klass


def _declared_indexes(klass):
    """The indexes of ``klass``, by name: those of its attributes, then
    those declared in its body or its bases' (which win)."""
    indexes = {}
    for attribute in klass.attributes.values():
        for index in attribute.indexes.values():
            index.key = index.key or attribute.name
        attribute.indexes = {index.key: index for index in attribute.indexes.values()}
        indexes.update(
            (key, index)
            for key, index in attribute.indexes.items()
            if not index.in_model_body
        )
    for owner in reversed(klass.__mro__):
        for member_name, member in vars(owner).items():
            if isinstance(member, Index):
                member.key = member.key or member_name
                member.in_model_body = True
                indexes[member.key] = member
    return indexes


def _plain_indexes(attributes, indexes):
    """For each attribute, the name of the index that files instances under
    its own keys, which filters and orders on the attribute can use."""
    plain = {}
    for index in indexes.values():
        if index.is_plain and index.auto:
            attribute = index.attributes[0]
            if attribute.name not in plain or index.key == attribute.name:
                plain[attribute.name] = index
    return {name: index.key for name, index in plain.items() if name in attributes}


class IndexedModelMetaclass(BaseIndexedModelMetaclass):
    """Keeps the table names unique among models, but for those whose
    ``unique_table_name`` is ``False``."""

    tables = {}

    def __new__(mcs, name, bases, attrs):
        klass = super().__new__(mcs, name, bases, attrs)
        table = attrs.get("table")
        if table is not None:
            qualname = f"{klass.__module__}.{klass.__qualname__}"
            previous = IndexedModelMetaclass.tables.get(table)
            if (
                previous is not None
                and klass.unique_table_name
                and previous[0].rsplit(".", 1)[-1] != name
            ):
                raise SameNameForTableException(
                    f"Table named {table!r} used twice: {previous[0]} and {qualname}"
                )
            IndexedModelMetaclass.tables[table] = (qualname, klass)
        return klass
