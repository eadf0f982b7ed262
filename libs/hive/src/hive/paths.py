"""Where the repository's data files live (schemas, policies, data), in a checkout or an image."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The repository root: $HIVE_HOME if set (images), else found from this file (checkouts)."""
    env = os.environ.get("HIVE_HOME")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "schemas" / "topics.yaml").exists():
            return parent
    # Not fatal here: callers that need the files raise a clear error naming HIVE_HOME.
    return here.parents[4]


def schemas_dir() -> Path:
    return Path(os.environ.get("HIVE_SCHEMAS_DIR", repo_root() / "schemas"))
