"""Real Apache Storm on this machine: provisioning a Storm home, daemons, local mode.

``home`` provisions a Storm home from Maven Central (or uses ``STORM_HOME``), ``config``
renders ``storm.yaml``, ``daemons`` starts and stops ZooKeeper, Nimbus, supervisors and
the UI as process groups bound to loopback, ``state`` records them, ``health`` probes
them, and ``local/`` runs a topology in Storm's local mode. It may import ``errors``,
``thrift`` (lazily, to probe Nimbus) and ``ui`` (the REST client); never the DSL, the
build side, deployment or the CLI.
"""

#: The Storm release stormbridge provisions and tests against by default (override with the
#: environment variable STORMBRIDGE_STORM_VERSION).
#:
#: Why 2.8.3 and not 2.8.8 (checked 2026-11-26 against Maven Central as reachable here):
#: * storm-core/-server/-client 2.8.5+ are not served (404); 2.8.4's jars are served but its
#:   parent POM org.apache.storm:storm:pom:2.8.4 is not, so Maven cannot resolve 2.8.4.
#: * 2.8.3 resolves completely once org.apache.storm:storm-clojure (which pulls
#:   org.clojars.bipinprasad:carbonite from clojars, unreachable) is excluded; the daemons
#:   never need it (it is only for Clojure topologies).
#: * org.apache.storm:storm-webapp (the Storm UI and logviewer) is not served in any version,
#:   so the UI cannot be provisioned from Maven here: stormbridge ships its own UI server that
#:   speaks the same /api/v1 REST subset from Nimbus Thrift (stormbridge.ui); when STORM_HOME
#:   points at an official distribution with lib-webapp/, the real UI can be used instead.
DEFAULT_STORM_VERSION = "2.8.3"
