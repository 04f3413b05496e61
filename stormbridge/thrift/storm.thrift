// stormbridge's subset of the Apache Storm Thrift interface.
//
// Written for stormbridge; it declares only what the project sends or reads. Every
// struct, union, enum, exception and method below carries the field id (and enum
// value) that Storm uses, so the bytes on the wire are the ones Nimbus expects.
// Anything Nimbus sends that is not declared here is skipped by the decoder, so
// leaving a field out is always safe; renumbering one never is.
//
// Checked field by field against storm-client/src/storm.thrift of Apache Storm
// v2.8.4 (identical in v2.8.8 for everything declared here).
//
// Loaded at run time by thriftpy2 (stormbridge.thrift.storm_thrift()); never by the
// worker runtime.

namespace java org.apache.storm.generated

// ---------------------------------------------------------------------------
// Errors Nimbus raises. Each carries one required message.
// ---------------------------------------------------------------------------

exception AlreadyAliveException { 1: required string msg; }
exception NotAliveException { 1: required string msg; }
exception AuthorizationException { 1: required string msg; }
exception InvalidTopologyException { 1: required string msg; }
exception KeyNotFoundException { 1: required string msg; }
exception IllegalStateException { 1: required string msg; }
exception KeyAlreadyExistsException { 1: required string msg; }

// ---------------------------------------------------------------------------
// Building blocks of a topology.
// ---------------------------------------------------------------------------

// An empty struct, used as the value of the argument-less groupings.
struct NullStruct {}

// One constructor argument of a Java object. Exactly one member is set.
union JavaObjectArg {
  1: i32 int_arg;
  2: i64 long_arg;
  3: string string_arg;
  4: bool bool_arg;
  5: binary binary_arg;
  6: double double_arg;
}

// A Java class instantiated by reflection on the worker.
struct JavaObject {
  1: required string full_class_name;
  2: required list<JavaObjectArg> args_list;
}

// "stream S of component C": the key of a component's inputs.
struct GlobalStreamId {
  1: required string componentId;
  2: required string streamId;
}

// How tuples of one input stream are spread over the consuming tasks.
// Exactly one member is set. An empty `fields` list means global grouping.
union Grouping {
  1: list<string> fields;
  2: NullStruct shuffle;
  3: NullStruct all;
  4: NullStruct none;
  5: NullStruct direct;
  6: JavaObject custom_object;
  7: binary custom_serialized;
  8: NullStruct local_or_shuffle;
}

// The declaration of one output stream.
struct StreamInfo {
  1: required list<string> output_fields;
  2: required bool direct;
}

// A multilang subprocess: Storm runs exactly [execution_command, script].
struct ShellComponent {
  1: string execution_command;
  2: string script;
}

// What a spout or bolt is. Exactly one member is set.
union ComponentObject {
  1: binary serialized_java;
  2: ShellComponent shell;
  3: JavaObject java_object;
}

// What every component has: inputs, declared streams, parallelism and its own
// configuration as a JSON object string.
struct ComponentCommon {
  1: required map<GlobalStreamId, Grouping> inputs;
  2: required map<string, StreamInfo> streams;
  3: optional i32 parallelism_hint;
  4: optional string json_conf;
}

struct SpoutSpec {
  1: required ComponentObject spout_object;
  2: required ComponentCommon common;
}

struct Bolt {
  1: required ComponentObject bolt_object;
  2: required ComponentCommon common;
}

// Unused by Storm, but the field is required in StormTopology: send an empty map.
struct StateSpoutSpec {
  1: required ComponentObject state_spout_object;
  2: required ComponentCommon common;
}

// The whole topology. Component ids must be unique across spouts and bolts.
// Fields 9 and 10 (shared memory) exist in Storm and are not declared here.
// storm_version is left unset by stormbridge: Nimbus then uses its own version.
struct StormTopology {
  1: required map<string, SpoutSpec> spouts;
  2: required map<string, Bolt> bolts;
  3: required map<string, StateSpoutSpec> state_spouts;
  4: optional list<binary> worker_hooks;
  5: optional list<string> dependency_jars;
  6: optional list<string> dependency_artifacts;
  7: optional string storm_version;
  8: optional string jdk_version;
}

