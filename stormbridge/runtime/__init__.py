"""The worker runtime: what Storm runs for every Python spout and bolt task.

``protocol/`` frames and encodes multilang messages over injected byte streams;
``component``, ``spout``, ``bolt``, ``batching``, ``tuple`` and ``log`` are the classes
user code subclasses; ``run`` is the entry point the boot script calls. This folder is
the only part of stormbridge that a topology jar ships to workers (with
``stormbridge/__init__.py`` and ``stormbridge/errors.py``), so it imports the standard
library, ``stormbridge.errors`` and itself only; orjson and msgpack are used when
installed. It never imports the DSL, Thrift, HTTP, SSH or CLI code (a test checks).
"""
