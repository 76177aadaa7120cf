"""pytest plugin of ploteries (registered through the ``pytest11`` entry point)."""