// ---------------------------------------------------------------------------
// Options of the control calls.
// ---------------------------------------------------------------------------

enum TopologyInitialStatus {
  ACTIVE = 1,
  INACTIVE = 2
}

struct Credentials {
  1: required map<string, string> creds;
  2: optional string topoOwner;
}

struct SubmitOptions {
  1: required TopologyInitialStatus initial_status;
  2: optional Credentials creds;
}

struct KillOptions {
  1: optional i32 wait_secs;
}

struct RebalanceOptions {
  1: optional i32 wait_secs;
  2: optional i32 num_workers;
  3: optional map<string, i32> num_executors;
  4: optional map<string, map<string, double>> topology_resources_overrides;
  5: optional string topology_conf_overrides;
  // Set by Nimbus itself; ignored when a client sends it.
  6: optional string principal;
}

// Storm declares these without values, so they number from zero.
enum NumErrorsChoice {
  ALL = 0,
  NONE = 1,
  ONE = 2
}

struct GetInfoOptions {
  1: optional NumErrorsChoice num_err_choice;
}

// ---------------------------------------------------------------------------
// What Nimbus reports back. Storm's resource-accounting fields (ids 5xx beyond
// the few below) are not declared and are skipped when decoding.
// ---------------------------------------------------------------------------

struct NimbusSummary {
  1: required string host;
  2: required i32 port;
  3: required i32 uptime_secs;
  4: required bool isLeader;
  5: required string version;
  6: optional i32 tlsPort;
}

struct SupervisorSummary {
  1: required string host;
  2: required i32 uptime_secs;
  3: required i32 num_workers;
  4: required i32 num_used_workers;
  5: required string supervisor_id;
  6: optional string version = "VERSION_NOT_PROVIDED";
  7: optional map<string, double> total_resources;
  8: optional double used_mem;
  9: optional double used_cpu;
  12: optional bool blacklisted;
}

struct TopologySummary {
  1: required string id;
  2: required string name;
  3: required i32 num_tasks;
  4: required i32 num_executors;
  5: required i32 num_workers;
  6: required i32 uptime_secs;
  7: required string status;
  8: optional string storm_version;
  9: optional string topology_version;
  513: optional string sched_status;
  514: optional string owner;
  515: optional i32 replication_count;
}

// Field 2 was removed from Storm's ClusterSummary and must never be reused.
struct ClusterSummary {
  1: required list<SupervisorSummary> supervisors;
  3: required list<TopologySummary> topologies;
  4: required list<NimbusSummary> nimbuses;
}

struct ErrorInfo {
  1: required string error;
  2: required i32 error_time_secs;
  3: optional string host;
  4: optional i32 port;
}

// Statistics maps are keyed by time window ("600", "10800", "86400", ":all-time"),
// then by stream id (spouts, emitted, transferred) or input stream (bolts).
struct BoltStats {
  1: required map<string, map<GlobalStreamId, i64>> acked;
  2: required map<string, map<GlobalStreamId, i64>> failed;
  3: required map<string, map<GlobalStreamId, double>> process_ms_avg;
  4: required map<string, map<GlobalStreamId, i64>> executed;
  5: required map<string, map<GlobalStreamId, double>> execute_ms_avg;
}

struct SpoutStats {
  1: required map<string, map<string, i64>> acked;
  2: required map<string, map<string, i64>> failed;
  3: required map<string, map<string, double>> complete_ms_avg;
}

// Bolt or spout statistics of one executor (storm_thrift().SpecificStats is an alias).
union ExecutorSpecificStats {
  1: BoltStats bolt;
  2: SpoutStats spout;
}

