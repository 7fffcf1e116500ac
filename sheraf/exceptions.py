"""Everything sheraf raises or warns about."""


class SherafException(Exception):
    """The base of sheraf's own exceptions."""


class ObjectNotFoundException(SherafException):
    """An object was looked up and does not exist."""


class ModelObjectNotFoundException(ObjectNotFoundException):
    """:meth:`~sheraf.models.indexation.BaseIndexedModel.read` found no
    instance for an identifier, or for a value of a unique index.

    The message is :attr:`MESSAGE_TPL` formatted with ``identifier`` (its
    repr), ``model_name`` and ``index_name``, as in sheraf 0.6; a subclass
    may change it.

    >>> class Horse(sheraf.Model):
    ...     table = "exception_horses"
    ...
    >>> with sheraf.connection():
    ...     Horse.read("nope")
    Traceback (most recent call last):
        ...
    sheraf.exceptions.ModelObjectNotFoundException: Key 'nope' not found in Horse, 'id' index
    """

    MESSAGE_TPL = "Key {identifier} not found in {model_name}, '{index_name}' index"

    def __init__(self, model_class, identifier, index_name=None):
        self.model_class = model_class
        self.identifier = identifier
        self.index_name = index_name or model_class.primary_key()
        super().__init__(
            self.MESSAGE_TPL.format(
                identifier=repr(identifier),
                model_name=model_class.__name__,
                index_name=self.index_name,
            )
        )


class SameNameForTableException(SherafException):
    """Two different model classes declared the same ``table``."""


class ConnectionAlreadyOpened(SherafException):
    """A connection was opened inside another one, on a database that is not
    ``nestable``."""


class NotConnectedException(SherafException):
    """Something needed an open connection and the running thread or greenlet
    has none."""


class ForkedDatabaseException(SherafException):
    """A :class:`~sheraf.databases.Database` created in one process was used
    in another one, forked from it."""


class InvalidURIException(SherafException, ValueError):
    """A database URI that cannot be opened."""


class DatabaseUnavailableException(SherafException):
    """The storage server did not answer in time, or cannot be reached."""


class InvalidFilterException(SherafException):
    """A :class:`~sheraf.queryset.QuerySet` filter names something the model
    does not have."""


class InvalidOrderException(SherafException):
    """A :class:`~sheraf.queryset.QuerySet` order is invalid."""


class QuerySetUnpackException(SherafException):
    """:meth:`~sheraf.queryset.QuerySet.get` did not find exactly one
    instance."""

    default_message = None

    def __init__(self, message=None, queryset=None):
        self.queryset = queryset
        if message is None:
            message = self.default_message
            if queryset is not None:
                message += f" {queryset!r}"
        super().__init__(message)


class EmptyQuerySetUnpackException(QuerySetUnpackException):
    """:meth:`~sheraf.queryset.QuerySet.get` found nothing."""

    default_message = "Trying to unpack an empty QuerySet"


class TooManyValuesSetUnpackException(QuerySetUnpackException):
    """:meth:`~sheraf.queryset.QuerySet.get` found several instances."""

    default_message = "Trying to unpack a QuerySet with multiple elements"


class InvalidIndexException(SherafException):
    """An index name that the model does not have."""


class UniqueIndexException(InvalidIndexException):
    """A value already present in a unique index."""


class MultipleIndexException(InvalidIndexException):
    """A multiple index was used where one instance is expected."""


class PrimaryKeyException(SherafException):
    """A model has no primary key, or more than one."""


class NoDatabaseConnectionException(SherafException):
    """A model's ``database_name`` has no connection open."""


class IndexationWarning(UserWarning):
    """An index was added to a table that already holds instances, and it
    is out of date until it is rebuilt."""


class ConnectionLeftOpenWarning(ResourceWarning):
    """A thread or greenlet ended with a connection still open."""
