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

    Called with attributes, it gives an anonymous inline model class, for
    a model used in one place only:

    >>> Gun = sheraf.InlineModel(bullets=sheraf.IntegerAttribute(default=6))
    >>> Gun.create().bullets
    6
    """

    def __new__(cls, **attributes):
        if not attributes:
            return super().__new__(cls)
        qualname = f"{cls.__qualname__}({', '.join(attributes)})"
        namespace = {
            **attributes,
            "__module__": cls.__module__,
            "__qualname__": qualname,
        }
        return type(cls)(cls.__name__, (cls,), namespace)
