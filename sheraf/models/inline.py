"""Models stored inside other models."""

from sheraf.models.attributes import NamedAttributesModel


class InlineModel(NamedAttributesModel):
    """A model that is not filed in a table: it lives in an attribute of
    another model (see :class:`~sheraf.attributes.models.InlineModelAttribute`)
    and has no :meth:`read`.

    >>> class Horse(sheraf.InlineModel):
    ...     name = sheraf.StringAttribute()
    ...
    >>> Horse.create(name="Jolly Jumper").name
    'Jolly Jumper'
    """
