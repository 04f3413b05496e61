"""Run a component's console script under cProfile, timing CPU, not wall.

``python -m cProfile`` times wall-clock, so a component blocked on a full pipe shows
its ``write`` as the hottest call. This wrapper uses the thread's CPU clock instead::

    <venv>/bin/python bench/profile_component.py OUT.prof <venv>/bin/streamparse_run ARGS...

``bench/run.py --profile IMPL`` starts it under the benchmark driver.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    out, script, *args = sys.argv[1:]
    sys.argv = [script, *args]
    profiler = cProfile.Profile(time.thread_time)
    try:
        profiler.runcall(runpy.run_path, script, run_name="__main__")
    except SystemExit:
        pass
    finally:
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
