"""The topology DSL: pure Python specs, compiled to Storm Thrift on demand.

Importing this package never imports thriftpy2; only compiling (``compile_topology``,
the ``thrift_*`` class attributes, ``write``/``read``) does. ``boot`` names the script
Storm starts for each Python component and renders its text. It may import ``errors``
and ``thrift``; never the runtime, build, project, Storm, UI or CLI layers (the runtime's
``Spout.spec()``/``Bolt.spec()`` reach the DSL through the package root).
"""

from __future__ import annotations

from .compile import compile_topology, python_class_paths
from .component import (
    JavaBolt,
    JavaSpout,
    ShellBolt,
    ShellSpout,
    class_path_of,
    python_bolt_spec,
    python_spout_spec,
)
from .java import JavaArg, JavaObjectSpec
from .kafka import KafkaSpout, KafkaSpoutSpec
from .specs import (
    ComponentSpec,
    JavaBoltSpec,
    JavaComponentSpec,
    JavaSpoutSpec,
    ShellBoltSpec,
    ShellComponentSpec,
    ShellSpoutSpec,
)
from .stream import GlobalStreamId, Grouping, Stream, StreamGrouping
from .topology import Topology, TopologyType, validate_topology_name

__all__ = [
    "ComponentSpec",
    "GlobalStreamId",
    "Grouping",
    "JavaArg",
    "JavaBolt",
    "JavaBoltSpec",
    "JavaComponentSpec",
    "JavaObjectSpec",
    "JavaSpout",
    "JavaSpoutSpec",
    "KafkaSpout",
    "KafkaSpoutSpec",
    "ShellBolt",
    "ShellBoltSpec",
    "ShellComponentSpec",
    "ShellSpout",
    "ShellSpoutSpec",
    "Stream",
    "StreamGrouping",
    "Topology",
    "TopologyType",
    "class_path_of",
    "compile_topology",
    "python_bolt_spec",
    "python_class_paths",
    "python_spout_spec",
    "validate_topology_name",
]
