"""The ``sparse`` command line: one small module per subcommand over the library.

The top layer: it may import every other layer, and it is the only place that prints for
people and turns errors into exit codes (1 failure, 2 usage).
"""
