"""Who runs a queued job, and whether that runner is gone (``queue.store``'s recovery).

A runner claims jobs under an owner: host, process id and a token of its own. A running job
whose owner is gone goes back to waiting: on this computer when its process died (or, for one
of this process, when its runner ended without finishing the job); elsewhere (a queue folder
shared between computers) when its lease ran out.
"""

from __future__ import annotations

import os
import socket
import sys
import time

LEASE_S = 60.0
"""A running job's lease: its runner renews it every few seconds; one not renewed for this long
belongs to a process that is gone (another computer sharing the folder, a frozen process)."""

STALE_LEASE_S = 600.0
"""A job of a process of this computer that is still alive but has not renewed its lease for this
long is taken back too (its process id was reused by another program)."""


def new_owner() -> str:
    """The identity a runner claims jobs under: host, process id and a token unique to it."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


_LIVE_OWNERS: set[str] = set()  # owners of this process whose runner is still running


def register_owner(owner: str, live: bool) -> None:
    """A runner of this process says it started (``live``) or ended: a job of an owner of this
    process that is no longer live was left by a runner that crashed, and goes back to waiting."""
    (_LIVE_OWNERS.add if live else _LIVE_OWNERS.discard)(owner)


def owner_gone(owner: str | None, lease_until: float | None) -> bool:
    """Whether a running job's runner is gone. On this computer its process tells (a lease
    also runs out while a laptop sleeps, and both processes wake at once: the living one keeps
    its job unless its lease is long over, e.g. its id reused); elsewhere only the lease."""
    if owner is None or lease_until is None:
        return True
    expired = lease_until < time.time()
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return expired
    pid = int(pid_text)
    if pid == os.getpid():
        return owner not in _LIVE_OWNERS
    return not _pid_alive(pid) or lease_until < time.time() - STALE_LEASE_S


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there: the lease decides
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process has that id now; the lease decides
    return True
