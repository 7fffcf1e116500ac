"""Open ZODB storages from URIs.

Every scheme that a zodburi resolver knows is accepted: ``memory://``,
``file:///path/Data.fs``, ``zeo://host:port``, ``zconfig://``, and the
schemes that installed packages add (RelStorage's ``postgres://`` for
instance). ``zeo://`` URIs get sheraf's ZEO client (see :mod:`sheraf.zeo`),
which also accepts ``response_timeout`` in the query string; so do
``postgres://`` URIs (see :mod:`sheraf.relstorage`).

>>> factory, db_kw = resolve("memory://?database_name=saloon")
>>> db_kw["database_name"]
'saloon'
>>> resolve("nosuch://here")
Traceback (most recent call last):
    ...
sheraf.exceptions.InvalidURIException: Cannot open 'nosuch://here': no installed resolver knows the scheme 'nosuch' (known: ...).
"""

from importlib.metadata import entry_points
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import zodburi

from sheraf.exceptions import InvalidURIException


def resolve(uri, read_only=False):
    """Read ``uri`` without opening anything yet.

    :return: a function that opens the storage, and the :class:`ZODB.DB`
        keyword arguments the URI carries (``database_name``,
        ``pool_size``...).
    """
    try:
        scheme = urlsplit(uri).scheme if isinstance(uri, str) else ""
    except ValueError as exc:  # an invalid IPv6 address, for instance
        raise InvalidURIException(f"Cannot open {uri!r}: {exc}") from None
    if not scheme:
        raise InvalidURIException(
            f"Cannot open {uri!r}: a database URI looks like 'zeo://host:port', "
            "'file:///path/Data.fs' or 'memory://'."
        )
    # Schemes are case-insensitive; zodburi's resolvers know them in lower case.
    uri = scheme + uri[uri.index(":") :]
    if read_only:
        uri = _with_query(uri, read_only="true")

    sheraf_options = {}
    if scheme == "zeo":
        uri, sheraf_options = _pop_query(uri, "response_timeout")

    try:
        if scheme == "postgres":
            from sheraf.relstorage import resolve_postgres

            factory, db_kw = resolve_postgres(uri)
        else:
            factory, db_kw = zodburi.resolve_uri(uri)
    except InvalidURIException:
        raise
    except zodburi.NoResolverForScheme as exc:
        known = ", ".join(sorted(_known_schemes()))
        unknown = exc.uri[: exc.uri.find(":")]  # demo: URIs hold others
        raise InvalidURIException(
            f"Cannot open {uri!r}: no installed resolver knows the scheme "
            f"{unknown!r} (known: {known})."
        ) from None
    except Exception as exc:  # zconfig:// reads a file, for instance
        raise InvalidURIException(f"Cannot open {uri!r}: {exc}") from exc

    if scheme == "zeo":
        from sheraf.zeo import zeo_storage_factory

        factory = zeo_storage_factory(uri, **sheraf_options)
    return factory, db_kw


def _known_schemes():
    return {entry_point.name for entry_point in entry_points(group="zodburi.resolvers")}


def _with_query(uri, **extra):
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    query.update(extra)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _pop_query(uri, *names):
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    popped = {name: query.pop(name) for name in names if name in query}
    return urlunsplit(parts._replace(query=urlencode(query))), popped
