"""A from-scratch implementation of an OpenStack-Swift-compatible object store."""

__version__ = '2.38.0.dev0'
__canonical_version__ = '2.38.0'
