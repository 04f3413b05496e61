"""Numbers Storm cannot take are refused where they are written, not after the upload."""

from __future__ import annotations

import pytest

from stormbridge import Bolt, Spout
from stormbridge.errors import ConfigError, TopologyError
from stormbridge.project.config import load_config
from stormbridge.project.options import resolve_options


class Words(Spout):
    outputs = ["word"]


class Sink(Bolt):
    outputs = []


@pytest.mark.parametrize("par", [2**31, 2**40, {"prod": 2**31}])
def test_parallelism_beyond_thrift_i32_is_refused_in_the_dsl(par: object) -> None:
    with pytest.raises(TopologyError, match=r"2147483647"):
        Sink.spec(inputs=[Words.spec()], par=par)  # type: ignore[arg-type]


def test_the_largest_i32_parallelism_is_accepted() -> None:
    assert Words.spec(par=2**31 - 1).par == 2**31 - 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("topology.workers", 2**40),
        ("topology.workers", 0),
        ("topology.workers", True),
        ("topology.acker.executors", -1),
        ("topology.acker.executors", 2**31),
        ("topology.max.spout.pending", 2**31),
        ("topology.message.timeout.secs", 0),
    ],
)
def test_worker_and_acker_counts_are_checked_before_submitting(
    tmp_path, key: str, value: object
) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"topology_specs": "topologies/", "envs": {"prod": {"nimbus": "h"}}}')
    env = load_config(path).select_env(environ={})
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        resolve_options(env, cli_options={key: value})


def test_null_ackers_and_pending_stay_allowed(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"topology_specs": "topologies/", "envs": {"prod": {"nimbus": "h"}}}')
    env = load_config(path).select_env(environ={})
    conf = resolve_options(
        env, cli_options={"topology.acker.executors": None, "topology.max.spout.pending": None}
    )
    assert conf["topology.acker.executors"] is None
