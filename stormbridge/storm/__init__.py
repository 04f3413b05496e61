"""Real Apache Storm on this machine: provisioning a Storm home, daemons, local mode, UI REST."""

#: The Storm release stormbridge provisions and tests against by default.
#: 2.8.8 is the research baseline, but Maven Central as reachable here serves storm-* only up
#: to 2.8.4 (checked 2026-11-26); override with STORMBRIDGE_STORM_VERSION.
DEFAULT_STORM_VERSION = "2.8.4"
