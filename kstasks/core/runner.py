"""The one place where external commands run.

Every subprocess goes through :func:`run`: it takes an argument list (never a shell string),
echoes the command (verbose or dry-run), honours dry-run, masks secrets, and turns a failure
into :class:`~kstasks.core.errors.CommandFailed` carrying the command, its exit code and the
last lines of its stderr (or :class:`~kstasks.core.errors.EnvironmentUnusable` when its stderr
shows a read-only or full disk, or a missing or too old Go). Each command runs in its own
process group, tracked so that an interrupt stops it (``kstasks.core.signals``).
"""

from __future__ import annotations

import collections
import contextvars
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from kstasks.core import signals
from kstasks.core.context import current, redact
from kstasks.core.errors import CommandFailed, EnvironmentUnusable
from kstasks.core.output import flush_preamble, to_stderr

STDERR_TAIL_LINES = 20


_SECRET_ENV_WORDS = ("TOKEN", "PASSWORD", "SECRET", "CREDENTIAL")


def _is_secret_env(name: str) -> bool:
    return any(word in name.upper() for word in _SECRET_ENV_WORDS)


def format_command(argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """The command as a person would type it, environment additions first, secrets masked."""
    prefix = ""
    if env:
        prefix = " ".join(
            f"{key}={'***' if _is_secret_env(key) else shlex.quote(value)}" for key, value in env.items()
        )
        prefix += " "
    where = f"(cd {shlex.quote(str(cwd))} && " if cwd is not None else ""
    return redact(where + prefix + shlex.join(argv) + (")" if where else ""))


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
    query: bool = False,
    what: str | None = None,
    todo: str = "See the tool's output above.",
    check: bool = True,
    stdin_data: str | None = None,
    quiet: bool = False,
    hide_stderr: re.Pattern[str] | None = None,
    chatter: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` and return the completed process.

    ``env`` holds additions to the current environment. ``capture`` returns stdout and
    stderr instead of streaming them. ``query`` marks a read-only command that still runs
    under dry-run (its answer decides what would be done). With ``check`` a non-zero exit
    raises :class:`CommandFailed` naming ``what`` failed and ``todo`` -- unless its stderr shows an
    unusable environment (read-only or full disk, no or too old Go), which is reported as
    itself with exit code 2. ``quiet`` skips the echo (for small read-only probes only).
    Stderr lines matching ``hide_stderr`` are known noise and are dropped. The tool's stdout
    passes through; its stderr is shown in verbose mode and kept for the failure message.
    With ``chatter`` the tool's stdout is progress, not a result (``helm lint``'s ``==> Linting``):
    it goes to stderr (hidden under -q) and into the failure message, never to stdout.
    """
    argv = [os.fspath(a) for a in args]
    workdir = Path(cwd) if cwd is not None else None
    if not query:
        flush_preamble()
    run_context = current()
    if run_context.echo and not quiet:
        to_stderr(f"+ {format_command(argv, env, workdir)}\n")
    if run_context.dry and not query:
        return subprocess.CompletedProcess(argv, 0, "", "")
    full_env = {**os.environ, **env} if env else None
    try:
        if chatter and not capture:
            result = _run_captured(argv, workdir, full_env, stdin_data)
            said = (result.stdout + result.stderr).splitlines()
            stderr_tail = said[-STDERR_TAIL_LINES:]
            if not current().quiet:
                to_stderr(result.stdout)
            if current().verbose:
                to_stderr(result.stderr)
        elif capture or stdin_data is not None:
            result = _run_captured(argv, workdir, full_env, stdin_data)
            stderr_tail = result.stderr.splitlines()[-STDERR_TAIL_LINES:]
            if not capture:
                sys.stdout.write(result.stdout)
                if current().verbose:
                    to_stderr(result.stderr)
        else:
            result, stderr_tail = _run_streaming(argv, workdir, full_env, hide_stderr)
    except FileNotFoundError as err:
        if workdir is not None and not workdir.is_dir():
            raise EnvironmentUnusable(
                f"directory {workdir} does not exist", "Check the path and try again."
            ) from err
        raise EnvironmentUnusable(
            f"{argv[0]} is not installed or not on PATH",
            f"Install {Path(argv[0]).name} (or run 'kstasks tools') and try again.",
        ) from err
    if check and result.returncode != 0:
        failure = CommandFailed(
            f"{what or Path(argv[0]).name} failed",
            todo,
            command=format_command(argv, env, workdir),
            returncode=result.returncode,
            stderr_tail=[redact(line) for line in stderr_tail],
        )
        environment = diagnose(result.stderr if capture or stdin_data is not None else "\n".join(stderr_tail))
        if environment is not None:
            raise EnvironmentUnusable(*environment, context=failure.context)
        raise failure
    return result


_ENVIRONMENT_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"read-only file system", re.IGNORECASE),
        "Make that location writable (the checkout, kstasks' cache under ~/.cache/kstasks, or TMPDIR) "
        "and run again.",
    ),
    (
        re.compile(r"no space left on device", re.IGNORECASE),
        "Free disk space there (df -h shows where) and run again.",
    ),
    (
        re.compile(r"go: (command )?not found|go command required|exec: \"go\": executable file not found"),
        "Install Go (the version go.mod names) and put it on PATH.",
    ),
    (
        re.compile(
            r"requires go ?>= ?\S+|go\.mod requires go|compile: version \"?\S+\"? does not match"
            r"|toolchain not available"
        ),
        "Install the Go version go.mod names (or a newer one), or allow GOTOOLCHAIN=auto to fetch it.",
    ),
)


def diagnose(stderr: str) -> tuple[str, str] | None:
    """What a failing tool's stderr says about the environment (what, todo), or None.

    A read-only or full disk, a missing ``go`` or a Go toolchain that is too old is reported
    as itself, not as a problem in the user's code.
    """
    for line in stderr.splitlines():
        for pattern, todo in _ENVIRONMENT_PROBLEMS:
            if pattern.search(line):
                return line.strip(), todo
    return None


def _start(
    argv: list[str], cwd: Path | None, env: Mapping[str, str] | None, **kwargs: Any
) -> subprocess.Popen[str]:
    """Start ``argv`` in its own process group, registered so an interrupt can stop it."""
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, text=True, errors="replace", start_new_session=True, **kwargs
    )
    try:
        signals.track(proc.pid)
    except BaseException:
        signals.signal_groups({proc.pid}, signal.SIGKILL)
        raise
    return proc


def _finish(proc: subprocess.Popen[str]) -> None:
    """After the process ended (or on the way out): stop its group if it still runs, forget it."""
    try:
        if proc.poll() is None:
            signals.signal_groups({proc.pid}, signal.SIGTERM)
            try:
                proc.wait(signals.KILL_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                signals.signal_groups({proc.pid}, signal.SIGKILL)
                proc.wait()
    finally:
        signals.forget(proc.pid)


def _run_captured(
    argv: list[str], cwd: Path | None, env: Mapping[str, str] | None, stdin_data: str | None
) -> subprocess.CompletedProcess[str]:
    proc = _start(
        argv,
        cwd,
        env,
        stdin=subprocess.PIPE if stdin_data is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(stdin_data)
    finally:
        _finish(proc)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _run_streaming(
    argv: list[str], cwd: Path | None, env: Mapping[str, str] | None, hide: re.Pattern[str] | None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run with stdout on the terminal and stderr remembered (and shown in verbose mode)."""
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    show = current().verbose
    proc = _start(argv, cwd, env, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if hide is not None and hide.search(line):
                continue
            if show:
                to_stderr(line)
            tail.append(line.rstrip("\n"))
        returncode = proc.wait()
    finally:
        _finish(proc)
        if proc.stderr is not None:
            proc.stderr.close()
    return subprocess.CompletedProcess(argv, returncode, "", "\n".join(tail)), list(tail)


def parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once (threads driving subprocesses); their results in order.

    Every call runs to its end; the first failure is then raised. Each thread runs in a copy of
    the caller's context, so it shares the caller's run (output level, secrets, running commands).
    """
    if len(calls) <= 1:
        return [call() for call in calls]
    current()  # the run every thread shares, made now if the caller had none yet
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        wait(futures)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]
