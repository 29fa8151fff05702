"""The one place where external commands run, and what the user sees of them.

Every subprocess goes through :func:`run`: it takes an argument list (never a shell string),
echoes the command (verbose or dry-run), honours dry-run, masks secrets, and turns a failure
into ``invoke.Exit`` carrying the command, its exit code and the last lines of its stderr.
Each command runs in its own process group; an interrupt (Ctrl-C or SIGTERM) stops every
running group before the interrupt unwinds the caller's cleanup.

Output levels (``options.level``): ``quiet`` shows warnings, errors and results; ``normal``
adds one line per step with its duration; ``verbose`` adds every command and the tools'
stderr. Progress and warnings go to stderr, results to stdout.
"""

from __future__ import annotations

import collections
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

USAGE = 2
"""Exit code for bad input or an unusable environment, raised before any work starts."""
FAILURE = 1
"""Exit code for a check that found a problem or a step that failed."""

INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT); SIGTERM gives 143 (128 + SIGTERM)."""

STDERR_TAIL_LINES = 20
KILL_GRACE_SECONDS = 5.0
"""How long a stopped command's process group has to exit on SIGTERM before SIGKILL."""
_SECRET_ENV_WORDS = ("TOKEN", "PASSWORD", "SECRET", "CREDENTIAL")
LEVELS = ("quiet", "normal", "verbose")


@dataclass
class RunOptions:
    """Process-wide switches the task layer sets from Invoke's config."""

    dry: bool = False
    level: str = "normal"
    secrets: set[str] = field(default_factory=set)
    preamble: list[str] = field(default_factory=list)
    """Lines about the run (config, tools) still to be said before its first progress line."""

    @property
    def echo(self) -> bool:
        """Whether commands are echoed before they run (verbose, or dry-run)."""
        return self.level == "verbose" or self.dry

    @echo.setter
    def echo(self, value: bool) -> None:
        """Older spelling: echo on is the verbose level, off the normal one."""
        self.level = "verbose" if value else "normal"

    @property
    def quiet(self) -> bool:
        """Whether progress is hidden."""
        return self.level == "quiet"


options = RunOptions()


def configure(*, dry: bool | None = None, level: str | None = None) -> None:
    """Set dry-run and the output level for every later command."""
    if dry is not None:
        options.dry = dry
    if level is not None:
        if level not in LEVELS:
            raise usage_error(f"unknown output level {level!r}", f"Use one of {', '.join(LEVELS)}.")
        options.level = level


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: unwinds like KeyboardInterrupt, remembering which signal it was."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 plus the signal number."""
        return 128 + self.signum


_children: set[int] = set()
_children_lock = threading.RLock()
"""Reentrant: the signal handler may run while the main thread holds it."""


def _signal_groups(groups: set[int], signum: int) -> None:
    for group in groups:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)


def _running_groups() -> set[int]:
    with _children_lock:
        return set(_children)


def stop_children() -> None:
    """SIGTERM every running command's process group; SIGKILL the survivors after a grace period."""
    groups = _running_groups()
    if not groups:
        return
    _signal_groups(groups, signal.SIGTERM)
    timer = threading.Timer(
        KILL_GRACE_SECONDS, lambda: _signal_groups(groups & _running_groups(), signal.SIGKILL)
    )
    timer.daemon = True
    timer.start()


def _on_signal(signum: int, _frame: object) -> None:
    stop_children()
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Within: Ctrl-C and SIGTERM stop running commands and raise :class:`Interrupted`.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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
    """Progress output (stderr, so stdout stays machine-readable); hidden when quiet."""
    flush_preamble()
    if not options.quiet:
        print(redact(message), file=sys.stderr, flush=True)


def set_preamble(lines: Sequence[str]) -> None:
    """Say ``lines`` (what the run uses) before its first progress, warning or command: bad input
    found before any work is then still the only line a user sees."""
    options.preamble = list(lines)


def flush_preamble() -> None:
    """Say the pending preamble now (once)."""
    lines, options.preamble = options.preamble, []
    if not options.quiet:
        for line in lines:
            print(redact(line), file=sys.stderr, flush=True)


