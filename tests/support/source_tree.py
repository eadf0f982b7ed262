"""Where the code the structure tests read lives: the core library, the services, the tooling."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def source_roots(root: Path = ROOT) -> list[Path]:
    """Every `src` folder of the workspace under `root`: the core, each service, the tooling."""
    return [
        root / "libs/hive/src",
        *sorted((root / "services").glob("*/src")),
        *sorted((root / "tools").glob("*/src")),
    ]
