"""The build side: turning a project into what Storm runs.

``resources`` lays out a topology's ``resources/`` tree (the user's ``src/``, one boot
script per Python component, the worker runtime), ``jar`` zips it into a deterministic
topology jar, and ``jvmdeps`` resolves the JVM dependencies of ``project.clj`` with Maven.
It may import ``errors``, ``runtime`` (as files to ship, never to run) and ``dsl``; never
the project, Storm, UI or CLI layers.
"""
