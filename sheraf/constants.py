"""Constants shared across sheraf: the orders of
:meth:`sheraf.queryset.QuerySet.order`, and :data:`MISSING`."""

ASC = 0
DESC = 1

MISSING = object()
"""Stands for "no value" where ``None`` is a value: ``mapping.get(key,
MISSING) is MISSING`` when ``key`` is absent. It is never stored."""
