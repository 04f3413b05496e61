"""NimbusClient against a real framed-binary Thrift server in this process (FakeNimbus)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stormbridge.errors import (
    AlreadyAliveError,
    AuthorizationError,
    ConfigError,
    InvalidTopologyError,
    JarError,
    NimbusError,
    NimbusUnreachableError,
    NotAliveError,
    TopologyError,
)
from stormbridge.testing.nimbus import MAX_FRAME_BYTES, FakeNimbus
from stormbridge.thrift import storm_thrift
from stormbridge.thrift.nimbus import UPLOAD_CHUNK_SIZE, NimbusClient, connect_leader
from stormbridge.thrift.summaries import NimbusAddress, parse_address


@pytest.fixture
def nimbus() -> Iterator[FakeNimbus]:
    with FakeNimbus() as fake:
        yield fake


@pytest.fixture
def client(nimbus: FakeNimbus) -> Iterator[NimbusClient]:
    with NimbusClient(*nimbus.address, timeout=10, connect_timeout=5) as c:
        yield c


def wordcount_topology() -> Any:
    t = storm_thrift()

    def common(inputs: dict[Any, Any], fields: list[str], par: int) -> Any:
        return t.ComponentCommon(
            inputs=inputs,
            streams={"default": t.StreamInfo(output_fields=fields, direct=False)},
            parallelism_hint=par,
            json_conf='{"stormbridge.component": "x"}',
        )

    def shell(cls: str) -> Any:
        return t.ComponentObject(
            shell=t.ShellComponent(
                execution_command="python3", script=f"_stormbridge/boot/{cls}.py"
            )
        )

    return t.StormTopology(
        spouts={
            "word_spout": t.SpoutSpec(
                spout_object=shell("spouts.words.WordSpout"), common=common({}, ["word"], 1)
            )
        },
        bolts={
            "count_bolt": t.Bolt(
                bolt_object=shell("bolts.wordcount.WordCountBolt"),
                common=common(
                    {t.GlobalStreamId("word_spout", "default"): t.Grouping(fields=["word"])},
                    ["word", "count"],
                    2,
                ),
            )
        },
        state_spouts={},
    )


def submit(client: NimbusClient, tmp_path: Path, name: str = "wordcount", **kwargs: Any) -> str:
    jar = tmp_path / "t.jar"
    jar.write_bytes(b"PK\x05\x06" + bytes(18))
    location = client.upload_jar(jar)
    client.submit(name, location, wordcount_topology(), {"topology.workers": 2}, **kwargs)
    return location


def test_upload_sends_small_chunks_that_reassemble_exactly(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 4000 + b"tail"  # 1 024 004 bytes: 4 chunks, the last short
    jar = tmp_path / "big.jar"
    jar.write_bytes(data)
    seen: list[tuple[int, int]] = []
    location = client.upload_jar(jar, progress=lambda sent, total: seen.append((sent, total)))
    assert nimbus.jars[location] == data
    assert nimbus.chunk_sizes == [UPLOAD_CHUNK_SIZE] * 3 + [len(data) - 3 * UPLOAD_CHUNK_SIZE]
    assert max(nimbus.frame_sizes) < MAX_FRAME_BYTES
    assert seen[-1] == (len(data), len(data)) and len(seen) == 4
    assert nimbus.calls[0] == "beginFileUpload" and nimbus.calls[-1] == "finishFileUpload"


def test_upload_errors(client: NimbusClient, tmp_path: Path) -> None:
    with pytest.raises(JarError, match="cannot read the topology jar"):
        client.upload_jar(tmp_path / "missing.jar")
    (tmp_path / "a.jar").write_bytes(b"x")
    with pytest.raises(ConfigError, match="1 MiB"):
        client.upload_jar(tmp_path / "a.jar", chunk_size=2_000_000)


def test_submit_arguments_arrive_intact(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    location = submit(client, tmp_path)
    topo = nimbus.topologies["wordcount"]
    assert topo.jar_location == location
    assert topo.conf == {"topology.workers": 2}
    assert topo.status == "ACTIVE"
    assert topo.topology == wordcount_topology()
    bolt = topo.topology.bolts["count_bolt"]
    assert bolt.bolt_object.shell.script == "_stormbridge/boot/bolts.wordcount.WordCountBolt.py"
    assert bolt.common.parallelism_hint == 2
    assert nimbus.calls[-1] == "submitTopologyWithOpts"


def test_submit_inactive_and_conf_as_json_string(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    jar = tmp_path / "t.jar"
    jar.write_bytes(b"jar")
    location = client.upload_jar(jar)
    client.submit("paused", location, wordcount_topology(), '{"a": [1, 2]}', active=False)
    assert nimbus.topologies["paused"].status == "INACTIVE"
    assert nimbus.topologies["paused"].conf == {"a": [1, 2]}
    client.submit("noconf", location, wordcount_topology())
    assert nimbus.topologies["noconf"].conf == {}


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ("[1, 2]", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("{bad", "not valid JSON"),
        ({"x": object()}, "cannot be sent to Nimbus as JSON"),
        ({"x": float("nan")}, "cannot be sent to Nimbus as JSON"),
        ([("a", 1)], "must be a mapping"),
    ],
)
def test_conf_that_nimbus_would_reject_fails_before_sending(
    nimbus: FakeNimbus, client: NimbusClient, conf: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        client.submit("wc", "/loc", wordcount_topology(), conf)
    assert nimbus.calls == []


@pytest.mark.parametrize("name", ["", "a/b", "a.b", "a:b", "a\\b"])
def test_bad_topology_names_fail_before_sending(
    nimbus: FakeNimbus, client: NimbusClient, name: str
) -> None:
    with pytest.raises(TopologyError, match="not allowed"):
        client.submit(name, "/loc", wordcount_topology())
    assert nimbus.calls == []


def test_every_nimbus_exception_is_mapped_with_its_message(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    t = storm_thrift()
    submit(client, tmp_path)
    with pytest.raises(AlreadyAliveError, match="`wordcount` already exists") as already:
        submit(client, tmp_path)
    assert isinstance(already.value.__cause__, t.AlreadyAliveException)
    with pytest.raises(NotAliveError, match="nope is not alive"):
        client.kill("nope")
    with pytest.raises(NotAliveError, match="No topology named nope"):
        client.topology_info("nope")
    nimbus.fail_next("submitTopologyWithOpts", t.InvalidTopologyException(msg="Field x missing"))
    with pytest.raises(InvalidTopologyError, match="rejected the topology: Field x missing"):
        submit(client, tmp_path, name="other")
    nimbus.fail_next("getClusterInfo", t.AuthorizationException(msg="user anon not allowed"))
    with pytest.raises(AuthorizationError, match="user anon not allowed"):
        client.cluster_summary()
    nimbus.fail_next("activate", RuntimeError("boom"))
    with pytest.raises(NimbusError, match="failed on activate: Internal error processing activate"):
        client.activate("wordcount")
    # the connection survives exceptions that Nimbus reports
    assert client.topology_summary("wordcount").status == "ACTIVE"


def test_nimbus_side_checks_are_reported(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    t = storm_thrift()
    topology = wordcount_topology()
    topology.bolts["__reserved"] = topology.bolts.pop("count_bolt")
    with pytest.raises(InvalidTopologyError, match="__reserved"):
        client.submit("wc", None, topology)
    nimbus.is_leader = False
    jar = tmp_path / "x.jar"
    jar.write_bytes(b"x")
    with pytest.raises(NimbusError, match="not a leader"):
        client.upload_jar(jar)
    assert isinstance(t.NotAliveException(msg="x"), Exception)


def test_kill_waits_until_the_topology_is_gone(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    submit(client, tmp_path)
    client.kill("wordcount", wait_secs=1, wait=True, deadline=30, poll_interval=0.05)
    assert "wordcount" not in nimbus.topologies
    assert client.is_topology_name_allowed("wordcount")


def test_kill_wait_gives_up_at_the_deadline(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    submit(client, tmp_path)
    start = time.monotonic()
    with pytest.raises(NimbusError, match=r"still listed by Nimbus \(status KILLED\) after 0.3 s"):
        client.kill("wordcount", wait_secs=600, wait=True, deadline=0.3, poll_interval=0.05)
    assert time.monotonic() - start < 30
    assert not client.is_topology_name_allowed("wordcount")


def test_kill_without_wait_returns_at_once(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    submit(client, tmp_path)
    client.kill("wordcount", wait_secs=0)
    assert client.topologies() == []


def test_activate_deactivate_rebalance(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    submit(client, tmp_path)
    client.deactivate("wordcount")
    assert nimbus.topologies["wordcount"].status == "INACTIVE"
    client.activate("wordcount")
    assert nimbus.topologies["wordcount"].status == "ACTIVE"
    client.rebalance("wordcount", wait_secs=3, num_workers=4, num_executors={"count_bolt": 5})
    options = nimbus.topologies["wordcount"].rebalances[-1]
    assert (options.wait_secs, options.num_workers, options.num_executors) == (
        3,
        4,
        {"count_bolt": 5},
    )
    client.rebalance("wordcount")
    assert nimbus.topologies["wordcount"].rebalances[-1].num_workers is None
    with pytest.raises(InvalidTopologyError, match="unknown component nope"):
        client.rebalance("wordcount", num_executors={"nope": 1})


def test_listing_and_info(nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path) -> None:
    assert client.topologies() == []
    submit(client, tmp_path)
    [summary] = client.topologies()
    assert (summary.name, summary.status, summary.num_workers, summary.num_executors) == (
        "wordcount",
        "ACTIVE",
        2,
        3,
    )
    cluster = client.cluster_summary()
    assert cluster.topology("wordcount") == summary
    assert cluster.leader is not None and cluster.leader.port == nimbus.port
    assert cluster.supervisors[0].num_workers == 4
    info = client.topology_info("wordcount")
    assert info.name == "wordcount" and info.id == summary.id
    assert info.components() == ["count_bolt", "word_spout"]
    assert [e.task_start for e in info.executors] == [1, 2, 3]
    assert client.nimbus_conf() == {"nimbus.thrift.port": 0}
    assert not client.is_topology_name_allowed("wordcount")
    assert not client.is_topology_name_allowed("a.b")
    assert client.is_topology_name_allowed("fresh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_nimbus_fails_fast_with_advice() -> None:
    port = _free_port()
    start = time.monotonic()
    with (
        NimbusClient("127.0.0.1", port, connect_timeout=5) as client,
        pytest.raises(NimbusUnreachableError) as err,
    ):
        client.cluster_summary()
    assert time.monotonic() - start < 5
    assert f"cannot reach Nimbus at 127.0.0.1:{port}" in str(err.value)
    assert "sparse cluster status" in str(err.value)


def test_unresolvable_host() -> None:
    with pytest.raises(NimbusUnreachableError, match="cannot resolve the Nimbus host"):
        NimbusClient("no-such-host.invalid", 6627, connect_timeout=5).open()


def test_a_nimbus_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # the kernel accepts connections; nobody ever reads or answers
    port = listener.getsockname()[1]
    try:
        start = time.monotonic()
        with (
            NimbusClient("127.0.0.1", port, timeout=0.5, connect_timeout=2) as client,
            pytest.raises(
                NimbusUnreachableError, match=r"did not answer getClusterInfo within 0.5 s"
            ),
        ):
            client.cluster_summary()
        assert time.monotonic() - start < 30
    finally:
        listener.close()


def test_oversized_frame_is_reported_and_the_client_reconnects(
    nimbus: FakeNimbus, client: NimbusClient
) -> None:
    location = client._call("beginFileUpload")
    with pytest.raises(NimbusUnreachableError, match="max_buffer_size"):
        client._call("uploadChunk", location, b"x" * (MAX_FRAME_BYTES + 10))
    assert client.leader().port == nimbus.port  # a fresh connection


def test_context_manager_closes_the_connection(nimbus: FakeNimbus) -> None:
    with NimbusClient(*nimbus.address) as client:
        client.leader()
        assert "open" in repr(client)
    assert "closed" in repr(client)
    client.close()  # idempotent


def test_bad_timeouts() -> None:
    with pytest.raises(ConfigError):
        NimbusClient("127.0.0.1", 1, timeout=0)


# -- leader discovery -------------------------------------------------------------------------


def test_leader_redirect() -> None:
    with FakeNimbus() as follower, FakeNimbus() as leader:
        follower.is_leader = False
        follower.leader = leader.address
        client = connect_leader([f"127.0.0.1:{follower.port}"], timeout=5, connect_timeout=2)
        with client:
            assert client.address == NimbusAddress(*leader.address)
            client.topologies()
        assert "getTopologySummaries" in leader.calls
        assert "getTopologySummaries" not in follower.calls
        with connect_leader([follower.address], follow_leader=False) as stay:
            assert stay.address.port == follower.port


def test_unreachable_seeds_are_skipped() -> None:
    with FakeNimbus() as nimbus:
        dead = f"127.0.0.1:{_free_port()}"
        with connect_leader([dead, f"127.0.0.1:{nimbus.port}"], connect_timeout=2) as client:
            assert client.address.port == nimbus.port


def test_unreachable_advertised_leader_falls_back_to_a_sole_seed() -> None:
    with FakeNimbus() as nimbus:
        nimbus.leader = ("127.0.0.1", _free_port())  # e.g. a hostname only the cluster resolves
        with connect_leader([nimbus.address], connect_timeout=2) as client:
            assert client.address.port == nimbus.port
        nimbus.extra_nimbuses.append(
            storm_thrift().NimbusSummary(
                host="other", port=1, uptime_secs=1, isLeader=False, version="2.8.4"
            )
        )
        with pytest.raises(NimbusUnreachableError, match="as leader, but cannot reach Nimbus"):
            connect_leader([nimbus.address], connect_timeout=2)


def test_no_leader_elected_yet_then_waiting_for_one() -> None:
    with FakeNimbus() as nimbus:
        nimbus.leader = None
        with pytest.raises(NimbusUnreachableError, match=r"no leader yet.*No leader elected"):
            connect_leader([nimbus.address])
        elect = threading.Timer(0.3, lambda: setattr(nimbus, "leader", nimbus.address))
        elect.start()
        try:
            with connect_leader([nimbus.address], wait=30, poll_interval=0.05) as client:
                assert client.leader().is_leader
        finally:
            elect.cancel()


def test_no_seeds() -> None:
    with pytest.raises(ConfigError, match="no Nimbus seeds"):
        connect_leader([])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nimbus", NimbusAddress("nimbus", 6627)),
        ("nimbus:7000", NimbusAddress("nimbus", 7000)),
        (" 127.0.0.1:6627 ", NimbusAddress("127.0.0.1", 6627)),
        ("[::1]:6628", NimbusAddress("::1", 6628)),
        ("[::1]", NimbusAddress("::1", 6627)),
    ],
)
def test_parse_address(text: str, expected: NimbusAddress) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["", "host:0", "host:x", "host:70000", "[::1"])
def test_parse_address_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_address(text)


def test_address_str() -> None:
    assert str(NimbusAddress("::1", 1)) == "[::1]:1"
    assert str(NimbusAddress("h", 2)) == "h:2"


def test_executor_stats_and_errors_reach_topology_details(
    nimbus: FakeNimbus, client: NimbusClient, tmp_path: Path
) -> None:
    t = storm_thrift()
    submit(client, tmp_path)
    stream = t.GlobalStreamId("word_spout", "default")
    nimbus.topologies["wordcount"].stats = {
        "count_bolt": t.ExecutorStats(
            emitted={":all-time": {"default": 40, "__metrics": 2}, "600": {"default": 7}},
            transferred={":all-time": {"default": 40}},
            specific=t.SpecificStats(
                bolt=t.BoltStats(
                    acked={":all-time": {stream: 30}},
                    failed={":all-time": {stream: 1}},
                    process_ms_avg={":all-time": {stream: 0.5}},
                    executed={":all-time": {stream: 31}},
                    execute_ms_avg={":all-time": {stream: 0.4}},
                )
            ),
            rate=1.0,
        )
    }
    nimbus.topologies["wordcount"].errors = {
        "count_bolt": [t.ErrorInfo(error="java.lang.RuntimeException: boom", error_time_secs=5)]
    }
    info = client.topology_info("wordcount")
    bolts = [e for e in info.executors if e.component_id == "count_bolt"]
    assert len(bolts) == 2
    assert (bolts[0].emitted, bolts[0].transferred, bolts[0].acked) == (42, 40, 30)
    assert (bolts[0].failed, bolts[0].executed) == (1, 31)
    spout = next(e for e in info.executors if e.component_id == "word_spout")
    assert (spout.emitted, spout.acked) == (0, 0)
    assert info.errors["count_bolt"][0].error == "java.lang.RuntimeException: boom"
    # the by-id calls other tools use
    topo_id = info.id
    assert json.loads(client._call("getTopologyConf", topo_id)) == {"topology.workers": 2}
    assert client._call("getUserTopology", topo_id) == wordcount_topology()
    assert client._call("getTopologySummary", topo_id).name == "wordcount"
    none = t.GetInfoOptions(num_err_choice=t.NumErrorsChoice.NONE)
    assert client._call("getTopologyInfoWithOpts", topo_id, none).errors == {}
    with pytest.raises(NotAliveError):
        client._call("getTopologyConf", "nope-1-1")
