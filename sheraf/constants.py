"""Orders for :meth:`sheraf.queryset.QuerySet.order`."""

ASC = 0
DESC = 1
