"""Attributes that hold one plain value: numbers, strings, booleans, UUIDs,
dates and times.

Each one checks what it is given: a value it cannot hold raises a
:class:`TypeError` or :class:`ValueError` that names the model, the
attribute and the value, and nothing is written.

>>> class Cowboy(sheraf.Model):
...     table = "simples_cowboys"
...     age = sheraf.IntegerAttribute()
...
>>> with sheraf.connection():
...     Cowboy.create(age="abc")
Traceback (most recent call last):
    ...
ValueError: Cowboy.age (IntegerAttribute) cannot hold 'abc': not an integer
"""

import datetime
import numbers
import operator
import re
import uuid

from BTrees.LOBTree import LOBTree

from sheraf.attributes.base import Attribute

_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_DATE = datetime.date(1970, 1, 1)


class SimpleAttribute(Attribute):
    """Holds any value ZODB can store, unchecked."""


class TypedAttribute(Attribute):
    """Holds values of its ``type`` class attribute: a value of another type
    is converted by calling ``type`` on it, and ``None`` is kept. Its
    default value is ``type()``, stored when it is first read. Subclass it
    for a type of your own:

    >>> import decimal
    >>> class DecimalAttribute(sheraf.TypedAttribute):
    ...     type = decimal.Decimal
    ...
    >>> class Cowboy(sheraf.Model):
    ...     table = "typed_cowboys"
    ...     debt = DecimalAttribute()
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create()
    ...     george.debt, Cowboy.create(debt="12.50").debt
    (Decimal('0'), Decimal('12.50'))

    The attributes of booleans, integers, floats and strings are typed
    attributes that check more: they refuse what would lose data in the
    conversion (``51.5`` for an integer).
    """

    type = object

    def __init__(self, **kwargs):
        kwargs.setdefault("default", self.type)
        super().__init__(**kwargs)

    def serialize(self, value):
        if value is None or type(value) is self.type:
            return value
        try:
            return self.type(value)
        except (TypeError, ValueError):
            raise
        except Exception as error:  # such as decimal.InvalidOperation
            raise ValueError(f"not a {self.type.__name__}: {error!r}") from error


class IntegerAttribute(TypedAttribute):
    """Holds an :class:`int`. Whole floats and numeric strings are
    converted; ``None`` is kept."""

    type = int
    default_index_mapping = LOBTree

    def __init__(self, default=0, **kwargs):
        super().__init__(default=default, **kwargs)

    def serialize(self, value):
        if value is None or type(value) is int:
            return value
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("not a whole number")
            return int(value)
        if isinstance(value, (str, bytes)):
            try:
                return int(value)
            except ValueError:
                raise ValueError("not an integer") from None
        try:
            return operator.index(value)
        except TypeError:
            raise TypeError(
                f"an integer is needed, not {type(value).__name__}"
            ) from None


class FloatAttribute(TypedAttribute):
    """Holds a :class:`float`. Integers and numeric strings are converted;
    ``None`` is kept."""

    type = float

    def __init__(self, default=0.0, **kwargs):
        super().__init__(default=default, **kwargs)

    def serialize(self, value):
        if value is None or type(value) is float:
            return value
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, str, bytes)):
            raise TypeError(f"a number is needed, not {type(value).__name__}")
        try:
            return float(value)
        except ValueError:
            raise ValueError("not a number") from None


class StringAttribute(TypedAttribute):
    """Holds a :class:`str`. Numbers, UUIDs and UTF-8 bytes are converted;
    ``None`` is kept. Empty strings are not indexed."""

    type = str

    nullok = False

    def __init__(self, default="", **kwargs):
        super().__init__(default=default, **kwargs)

    def serialize(self, value):
        if value is None or type(value) is str:
            return value
        if isinstance(value, str):
            return str(value)
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("bytes that are not UTF-8 text") from None
        if isinstance(value, (numbers.Number, uuid.UUID)) and not isinstance(
            value, bool
        ):
            return str(value)
        raise TypeError(f"a string is needed, not {type(value).__name__}")


