"""Leases left by a dead process of ours on this host, taken back at start.

A process killed with -9 (or by the OOM killer, or a crash) never releases its leases: its
feeds and outbox rows would wait until they expire (a feed: polling.total_timeout + 30 s)
before anyone polls or sends them again. A restart on the same host, under systemd or
Docker, need not wait: the owner id ("host:pid:tag", `Service.owner`) names the pid, and a
pid that no longer runs, or that is our own (a container's PID 1, restarted), is dead.
Other hosts' leases are left to expire: there is no way to ask their kernel.
"""

from __future__ import annotations

import logging
import os
import socket

from bot.store import Store

__all__ = ["reclaim_leases"]

log = logging.getLogger("newsbot")


def reclaim_leases(store: Store, me: str) -> int:
    """Release every lease held by a dead process of this host; return how many owners."""
    dead = [o for o in store.leases.owners(f"{socket.gethostname()}:")
            if o != me and not alive(o)]
    for owner in dead:
        log.info("taking back the leases of %s, which no longer runs", owner)
        store.leases.release_all(owner)
        store.outbox.release(owner)
    return len(dead)


def alive(owner: str) -> bool:
    """Does the process named by a "host:pid:tag" owner id still run on this host?"""
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True                      # not ours to judge: let its leases expire
    if pid == os.getpid():
        return False                     # an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                      # another user's process with that pid
    return True
