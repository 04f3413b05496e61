"""``streamparse.cli``: streamparse's CLI modules, over stormbridge's ``sparse``.

Each subcommand module has streamparse's ``subparser_hook(subparsers)`` (the same flags) and
``main(args)``, and the function streamparse's ``main`` called (``submit_topology``,
``kill_topology``, …) with its signature; these run stormbridge's ``sparse`` with the matching
command line. ``common`` has the option helpers user scripts import. Not shipped to workers.
"""