class BooleanAttribute(TypedAttribute):
    """Holds a :class:`bool`; ``0`` and ``1`` are converted, ``None`` is kept."""

    type = bool

    def __init__(self, default=False, **kwargs):
        super().__init__(default=default, **kwargs)

    def serialize(self, value):
        if value is None or type(value) is bool:
            return value
        if isinstance(value, numbers.Integral) and value in (0, 1):
            return bool(value)
        raise TypeError(f"a boolean is needed, not {type(value).__name__}")


class UUIDAttribute(Attribute):
    """Holds a :class:`uuid.UUID`, given as a UUID, a string, bytes or an
    integer, and stored as an integer."""

    index_keys_are_values = True

    def serialize(self, value):
        if value is None:
            return None
        return _as_uuid(value).int

    def deserialize(self, raw):
        if raw is None:
            return None
        return uuid.UUID(int=raw)

    def index_keys(self, value):
        # Indexed by the UUID itself, as sheraf 0.6 did: its indexes answer.
        return {None if value is None else _as_uuid(value)}


class StringUUIDAttribute(Attribute):
    """Holds a UUID, read as its canonical string and stored as an integer,
    as sheraf 0.6 did; its indexes file the string."""

    index_keys_are_values = True

    def serialize(self, value):
        if value is None:
            return None
        if type(value) is str and _CANONICAL_UUID.fullmatch(value):
            return int(value.replace("-", ""), 16)
        return _as_uuid(value).int

    def deserialize(self, raw):
        if type(raw) is int:
            # str(uuid.UUID(int=raw)), three times faster: every instance a
            # query finds goes through here.
            digits = f"{raw:032x}"
            return (
                f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-"
                f"{digits[16:20]}-{digits[20:]}"
            )
        return raw

    def index_keys(self, value):
        if value is None or (type(value) is str and _CANONICAL_UUID.fullmatch(value)):
            return {value}
        return {str(_as_uuid(value))}


# A UUID as str() writes it: what a StringUUIDAttribute reads. Recognizing
# it spares parsing it on the write path of every Model.
_CANONICAL_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _as_uuid(value):
    if isinstance(value, uuid.UUID):
        return value
    try:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return uuid.UUID(int=value)
        if isinstance(value, bytes) and len(value) == 16:
            return uuid.UUID(bytes=value)
        if isinstance(value, (str, bytes)):
            return uuid.UUID(value.decode() if isinstance(value, bytes) else value)
    except ValueError:
        raise ValueError("not a UUID") from None
    raise TypeError(f"a UUID is needed, not {type(value).__name__}")


class DateTimeAttribute(Attribute):
    """Holds a :class:`datetime.datetime`, stored as a UTC timestamp. Aware
    datetimes are converted to UTC; naive ones are taken as UTC."""

    def serialize(self, value):
        if value is None:
            return None
        if not isinstance(value, datetime.datetime):
            raise TypeError(f"a datetime is needed, not {type(value).__name__}")
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return self.datetime_to_timestamp(value)

    def datetime_to_timestamp(self, naive_utc):
        """The number of seconds from 1970-01-01 to the naive UTC datetime
        ``naive_utc``: how it is stored."""
        return (naive_utc - _EPOCH).total_seconds()

    def deserialize(self, raw):
        if raw is None:
            return None
        return _EPOCH + datetime.timedelta(seconds=raw)


class DateAttribute(Attribute):
    """Holds a :class:`datetime.date`, stored as a number of days."""

    default_index_mapping = LOBTree

    def serialize(self, value):
        if value is None:
            return -1
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise TypeError(f"a date is needed, not {type(value).__name__}")
        return (value - _EPOCH_DATE).days

    def deserialize(self, raw):
        if raw is None or raw == -1:
            return None
        return _EPOCH_DATE + datetime.timedelta(days=raw)


class TimeAttribute(Attribute):
    """Holds a naive :class:`datetime.time`, stored as microseconds since
    midnight."""

    default_index_mapping = LOBTree

    def serialize(self, value):
        if value is None:
            return -1
        if not isinstance(value, datetime.time):
            raise TypeError(f"a time is needed, not {type(value).__name__}")
        if value.tzinfo is not None:
            raise ValueError("a time with a timezone cannot be stored")
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return seconds * 1_000_000 + value.microsecond

    def deserialize(self, raw):
        if raw is None or raw == -1:
            return None
        seconds, microseconds = divmod(raw, 1_000_000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return datetime.time(hour, minute, second, microseconds)
