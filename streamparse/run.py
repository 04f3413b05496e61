"""``streamparse.run``: the ``streamparse_run`` entry point (``main``)."""

from stormbridge.runtime.run import RESOURCES_PATH, load_component_class, main

__all__ = ["RESOURCES_PATH", "load_component_class", "main"]
