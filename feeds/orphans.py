"""Child processes that end with their parent, however the parent ends.

A server's workers (uvicorn spawns them) and an import's validation
processes must not outlive the process that started them: after a
``kill -9`` of the master, orphaned workers would go on serving,
unsupervised, and hold the port, so that a restart fails with "Address
already in use". On Linux the kernel tells a process when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); nashra asks for SIGKILL then. Elsewhere this
is a no-op.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
PARENT_ENV = "NASHRA_PARENT_PID"  # set by the parent, for children that start by import


def die_with_parent(parent: int | None = None) -> None:
    """End this process when its parent ends; at once if ``parent`` is already gone.

    ``parent`` is the pid the caller expects as its parent: if the parent died
    before this call, the process was already re-parented, and the kernel's
    notice would never come.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here (a sandbox): the process keeps the default
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def die_with_parent_from_environment() -> None:
    """:func:`die_with_parent` for a process whose parent named itself in :data:`PARENT_ENV`."""
    named = os.environ.get(PARENT_ENV)
    if named and named.isdigit() and int(named) != os.getpid():
        die_with_parent(int(named))
