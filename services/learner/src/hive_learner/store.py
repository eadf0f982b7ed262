"""The model store: one artifact file per version, where the risk gate can read it.

Layout: `<HIVE_MODEL_STORE>/<model_name>/<version>.json` (default `.hive/models` under the
repository root). Files are written atomically (temporary file + rename), so a reader never
sees half an artifact; the release record carries the file's SHA-256, so a changed file is
refused by `hive.winprob.load_release`.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from hive.paths import repo_root
from hive.winprob import WinProbModel, load_release, sha256_hex

log = logging.getLogger(__name__)

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def default_store() -> Path:
    return repo_root() / ".hive" / "models"


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, model_name: str, version: str) -> Path:
        for part in (model_name, version):
            if not _SAFE.match(part):
                raise ValueError(f"{part!r} cannot be part of a file name")
        return self.root / model_name / f"{version}.json"

    def uri(self, model_name: str, version: str) -> str:
        return self.path(model_name, version).as_uri()

    def write(self, model_name: str, version: str, data: bytes) -> tuple[str, str]:
        """Store an artifact; returns (artifact_uri, sha256)."""
        target = self.path(model_name, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = sha256_hex(data)
        if target.exists():
            if sha256_hex(target.read_bytes()) == digest:
                return target.as_uri(), digest  # the same training, again (a replay)
            log.warning("replacing %s: an unpublished earlier run left other weights", target)
        fd, tmp = tempfile.mkstemp(prefix=f".{version}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target.as_uri(), digest

    def load(self, artifact_uri: str, sha256: str) -> WinProbModel:
        return load_release(artifact_uri, sha256, store=self.root)
