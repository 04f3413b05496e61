"""The ``topology_runner`` fixture, imported as a user's conftest.py would import it."""

from stormbridge.testing import topology_runner  # noqa: F401
