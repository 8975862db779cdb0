"""Fault injection for the crash tests: the process dies at a named step of a snapshot.

`RESERVES_CRASH_AT=<step>` (read when the step is reached, never at import) makes the process
exit at once with status 137, as a SIGKILL would: no cleanup, no rollback handler, no flush.
Steps: after_read, after_build, after_sign, before_commit, after_commit. Unset, it costs one
environment lookup per step.
"""

from __future__ import annotations

import os
import sys

CRASH_ENV = "RESERVES_CRASH_AT"
STEPS = ("after_read", "after_build", "after_sign", "before_commit", "after_commit")


def crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        sys.stderr.write(f"{CRASH_ENV}={step}: exiting now\n")
        sys.stderr.flush()
        os._exit(137)
