"""A module that fails while being imported (for the load-error tests)."""

import a_module_that_does_not_exist  # noqa: F401