def drop_preamble() -> None:
    """Forget the pending preamble (the run stopped on bad input before any work)."""
    options.preamble = []


def detail(message: str) -> None:
    """Progress shown only in verbose mode (what each step does inside)."""
    if options.level == "verbose":
        print(redact(message), file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """A warning on stderr, shown at every output level."""
    flush_preamble()
    print(redact(f"warning: {message}"), file=sys.stderr, flush=True)


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
    raises ``invoke.Exit`` naming ``what`` failed and ``todo`` -- unless its stderr shows an
    unusable environment (read-only or full disk, no or too old Go), which is reported as
    itself with exit code 2. ``quiet`` skips the echo (for small read-only probes only).
    Stderr lines matching ``hide_stderr`` are known noise and are dropped. The tool's stdout
    passes through; its stderr is shown in verbose mode and kept for the failure message.
    """
    argv = [os.fspath(a) for a in args]
    workdir = Path(cwd) if cwd is not None else None
    if not query:
        flush_preamble()
    if options.echo and not quiet:
        print(f"+ {format_command(argv, env, workdir)}", file=sys.stderr, flush=True)
    if options.dry and not query:
        return subprocess.CompletedProcess(argv, 0, "", "")
    full_env = {**os.environ, **env} if env else None
    try:
        if capture or stdin_data is not None:
            result = _run_captured(argv, workdir, full_env, stdin_data)
            stderr_tail = result.stderr.splitlines()[-STDERR_TAIL_LINES:]
            if not capture:
                sys.stdout.write(result.stdout)
                if options.level == "verbose":
                    sys.stderr.write(redact(result.stderr))
        else:
            result, stderr_tail = _run_streaming(argv, workdir, full_env, hide_stderr)
    except FileNotFoundError as err:
        if workdir is not None and not workdir.is_dir():
            raise usage_error(f"directory {workdir} does not exist", "Check the path and try again.") from err
        raise usage_error(
            f"{argv[0]} is not installed or not on PATH",
            f"Install {Path(argv[0]).name} (or run 'kstasks tools') and try again.",
        ) from err
    if check and result.returncode != 0:
        details = (
            f"command failed with exit code {result.returncode}: {format_command(argv, env, workdir)}\n"
            + ("--- last lines of its stderr ---\n" + "\n".join(stderr_tail) if stderr_tail else "")
        )
        environment = diagnose(result.stderr if capture or stdin_data is not None else "\n".join(stderr_tail))
        if environment is not None:
            raise stop(*environment, code=USAGE, details=details)
        raise stop(f"{what or Path(argv[0]).name} failed", todo, details=details)
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
        with _children_lock:
            _children.add(proc.pid)
    except BaseException:
        _signal_groups({proc.pid}, signal.SIGKILL)
        raise
    return proc


def _finish(proc: subprocess.Popen[str]) -> None:
    """After the process ended (or on the way out): stop its group if it still runs, forget it."""
    try:
        if proc.poll() is None:
            _signal_groups({proc.pid}, signal.SIGTERM)
            try:
                proc.wait(KILL_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_groups({proc.pid}, signal.SIGKILL)
                proc.wait()
    finally:
        with _children_lock:
            _children.discard(proc.pid)


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
    show = options.level == "verbose"
    proc = _start(argv, cwd, env, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if hide is not None and hide.search(line):
                continue
            if show:
                sys.stderr.write(redact(line))
            tail.append(line.rstrip("\n"))
        returncode = proc.wait()
    finally:
        _finish(proc)
        if proc.stderr is not None:
            proc.stderr.close()
    return subprocess.CompletedProcess(argv, returncode, "", "\n".join(tail)), list(tail)


@contextmanager
def step(title: str) -> Iterator[None]:
    """One line for a step: its result and duration (the start line too in verbose mode).

    An interrupt prints nothing here: the one "interrupted" line comes from the top level.
    """
    detail(f"==> {title}")
    started = time.monotonic()
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException:
        say(f"==> {title}: failed after {time.monotonic() - started:.1f}s")
        raise
    if options.dry:
        say(f"==> {title}: dry run, nothing done")
    else:
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
