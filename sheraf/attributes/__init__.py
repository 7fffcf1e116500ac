"""Attributes: the typed values of a model."""

from sheraf.attributes.base import Attribute
from sheraf.attributes.base import set_read_memoization
from sheraf.attributes.base import set_write_memoization
from sheraf.attributes.index import Index

__all__ = ["Attribute", "Index", "set_read_memoization", "set_write_memoization"]
