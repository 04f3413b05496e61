"""A stormbridge project on disk: ``config.json``, its options, its topologies.

``config`` parses ``config.json`` once into typed, validated objects; ``options``
holds Storm option parsing and precedence; ``loader`` finds the project root and loads
topology files. It may import ``errors``, ``dsl`` (lazily, to load a topology) and
``build``; never Storm daemons, the UI, deployment or the CLI.
"""
