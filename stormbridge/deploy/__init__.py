"""Putting a topology's Python dependencies on the worker hosts.

Over SSH (virtualenvs built from uploaded wheels on every worker) or without SSH
(wheels shipped with the topology, the virtualenv built by the boot script on first
start). It may import ``errors``, ``build``, ``project``, ``thrift``, ``ui`` and
``storm``; never the CLI.
"""
