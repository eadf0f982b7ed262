"""Detached server processes: spawn, pid files, liveness, stop, locks.

A server is started in its own session so it outlives the command that started it. Its pid
is written to a pid file; a pid only counts as "ours" if the process is alive (not a zombie)
and its command line still contains the component's marker (a path inside the state
directory), which makes stale pid files and recycled pids harmless.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path


class InfraError(RuntimeError):
    """A server could not be installed, started or stopped; the message says what to do."""


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # Format: "pid (comm) S ..."; comm may contain spaces, so split after the last ')'.
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def is_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (reaping it if it is our child)."""
    with contextlib.suppress(ChildProcessError, OSError):
        # A server started by this very process (e.g. from pytest) becomes a zombie child
        # when it dies; reap it so it stops looking alive.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists but belongs to another user (postgres): still alive
    return not _is_zombie(pid)


def matches(pid: int, marker: str) -> bool:
    args = _cmdline(pid)
    return args is not None and any(marker in a for a in args)


def find_by_marker(marker: str) -> int | None:
    """A running session leader whose command line carries the marker (pid file lost)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        with contextlib.suppress(OSError):
            # We start every server with start_new_session, so the server itself is the
            # session leader; its children (postgres backends...) are not.
            if os.getsid(pid) == pid and matches(pid, marker) and is_alive(pid):
                return pid
    return None


def read_pid(pid_file: Path, marker: str) -> int | None:
    """The live pid of the server, or None; stale pid files are removed."""
    pid: int | None = None
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().strip())
    if pid is not None and is_alive(pid) and matches(pid, marker):
        return pid
    pid_file.unlink(missing_ok=True)
    found = find_by_marker(marker)
    if found is not None:
        write_pid(pid_file, found)
    return found


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(pid_file)


def spawn(
    argv: list[str],
    *,
    log_file: Path,
    pid_file: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start a detached server with stdout/stderr appended to its log file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {argv}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
        )
    write_pid(pid_file, proc.pid)
    return proc.pid


def stop(
    pid: int,
    *,
    sig: signal.Signals = signal.SIGTERM,
    timeout: float,
) -> bool:
    """Signal the server, wait for it, SIGKILL its process group after the timeout.

    Returns True if it exited on its own, False if it had to be killed.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    if wait_for(lambda: not is_alive(pid), timeout, interval=0.1):
        return True
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not is_alive(pid), 10.0, interval=0.1)
    return False


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if check():
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_in_use(host: str, port: int) -> bool:
    """True if something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def tcp_open(host: str, port: int) -> bool:
    return port_in_use(host, port)


def tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 16384))
            data = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so two `hive infra` commands do not race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX)
        except OSError as e:  # pragma: no cover - e.g. a filesystem without locks
            if e.errno not in (errno.ENOLCK, errno.EOPNOTSUPP):
                raise
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(f, fcntl.LOCK_UN)


def run(
    argv: list[str],
    *,
    what: str,
    log_file: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    input_text: str | None = None,
    timeout: float | None = None,
) -> str:
    """Run a helper command to completion; raise InfraError naming `what` if it fails.

    Output goes to the log file when given (installs are long and chatty), otherwise it is
    captured and returned.
    """
    try:
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            with log_file.open("ab") as log:
                log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {argv}\n".encode())
                log.flush()
                res = subprocess.run(
                    argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    input=input_text.encode() if input_text is not None else None,
                    env=env,
                    cwd=cwd,
                    user=user,
                    group=user,
                    extra_groups=[] if user is not None else None,
                    timeout=timeout,
                    check=False,
                )
            out = ""
        else:
            res = subprocess.run(
                argv,
                capture_output=True,
                input=input_text.encode() if input_text is not None else None,
                env=env,
                cwd=cwd,
                user=user,
                group=user,
                extra_groups=[] if user is not None else None,
                timeout=timeout,
                check=False,
            )
            out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    except FileNotFoundError as e:
        raise InfraError(f"{what}: {argv[0]} not found ({e})") from e
    except subprocess.TimeoutExpired as e:
        raise InfraError(f"{what}: timed out after {timeout}s") from e
    if res.returncode != 0:
        where = f"; see {log_file}:\n{tail(log_file)}" if log_file is not None else f":\n{out}"
        raise InfraError(f"{what} failed (exit code {res.returncode}){where}")
    return out
