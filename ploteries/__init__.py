"""ploteries: TensorBoard-compatible logging into one crash-safe HDF5 database, and a fast viewer."""

__version__ = "0.1.0"
