"""How a model names its attributes in its records."""

import datetime

from sheraf.attributes.simples import SimpleAttribute
from sheraf.models.base import BaseModel


class NamedAttributesModel(BaseModel):
    """Attributes are stored under their names."""

    @classmethod
    def attribute_id(cls, name, attribute):
        return name


class IntAttributesModel(BaseModel):
    """Attributes are stored under their position in the class, which makes
    smaller records; reordering attributes needs explicit keys."""

    @classmethod
    def attribute_id(cls, name, attribute):
        return len(cls.attributes)


class DatedNamedAttributesModel(NamedAttributesModel):
    """Named attributes, plus the creation date and the date of the last
    committed change."""

    _creation = SimpleAttribute(
        default=lambda: datetime.datetime.now().timestamp(), lazy=False
    )

    def creation_datetime(self):
        """When :meth:`create` was called, ``None`` before the first commit."""
        if self.mapping._p_oid is None:
            return None
        return _from_stored_date(self._creation)

    def last_update_datetime(self):
        """When the last transaction that changed this instance committed,
        ``None`` before the first commit."""
        mtime = self.mapping._p_mtime
        return None if mtime is None else datetime.datetime.fromtimestamp(mtime)

    def save(self):
        """Mark the instance changed, so that the next commit updates
        :meth:`last_update_datetime`, and save the attributes."""
        self.mapping._p_changed = True
        return super().save()


_LEGACY_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S:%f", "%d/%m/%Y %H:%M")


def _from_stored_date(stored):
    if isinstance(stored, (int, float)):
        return datetime.datetime.fromtimestamp(stored)
    for date_format in _LEGACY_DATE_FORMATS:
        try:
            return datetime.datetime.strptime(stored, date_format)
        except (TypeError, ValueError):
            continue
    return None
