"""Storm local mode: a whole topology in one JVM on this machine (``sparse run``).

``runner`` compiles the small Java main that starts a ``LocalCluster`` with a Nimbus
Thrift daemon, ``process`` runs and stops that JVM, ``output`` turns its log lines into
terminal output, and ``run`` submits a compiled topology to it and waits. It may import
``errors``, ``thrift`` and the rest of ``storm/``.
"""
