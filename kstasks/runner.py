"""The one place where external commands run.

Every subprocess goes through :func:`run`: it takes an argument list (never a shell string),
echoes the command, honours dry-run, masks secrets, and turns a failure into ``invoke.Exit``
carrying the command, its exit code and the last lines of its stderr.
"""

from __future__ import annotations

import collections
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

USAGE = 2
"""Exit code for bad input or an unusable environment, raised before any work starts."""
FAILURE = 1
"""Exit code for a check that found a problem or a step that failed."""

STDERR_TAIL_LINES = 20
_SECRET_ENV_WORDS = ("TOKEN", "PASSWORD", "SECRET", "CREDENTIAL")


@dataclass
class RunOptions:
    """Process-wide switches the task layer sets from Invoke's config."""

    dry: bool = False
    echo: bool = True
    secrets: set[str] = field(default_factory=set)


options = RunOptions()


def configure(*, dry: bool | None = None, echo: bool | None = None) -> None:
    """Set dry-run and echo for every later command."""
    if dry is not None:
        options.dry = dry
    if echo is not None:
        options.echo = echo


def add_secret(value: str | None) -> None:
    """Never print ``value``: it is masked in echoed commands and error messages."""
    if value:
        options.secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in sorted(options.secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def say(message: str) -> None:
    """Progress output (stderr, so stdout stays machine-readable)."""
    print(redact(message), file=sys.stderr, flush=True)


def stop(what: str, todo: str, *, code: int = FAILURE, details: str = "") -> Exit:
    """An ``invoke.Exit`` whose last line says what failed and what to do."""
    summary = f"error: {what}. {todo}".rstrip()
    message = f"{details.rstrip()}\n{summary}" if details.strip() else summary
    return Exit(redact(message), code=code)


def usage_error(what: str, todo: str) -> Exit:
    """Bad input or unusable environment: exit code 2."""
    return stop(what, todo, code=USAGE)


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
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` and return the completed process.

    ``env`` holds additions to the current environment. ``capture`` returns stdout and
    stderr instead of streaming them. ``query`` marks a read-only command that still runs
    under dry-run (its answer decides what would be done). With ``check`` a non-zero exit
    raises ``invoke.Exit`` naming ``what`` failed and ``todo``. ``quiet`` skips the echo (for
    small read-only probes only). Stderr lines matching ``hide_stderr`` are known noise and
    are dropped.
    """
    argv = [os.fspath(a) for a in args]
    workdir = Path(cwd) if cwd is not None else None
    if options.echo and not quiet:
        say(f"+ {format_command(argv, env, workdir)}")
    if options.dry and not query:
        return subprocess.CompletedProcess(argv, 0, "", "")
    full_env = {**os.environ, **env} if env else None
    try:
        if capture or stdin_data is not None:
            result = subprocess.run(
                argv,
                cwd=workdir,
                env=full_env,
                capture_output=True,
                text=True,
                errors="replace",
                input=stdin_data,
            )
            stderr_tail = result.stderr.splitlines()[-STDERR_TAIL_LINES:]
            if not capture:
                sys.stdout.write(result.stdout)
                sys.stderr.write(result.stderr)
        else:
            result, stderr_tail = _run_streaming(argv, workdir, full_env, hide_stderr)
    except FileNotFoundError as err:
        raise usage_error(
            f"{argv[0]} is not installed or not on PATH",
            f"Install {Path(argv[0]).name} (or run 'kstasks tools') and try again.",
        ) from err
    if check and result.returncode != 0:
        raise stop(
            f"{what or Path(argv[0]).name} failed",
            todo,
            details=(
                f"command failed with exit code {result.returncode}: {format_command(argv, env, workdir)}\n"
                + ("--- last lines of its stderr ---\n" + "\n".join(stderr_tail) if stderr_tail else "")
            ),
        )
    return result


def _run_streaming(
    argv: list[str], cwd: Path | None, env: Mapping[str, str] | None, hide: re.Pattern[str] | None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run with stdout on the terminal and stderr both shown and remembered."""
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True, errors="replace"
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if hide is not None and hide.search(line):
                continue
            sys.stderr.write(redact(line))
            tail.append(line.rstrip("\n"))
        returncode = proc.wait()
    return subprocess.CompletedProcess(argv, returncode, "", "\n".join(tail)), list(tail)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Announce a long step and report how long it took, or that it failed."""
    say(f"==> {title}")
    started = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"==> {title}: failed after {time.monotonic() - started:.1f}s")
        raise
    say(f"==> {title}: done in {time.monotonic() - started:.1f}s")


def parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once (threads driving subprocesses); their results in order.

    Every call runs to its end; the first failure is then raised.
    """
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        wait(futures)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]
