"""The worker import path stays light; the compatibility packages expose the old names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)

FORBIDDEN = (
    "thriftpy2",
    "thrift",
    "paramiko",
    "fabric",
    "ssh",
    "http",
    "urllib.request",
    "requests",
    "stormbridge.cli",
    "stormbridge.dsl",
    "stormbridge.thrift",
)


def test_worker_runtime_imports_nothing_heavy():
    code = """
import json, sys
import streamparse, stormbridge.runtime.run, pystorm
from streamparse import Bolt, Spout, BatchingBolt, TicklessBatchingBolt
class B(Bolt):
    def process(self, tup):
        pass
B(); Spout()
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    modules = json.loads(out)
    bad = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


def test_streamparse_names():
    import stormbridge
    import streamparse
    import streamparse.bolt
    import streamparse.component
    import streamparse.run
    import streamparse.spout
    import streamparse.storm.bolt
    import streamparse.storm.component
    import streamparse.storm.spout
    import streamparse.version

    assert (
        streamparse.Bolt is stormbridge.Bolt is streamparse.bolt.Bolt is streamparse.storm.bolt.Bolt
    )
    assert streamparse.Spout is streamparse.spout.Spout
    assert streamparse.ReliableSpout.__mro__[1] is streamparse.Spout
    assert streamparse.TicklessBatchingBolt.__mro__[1] is streamparse.BatchingBolt
    assert streamparse.StormHandler is streamparse.storm.component.StormHandler
    assert streamparse.component.Component is stormbridge.Component
    assert streamparse.__version__ == streamparse.version.__version__ == "5.0.1"
    assert streamparse.VERSION == streamparse.version.VERSION == (5, 0, 1)
    assert streamparse.VERSION >= (4, 0)  # what user code checks
    assert streamparse.Tuple._fields == ("id", "component", "stream", "task", "values")
    assert callable(streamparse.run.main)


def test_pystorm_names():
    import pystorm
    import pystorm.component
    import pystorm.exceptions
    import pystorm.serializers
    import stormbridge

    for name in (
        "Component",
        "Tuple",
        "Bolt",
        "BatchingBolt",
        "TicklessBatchingBolt",
        "Spout",
        "ReliableSpout",
    ):
        assert getattr(pystorm, name) is getattr(stormbridge, name)
    assert pystorm.component.StormHandler is stormbridge.StormHandler
    assert issubclass(pystorm.exceptions.StormWentAwayError, Exception)
    assert pystorm.serializers.JSONSerializer.codec_name == "json"
    assert pystorm.VERSION == (3, 1, 4) and pystorm.__version__ == "3.1.4"


def test_streamparse_paths_to_dsl_classes_load_lazily():
    import subprocess
    import sys

    code = (
        "import sys, streamparse.bolt, streamparse.spout, streamparse.storm.bolt\n"
        "assert 'stormbridge.dsl' not in sys.modules\n"
        "from streamparse.bolt import ShellBolt, JavaBolt\n"
        "from streamparse.spout import ShellSpout, JavaSpout\n"
        "from streamparse.storm.bolt import JavaBolt as J\n"
        "import stormbridge.dsl as d\n"
        "assert (ShellBolt, JavaBolt, ShellSpout, JavaSpout, J) == "
        "(d.ShellBolt, d.JavaBolt, d.ShellSpout, d.JavaSpout, d.JavaBolt)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_pystorm_serializer_shape():
    import io

    from pystorm.serializers import JSONSerializer

    out = io.BytesIO()
    ser = JSONSerializer(io.BytesIO(b'{"command":"next"}\nend\n'), out)
    assert ser.read_message() == {"command": "next"}
    ser.send_message({"command": "sync"})
    assert out.getvalue() == b'{"command":"sync"}\nend\n'


def test_component_spec_is_refused_and_class_attributes_exist():
    from stormbridge import Bolt, Component, Spout

    with pytest.raises(TypeError, match="Specifications should either be bolts or spouts"):
        Component.spec()
    assert (Component.outputs, Component.par, Component.config) == (None, 1, None)
    assert Bolt.auto_ack and Bolt.auto_anchor and Bolt.auto_fail and Bolt.exit_on_exception
    assert Spout.spec.__func__ is not Component.spec.__func__


def test_constructors_install_no_signal_handlers():
    import signal

    from stormbridge import BatchingBolt, Bolt, Spout, TicklessBatchingBolt

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}
    Bolt(), Spout(), BatchingBolt(), TicklessBatchingBolt()
    assert {s: signal.getsignal(s) for s in before} == before


def test_dsl_names_load_lazily():
    code = """
import sys
import stormbridge, streamparse
assert 'stormbridge.dsl' not in sys.modules
streamparse.Topology
assert 'stormbridge.dsl' in sys.modules
assert streamparse.Topology is stormbridge.Topology
for name in ("Grouping", "Stream", "ShellBolt", "ShellSpout", "JavaBolt", "JavaSpout"):
    assert getattr(streamparse, name) is getattr(stormbridge, name)
print('ok')
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert out.strip() == "ok"


def test_streamparse_storm_exposes_dsl_classes_lazily():
    import stormbridge
    import streamparse.storm

    assert streamparse.storm.ShellBolt is stormbridge.ShellBolt
    assert streamparse.storm.JavaSpout is stormbridge.JavaSpout


def test_spout_and_bolt_spec_go_through_the_dsl():
    from stormbridge import Bolt, Spout

    class S(Spout):
        outputs = ["word"]

    class B(Bolt):
        outputs = ["word", "count"]

    spout_spec = S.spec(name="s", par=2)
    bolt_spec = B.spec(name="b", inputs=[spout_spec], par=3)
    assert spout_spec is not None and bolt_spec is not None
