"""Maven, used only to fetch pinned jars from Maven Central into the cache directory."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from hive_tools.infra.process import InfraError, run

# Apicurio's parent POMs declare extra repositories (JitPack, Eclipse, Red Hat...) that this
# project must not depend on; every repository except Maven's built-in `central` is mirrored
# to an empty local directory so lookups there miss at once instead of reaching out.
_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <localRepository>{repo}</localRepository>
  <interactiveMode>false</interactiveMode>
  <mirrors>
    <mirror>
      <id>hive-central-only</id>
      <name>Only Maven Central: other repositories resolve to nothing</name>
      <url>file://{empty}</url>
      <mirrorOf>*,!central</mirrorOf>
    </mirror>
  </mirrors>
</settings>
"""


def settings_file(cache_dir: Path) -> Path:
    """Write (idempotently) the Maven settings that keep everything inside the cache."""
    base = cache_dir / "maven"
    repo = base / "repository"
    empty = base / "empty-repository"
    repo.mkdir(parents=True, exist_ok=True)
    empty.mkdir(parents=True, exist_ok=True)
    path = base / "settings.xml"
    text = _SETTINGS.format(repo=repo, empty=empty)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def mvn(cache_dir: Path, project: Path, goals: list[str], *, what: str, log_file: Path) -> None:
    exe = shutil.which("mvn")
    if exe is None:
        raise InfraError(
            "Maven (mvn) is not on PATH; it is needed to fetch Kafka and the schema registry "
            "from Maven Central (Debian: apt-get install maven)"
        )
    settings = settings_file(cache_dir)
    argv = [exe, "-B", "-ntp", "-s", str(settings), "-f", str(project / "pom.xml"), *goals]
    run(argv, what=what, log_file=log_file, cwd=project)


def fingerprint(*parts: str) -> str:
    """A short hash of everything that defines an install, stored in its marker file."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def is_marked(directory: Path, print_: str) -> bool:
    marker = directory / ".hive-installed"
    return marker.is_file() and marker.read_text().strip() == print_


def mark(directory: Path, print_: str) -> None:
    (directory / ".hive-installed").write_text(print_ + "\n")
