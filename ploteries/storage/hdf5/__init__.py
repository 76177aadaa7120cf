"""The HDF5 backend of a ploteries database: file format, locking and repair (see docs/format.md)."""