struct ExecutorStats {
  1: required map<string, map<string, i64>> emitted;
  2: required map<string, map<string, i64>> transferred;
  3: required ExecutorSpecificStats specific;
  4: required double rate;
}

// The task id range [task_start, task_end] run by one executor.
struct ExecutorInfo {
  1: required i32 task_start;
  2: required i32 task_end;
}

// Field 6 does not exist in Storm's ExecutorSummary.
struct ExecutorSummary {
  1: required ExecutorInfo executor_info;
  2: required string component_id;
  3: required string host;
  4: required i32 port;
  5: required i32 uptime_secs;
  7: optional ExecutorStats stats;
}

struct DebugOptions {
  1: optional bool enable;
  2: optional double samplingpct;
}

struct TopologyInfo {
  1: required string id;
  2: required string name;
  3: required i32 uptime_secs;
  4: required list<ExecutorSummary> executors;
  5: required string status;
  6: required map<string, list<ErrorInfo>> errors;
  7: optional map<string, DebugOptions> component_debug;
  8: optional string storm_version;
  513: optional string sched_status;
  514: optional string owner;
  515: optional i32 replication_count;
}

// ---------------------------------------------------------------------------
// The Nimbus calls stormbridge makes. Argument and exception ids are Storm's.
// JSON strings (jsonConf, getNimbusConf, getTopologyConf) are JSON objects.
// ---------------------------------------------------------------------------

service Nimbus {
  // Jar upload: begin -> chunks (each request frame < 1 MiB) -> finish.
  string beginFileUpload()
      throws (1: AuthorizationException aze);
  void uploadChunk(1: string location, 2: binary chunk)
      throws (1: AuthorizationException aze);
  void finishFileUpload(1: string location)
      throws (1: AuthorizationException aze);

  // Submitting and controlling topologies (by name).
  void submitTopology(1: string name, 2: string uploadedJarLocation, 3: string jsonConf,
                      4: StormTopology topology)
      throws (1: AlreadyAliveException e, 2: InvalidTopologyException ite,
              3: AuthorizationException aze);
  void submitTopologyWithOpts(1: string name, 2: string uploadedJarLocation,
                              3: string jsonConf, 4: StormTopology topology,
                              5: SubmitOptions options)
      throws (1: AlreadyAliveException e, 2: InvalidTopologyException ite,
              3: AuthorizationException aze);
  void killTopology(1: string name)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  void killTopologyWithOpts(1: string name, 2: KillOptions options)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  void activate(1: string name)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  void deactivate(1: string name)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  void rebalance(1: string name, 2: RebalanceOptions options)
      throws (1: NotAliveException e, 2: InvalidTopologyException ite,
              3: AuthorizationException aze);
  bool isTopologyNameAllowed(1: string name)
      throws (1: AuthorizationException aze);

  // The cluster.
  string getNimbusConf()
      throws (1: AuthorizationException aze);
  ClusterSummary getClusterInfo()
      throws (1: AuthorizationException aze);
  NimbusSummary getLeader()
      throws (1: AuthorizationException aze);

  // Topologies: summaries by name, details by id (from TopologySummary.id) or name.
  list<TopologySummary> getTopologySummaries()
      throws (1: AuthorizationException aze);
  TopologySummary getTopologySummaryByName(1: string name)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  TopologySummary getTopologySummary(1: string id)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  TopologyInfo getTopologyInfo(1: string id)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  TopologyInfo getTopologyInfoByName(1: string name)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  TopologyInfo getTopologyInfoWithOpts(1: string id, 2: GetInfoOptions options)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  TopologyInfo getTopologyInfoByNameWithOpts(1: string name, 2: GetInfoOptions options)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  string getTopologyConf(1: string id)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  // The topology as Nimbus runs it, with system components (__acker, ...).
  StormTopology getTopology(1: string id)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
  // The topology exactly as submitted.
  StormTopology getUserTopology(1: string id)
      throws (1: NotAliveException e, 2: AuthorizationException aze);
}
