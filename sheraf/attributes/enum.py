"""An attribute that holds a member of an :class:`enum.Enum`."""

import enum

from sheraf.attributes.base import Attribute
from sheraf.attributes.simples import SimpleAttribute


class EnumMember:
    """A member of an enumeration as an :class:`EnumAttribute` reads it:
    equal to the member and to its value, with the member's attributes, and
    an ``is_<name>`` test for each member of the enumeration."""

    __slots__ = ("member",)

    def __init__(self, member):
        self.member = member

    def __getattr__(self, name):
        if name.startswith("is_"):
            members = type(self.member).__members__
            candidate = members.get(name[3:].upper())
            if candidate is not None:
                return candidate is self.member
        return getattr(self.member, name)

    def _comparable(self, other):
        if isinstance(other, EnumMember):
            return other.member.value
        if isinstance(other, enum.Enum):
            return other.value
        return other

    def __eq__(self, other):
        return self.member.value == self._comparable(other)

    def __lt__(self, other):
        return self.member.value < self._comparable(other)

    def __le__(self, other):
        return self.member.value <= self._comparable(other)

    def __gt__(self, other):
        return self.member.value > self._comparable(other)

    def __ge__(self, other):
        return self.member.value >= self._comparable(other)

    def __hash__(self):
        return hash(self.member.value)

    def __str__(self):
        return str(self.member.value)

    def __repr__(self):
        return repr(self.member)


class EnumAttribute(Attribute):
    """Holds a member of ``enum``, given as the member or its value, and
    stores its value through ``attribute`` (a
    :class:`~sheraf.attributes.simples.SimpleAttribute` by default). A value
    that is not one of the enumeration's raises :class:`ValueError`.

    >>> import enum
    >>> class Cowboy(sheraf.Model):
    ...     table = "enum_cowboys"
    ...
    ...     class Status(enum.IntEnum):
    ...         FARMER = 0
    ...         SHERIF = 1
    ...
    ...     status = sheraf.EnumAttribute(Status, sheraf.IntegerAttribute())
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(status=Cowboy.Status.SHERIF)
    ...     george.status == 1, george.status == Cowboy.Status.SHERIF, george.status.is_sherif
    (True, True, True)
    """

    def __init__(self, enum, attribute=None, **kwargs):
        self.enum = enum
        self.attribute = attribute if attribute is not None else SimpleAttribute()
        super().__init__(**kwargs)

    def serialize(self, value):
        if value is None:
            return None
        if isinstance(value, EnumMember):
            value = value.member
        if not isinstance(value, self.enum):
            candidate = self.attribute.deserialize(self.attribute.serialize(value))
            try:
                value = self.enum(candidate)
            except ValueError:
                raise ValueError(f"not a {self.enum.__name__}") from None
        return self.attribute.serialize(value.value)

    def deserialize(self, raw):
        if raw is None:
            return None
        return EnumMember(self.enum(self.attribute.deserialize(raw)))
