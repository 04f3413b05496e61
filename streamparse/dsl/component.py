"""``streamparse.dsl.component``."""

from stormbridge.dsl.specs import ComponentSpec, JavaComponentSpec, ShellComponentSpec

__all__ = ["ComponentSpec", "JavaComponentSpec", "ShellComponentSpec"]
