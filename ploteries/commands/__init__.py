"""Subcommands of the ``ploteries`` command line, one module each."""
