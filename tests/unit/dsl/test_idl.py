"""Our subset IDL against Storm's wire contract, and decoding what Nimbus really sends.

The tables below are facts read from Apache Storm v2.8.4's ``storm-client/src/storm.thrift``
(field id → name, type, required; method argument and exception ids) for exactly the
fields and methods stormbridge declares. A renumbered or retyped field fails here.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.thrift import TType
from thriftpy2.utils import deserialize, serialize

from stormbridge.thrift import IDL_PATH, storm_thrift

_TYPE_NAMES = {
    value: name.lower()
    for name, value in vars(TType).items()
    if isinstance(value, int) and name.isupper() and name not in ("UTF7", "UTF8", "UTF16", "I08")
}


def _inner(spec: Any) -> str:
    if isinstance(spec, type):
        return spec.__name__
    if isinstance(spec, int):
        return _TYPE_NAMES[spec]
    ttype, sub = spec
    if ttype == TType.STRUCT:
        return str(sub.__name__)
    return _type((ttype, None, sub))


def _type(spec: tuple[Any, ...]) -> str:
    ttype = spec[0]
    if ttype == TType.STRUCT:
        return str(spec[2].__name__)
    if ttype in (TType.LIST, TType.SET):
        return f"{_TYPE_NAMES[ttype]}<{_inner(spec[2])}>"
    if ttype == TType.MAP:
        key, value = spec[2]
        one = lambda x: _TYPE_NAMES[x] if isinstance(x, int) else _inner(x)  # noqa: E731
        return f"map<{one(key)},{one(value)}>"
    return _TYPE_NAMES[ttype]


def _describe_struct(cls: Any) -> dict[int, tuple[str, str, bool | None]]:
    return {
        fid: (spec[1], _type(spec), spec[-1] if isinstance(spec[-1], bool) else None)
        for fid, spec in sorted(cls.thrift_spec.items())
    }


def _describe_fields(cls: Any) -> dict[int, tuple[str, str]]:
    return {fid: (spec[1], _type(spec)) for fid, spec in sorted(cls.thrift_spec.items())}


STRUCTS = {
    "AlreadyAliveException": {1: ("msg", "string", True)},
    "AuthorizationException": {1: ("msg", "string", True)},
    "Bolt": {1: ("bolt_object", "ComponentObject", True), 2: ("common", "ComponentCommon", True)},
    "BoltStats": {
        1: ("acked", "map<string,map<GlobalStreamId,i64>>", True),
        2: ("failed", "map<string,map<GlobalStreamId,i64>>", True),
        3: ("process_ms_avg", "map<string,map<GlobalStreamId,double>>", True),
        4: ("executed", "map<string,map<GlobalStreamId,i64>>", True),
        5: ("execute_ms_avg", "map<string,map<GlobalStreamId,double>>", True),
    },
    "ClusterSummary": {
        1: ("supervisors", "list<SupervisorSummary>", True),
        3: ("topologies", "list<TopologySummary>", True),
        4: ("nimbuses", "list<NimbusSummary>", True),
    },
    "ComponentCommon": {
        1: ("inputs", "map<GlobalStreamId,Grouping>", True),
        2: ("streams", "map<string,StreamInfo>", True),
        3: ("parallelism_hint", "i32", False),
        4: ("json_conf", "string", False),
    },
    "ComponentObject": {
        1: ("serialized_java", "binary", False),
        2: ("shell", "ShellComponent", False),
        3: ("java_object", "JavaObject", False),
    },
    "Credentials": {1: ("creds", "map<string,string>", True), 2: ("topoOwner", "string", False)},
    "DebugOptions": {1: ("enable", "bool", False), 2: ("samplingpct", "double", False)},
    "ErrorInfo": {
        1: ("error", "string", True),
        2: ("error_time_secs", "i32", True),
        3: ("host", "string", False),
        4: ("port", "i32", False),
    },
    "ExecutorInfo": {1: ("task_start", "i32", True), 2: ("task_end", "i32", True)},
    "ExecutorSpecificStats": {1: ("bolt", "BoltStats", False), 2: ("spout", "SpoutStats", False)},
    "ExecutorStats": {
        1: ("emitted", "map<string,map<string,i64>>", True),
        2: ("transferred", "map<string,map<string,i64>>", True),
        3: ("specific", "ExecutorSpecificStats", True),
        4: ("rate", "double", True),
    },
    "ExecutorSummary": {
        1: ("executor_info", "ExecutorInfo", True),
        2: ("component_id", "string", True),
        3: ("host", "string", True),
        4: ("port", "i32", True),
        5: ("uptime_secs", "i32", True),
        7: ("stats", "ExecutorStats", False),
    },
    "GetInfoOptions": {1: ("num_err_choice", "i32", False)},
    "GlobalStreamId": {1: ("componentId", "string", True), 2: ("streamId", "string", True)},
    "Grouping": {
        1: ("fields", "list<string>", False),
        2: ("shuffle", "NullStruct", False),
        3: ("all", "NullStruct", False),
        4: ("none", "NullStruct", False),
        5: ("direct", "NullStruct", False),
        6: ("custom_object", "JavaObject", False),
        7: ("custom_serialized", "binary", False),
        8: ("local_or_shuffle", "NullStruct", False),
    },
    "IllegalStateException": {1: ("msg", "string", True)},
    "InvalidTopologyException": {1: ("msg", "string", True)},
    "JavaObject": {
        1: ("full_class_name", "string", True),
        2: ("args_list", "list<JavaObjectArg>", True),
    },
    "JavaObjectArg": {
        1: ("int_arg", "i32", False),
        2: ("long_arg", "i64", False),
        3: ("string_arg", "string", False),
        4: ("bool_arg", "bool", False),
        5: ("binary_arg", "binary", False),
        6: ("double_arg", "double", False),
    },
    "KeyAlreadyExistsException": {1: ("msg", "string", True)},
    "KeyNotFoundException": {1: ("msg", "string", True)},
    "KillOptions": {1: ("wait_secs", "i32", False)},
    "NimbusSummary": {
        1: ("host", "string", True),
        2: ("port", "i32", True),
        3: ("uptime_secs", "i32", True),
        4: ("isLeader", "bool", True),
        5: ("version", "string", True),
        6: ("tlsPort", "i32", False),
    },
    "NotAliveException": {1: ("msg", "string", True)},
    "NullStruct": {},
    "RebalanceOptions": {
        1: ("wait_secs", "i32", False),
        2: ("num_workers", "i32", False),
        3: ("num_executors", "map<string,i32>", False),
        4: ("topology_resources_overrides", "map<string,map<string,double>>", False),
        5: ("topology_conf_overrides", "string", False),
        6: ("principal", "string", False),
    },
    "ShellComponent": {1: ("execution_command", "string", False), 2: ("script", "string", False)},
    "SpoutSpec": {
        1: ("spout_object", "ComponentObject", True),
        2: ("common", "ComponentCommon", True),
    },
    "SpoutStats": {
        1: ("acked", "map<string,map<string,i64>>", True),
        2: ("failed", "map<string,map<string,i64>>", True),
        3: ("complete_ms_avg", "map<string,map<string,double>>", True),
    },
    "StateSpoutSpec": {
        1: ("state_spout_object", "ComponentObject", True),
        2: ("common", "ComponentCommon", True),
    },
    "StormTopology": {
        1: ("spouts", "map<string,SpoutSpec>", True),
        2: ("bolts", "map<string,Bolt>", True),
        3: ("state_spouts", "map<string,StateSpoutSpec>", True),
        4: ("worker_hooks", "list<binary>", False),
        5: ("dependency_jars", "list<string>", False),
        6: ("dependency_artifacts", "list<string>", False),
        7: ("storm_version", "string", False),
        8: ("jdk_version", "string", False),
    },
    "StreamInfo": {1: ("output_fields", "list<string>", True), 2: ("direct", "bool", True)},
    "SubmitOptions": {1: ("initial_status", "i32", True), 2: ("creds", "Credentials", False)},
    "SupervisorSummary": {
        1: ("host", "string", True),
        2: ("uptime_secs", "i32", True),
        3: ("num_workers", "i32", True),
        4: ("num_used_workers", "i32", True),
        5: ("supervisor_id", "string", True),
        6: ("version", "string", False),
        7: ("total_resources", "map<string,double>", False),
        8: ("used_mem", "double", False),
        9: ("used_cpu", "double", False),
        12: ("blacklisted", "bool", False),
    },
    "TopologyInfo": {
        1: ("id", "string", True),
        2: ("name", "string", True),
        3: ("uptime_secs", "i32", True),
        4: ("executors", "list<ExecutorSummary>", True),
        5: ("status", "string", True),
        6: ("errors", "map<string,list<ErrorInfo>>", True),
        7: ("component_debug", "map<string,DebugOptions>", False),
        8: ("storm_version", "string", False),
        513: ("sched_status", "string", False),
        514: ("owner", "string", False),
        515: ("replication_count", "i32", False),
    },
    "TopologySummary": {
        1: ("id", "string", True),
        2: ("name", "string", True),
        3: ("num_tasks", "i32", True),
        4: ("num_executors", "i32", True),
        5: ("num_workers", "i32", True),
        6: ("uptime_secs", "i32", True),
        7: ("status", "string", True),
        8: ("storm_version", "string", False),
        9: ("topology_version", "string", False),
        513: ("sched_status", "string", False),
        514: ("owner", "string", False),
        515: ("replication_count", "i32", False),
    },
}
METHODS = {
    "beginFileUpload": ({}, {0: ("success", "string"), 1: ("aze", "AuthorizationException")}),
    "uploadChunk": (
        {1: ("location", "string"), 2: ("chunk", "binary")},
        {1: ("aze", "AuthorizationException")},
    ),
    "finishFileUpload": ({1: ("location", "string")}, {1: ("aze", "AuthorizationException")}),
    "submitTopology": (
        {
            1: ("name", "string"),
            2: ("uploadedJarLocation", "string"),
            3: ("jsonConf", "string"),
            4: ("topology", "StormTopology"),
        },
        {
            1: ("e", "AlreadyAliveException"),
            2: ("ite", "InvalidTopologyException"),
            3: ("aze", "AuthorizationException"),
        },
    ),
    "submitTopologyWithOpts": (
        {
            1: ("name", "string"),
            2: ("uploadedJarLocation", "string"),
            3: ("jsonConf", "string"),
            4: ("topology", "StormTopology"),
            5: ("options", "SubmitOptions"),
        },
        {
            1: ("e", "AlreadyAliveException"),
            2: ("ite", "InvalidTopologyException"),
            3: ("aze", "AuthorizationException"),
        },
    ),
    "killTopology": (
        {1: ("name", "string")},
        {1: ("e", "NotAliveException"), 2: ("aze", "AuthorizationException")},
    ),
    "killTopologyWithOpts": (
        {1: ("name", "string"), 2: ("options", "KillOptions")},
        {1: ("e", "NotAliveException"), 2: ("aze", "AuthorizationException")},
    ),
    "activate": (
        {1: ("name", "string")},
        {1: ("e", "NotAliveException"), 2: ("aze", "AuthorizationException")},
    ),
    "deactivate": (
        {1: ("name", "string")},
        {1: ("e", "NotAliveException"), 2: ("aze", "AuthorizationException")},
    ),
    "rebalance": (
        {1: ("name", "string"), 2: ("options", "RebalanceOptions")},
        {
            1: ("e", "NotAliveException"),
            2: ("ite", "InvalidTopologyException"),
            3: ("aze", "AuthorizationException"),
        },
    ),
    "isTopologyNameAllowed": (
        {1: ("name", "string")},
        {0: ("success", "bool"), 1: ("aze", "AuthorizationException")},
    ),
    "getNimbusConf": ({}, {0: ("success", "string"), 1: ("aze", "AuthorizationException")}),
    "getClusterInfo": (
        {},
        {0: ("success", "ClusterSummary"), 1: ("aze", "AuthorizationException")},
    ),
    "getLeader": ({}, {0: ("success", "NimbusSummary"), 1: ("aze", "AuthorizationException")}),
    "getTopologySummaries": (
        {},
        {0: ("success", "list<TopologySummary>"), 1: ("aze", "AuthorizationException")},
    ),
    "getTopologySummaryByName": (
        {1: ("name", "string")},
        {
            0: ("success", "TopologySummary"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopologySummary": (
        {1: ("id", "string")},
        {
            0: ("success", "TopologySummary"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopologyInfo": (
        {1: ("id", "string")},
        {
            0: ("success", "TopologyInfo"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopologyInfoByName": (
        {1: ("name", "string")},
        {
            0: ("success", "TopologyInfo"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopologyInfoWithOpts": (
        {1: ("id", "string"), 2: ("options", "GetInfoOptions")},
        {
            0: ("success", "TopologyInfo"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopologyInfoByNameWithOpts": (
        {1: ("name", "string"), 2: ("options", "GetInfoOptions")},
        {
            0: ("success", "TopologyInfo"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopologyConf": (
        {1: ("id", "string")},
        {
            0: ("success", "string"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getTopology": (
        {1: ("id", "string")},
        {
            0: ("success", "StormTopology"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
    "getUserTopology": (
        {1: ("id", "string")},
        {
            0: ("success", "StormTopology"),
            1: ("e", "NotAliveException"),
            2: ("aze", "AuthorizationException"),
        },
    ),
}


def test_structs_match_storm() -> None:
    t = storm_thrift()
    declared = {
        name
        for name, value in vars(t).items()
        if hasattr(value, "thrift_spec") and name != "SpecificStats"
    }
    assert declared == set(STRUCTS)
    for name, fields in STRUCTS.items():
        assert _describe_struct(getattr(t, name)) == fields, name


def test_enums_match_storm() -> None:
    t = storm_thrift()
    assert (t.TopologyInitialStatus.ACTIVE, t.TopologyInitialStatus.INACTIVE) == (1, 2)
    assert (t.NumErrorsChoice.ALL, t.NumErrorsChoice.NONE, t.NumErrorsChoice.ONE) == (0, 1, 2)


def test_nimbus_methods_match_storm() -> None:
    t = storm_thrift()
    assert list(t.Nimbus.thrift_services) == list(METHODS)
    for method, (args, result) in METHODS.items():
        assert _describe_fields(getattr(t.Nimbus, f"{method}_args")) == args, method
        assert _describe_fields(getattr(t.Nimbus, f"{method}_result")) == result, method


def test_loader_is_cached_and_registered() -> None:
    module = storm_thrift()
    assert storm_thrift() is module
    assert sys.modules["storm_thrift"] is module
    assert module.SpecificStats is module.ExecutorSpecificStats
    assert IDL_PATH.name == "storm.thrift" and "v2.8.4" in IDL_PATH.read_text()


_RICHER_IDL = """
struct GlobalStreamId { 1: required string componentId; 2: required string streamId; }
struct SharedMemory { 1: required string name; 2: optional double on_heap; }
struct TopologySummary {
  1: required string id; 2: required string name; 3: required i32 num_tasks;
  4: required i32 num_executors; 5: required i32 num_workers; 6: required i32 uptime_secs;
  7: required string status; 8: optional string storm_version; 9: optional string topology_version;
  513: optional string sched_status; 514: optional string owner;
  515: optional i32 replication_count; 521: optional double requested_memonheap;
  527: optional map<string, double> requested_generic_resources;
}
struct SupervisorSummary {
  1: required string host; 2: required i32 uptime_secs; 3: required i32 num_workers;
  4: required i32 num_used_workers; 5: required string supervisor_id; 6: optional string version;
  10: optional double fragmented_mem; 13: optional map<string, double> used_generic_resources;
}
struct NimbusSummary {
  1: required string host; 2: required i32 port; 3: required i32 uptime_secs;
  4: required bool isLeader; 5: required string version;
}
struct ClusterSummary {
  1: required list<SupervisorSummary> supervisors; 2: optional i32 removed_field;
  3: required list<TopologySummary> topologies; 4: required list<NimbusSummary> nimbuses;
}
struct StormTopology {
  1: required map<string, string> spouts; 2: required map<string, string> bolts;
  3: required map<string, string> state_spouts;
  9: optional map<string, set<string>> component_to_shared_memory;
  10: optional map<string, SharedMemory> shared_memory;
}
"""


@pytest.fixture
def richer(tmp_path: Path) -> types.ModuleType:
    """A peer whose structs carry fields our IDL leaves out (as a newer Nimbus sends)."""
    path = tmp_path / "richer.thrift"
    path.write_text(_RICHER_IDL)
    return thriftpy2.load(str(path))


def test_unknown_fields_from_nimbus_are_skipped(richer: types.ModuleType) -> None:
    t = storm_thrift()
    summary = richer.ClusterSummary(
        supervisors=[richer.SupervisorSummary("h", 5, 4, 1, "sup-1", "2.8.4", 1.5, {"gpu": 1.0})],
        removed_field=7,
        topologies=[
            richer.TopologySummary(
                "wc-1-2",
                "wc",
                3,
                3,
                1,
                10,
                "ACTIVE",
                "2.8.4",
                None,
                "RUNNING",
                "me",
                1,
                128.0,
                {"gpu": 0.0},
            )
        ],
        nimbuses=[richer.NimbusSummary("127.0.0.1", 6627, 9, True, "2.8.4")],
    )
    decoded = deserialize(t.ClusterSummary(), serialize(summary, TBinaryProtocolFactory()))
    assert decoded.nimbuses[0].isLeader is True and decoded.nimbuses[0].port == 6627
    assert decoded.supervisors[0].supervisor_id == "sup-1"
    assert decoded.supervisors[0].version == "2.8.4"
    topology = decoded.topologies[0]
    assert (topology.name, topology.status, topology.owner) == ("wc", "ACTIVE", "me")
    assert not hasattr(topology, "requested_memonheap")

    storm = richer.StormTopology(
        spouts={},
        bolts={},
        state_spouts={},
        component_to_shared_memory={"a": {"m"}},
        shared_memory={"m": richer.SharedMemory("m", 1.0)},
    )
    topo = deserialize(t.StormTopology(), serialize(storm, TBinaryProtocolFactory()))
    assert topo == t.StormTopology(spouts={}, bolts={}, state_spouts={})


def test_supervisor_version_default() -> None:
    assert storm_thrift().SupervisorSummary().version == "VERSION_NOT_PROVIDED"
