"""Card plugins are code the gate runs: their directory must not be writable by the gate.

A plugin directory is trusted when neither it nor anything in it can be changed by the
service's own user or by anyone but the owner: no group or other write bit, and, for the
service's user, no write access (`os.access`) and, when the service owns the file, no owner
write bit either (root passes every `os.access` check, so the bit is what tells). Files owned
by another user and not writable by the service, or anything on a read-only mount, pass.
Symbolic links are judged by what they point to.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UntrustedCardDirError(Exception):
    """The card directory, or a file in it, could be changed by the service or by others."""


def _problem(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError as exc:
        return f"cannot be checked ({exc.strerror or exc})"
    mode = stat.S_IMODE(st.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by group or others (mode {mode:04o})"
    uid = os.geteuid()
    if not os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        return None  # read-only for the service (permissions or a read-only mount)
    if uid != 0 or (st.st_uid == uid and mode & stat.S_IWUSR):
        return f"is writable by the service's own user (uid {uid}, mode {mode:04o})"
    return None


def check_card_dir(directory: Path) -> None:
    """Raise `UntrustedCardDirError` naming the first path the service or others could change:
    the directory itself, then everything in it (sub-directories such as __pycache__ too)."""
    paths = [directory]
    if directory.is_dir():
        paths += sorted(directory.rglob("*"))
    for path in paths:
        problem = _problem(path)
        if problem is not None:
            raise UntrustedCardDirError(
                f"{path} {problem}: card plugins are trusted code, install them read-only for "
                "the service (owned by another user, no group or other write)"
            )
