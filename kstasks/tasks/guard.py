"""Every task's outer layer: output level, interrupts, and one line instead of a traceback.

:func:`guarded` wraps a task body (the namespace wraps every task, so this holds under
``kstasks`` and under ``invoke`` with a project's tasks.py alike):

- the output level and dry-run are set from Invoke's config before the body runs;
- Ctrl-C and SIGTERM stop the running commands, let cleanup run, and end the task with one
  "interrupted" line and exit code 130 (SIGINT) or 143 (SIGTERM);
- a read-only or full disk or a permission problem is one line naming the path, exit 2;
- anything unforeseen is one line (exit 1) with a hint to rerun with ``KSTASKS_DEBUG=1``,
  which lets the traceback through.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import functools
import json
import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from typing import Any, TypeVar

import yaml
from invoke.config import AmbiguousMergeError, Config
from invoke.exceptions import Exit, Failure, ParseError, UnknownFileType
from invoke.vendor import yaml as invoke_yaml

from kstasks.core import context, errors, output, scratch, signals, yamlfile

DEBUG_VARIABLE = "KSTASKS_DEBUG"
OUTPUT_VARIABLE = "KSTASKS_OUTPUT"
_QUIET_HIDE = ("err", "stderr", "both")

T = TypeVar("T")


def debugging() -> bool:
    """Whether ``KSTASKS_DEBUG`` asks for tracebacks."""
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def output_level(config: Config | Mapping[str, Any]) -> str:
    """The output level from Invoke's config: flags first, then settings, then ``KSTASKS_OUTPUT``.

    ``--echo`` (``kstasks -v``) is verbose; ``--hide=err``/``both`` (``kstasks -q``) quiet; else
    ``kstasks.output`` (invoke.yaml or ``INVOKE_KSTASKS_OUTPUT``); else ``KSTASKS_OUTPUT``;
    else normal. ``--hide=out`` is refused: results are what stdout is for.
    """
    settings = config.get("kstasks", {}) or {}
    chosen = settings.get("output") or os.environ.get(OUTPUT_VARIABLE, "") or "normal"
    if chosen not in context.LEVELS:  # refused even where a flag would win over it
        raise errors.BadInput(
            f"output level {str(chosen)[:40]!r} is unknown", f"Use one of: {', '.join(context.LEVELS)}."
        )
    run = config.get("run", {}) or {}
    hide = run.get("hide")
    if hide in ("out", "stdout"):
        raise errors.BadInput(
            f"--hide={hide} is not supported (kstasks prints only results on stdout)",
            "Use -q (or --hide=err) to see only warnings, errors and results.",
        )
    if run.get("echo"):
        return "verbose"
    if hide in _QUIET_HIDE or hide is True:
        return "quiet"
    return chosen


def _sweep() -> None:
    """Remove what killed runs left (not under dry-run)."""
    if context.dry_run():
        return
    with suppress(OSError):
        scratch.sweep()


_PERMISSIONS = "Check that path's owner and permissions, or run as its owner."
_OS_PROBLEMS = {
    errno.EROFS: (
        "write",
        "read-only file system",
        "Make it writable (or work on a writable copy) and run again.",
    ),
    errno.ENOSPC: (
        "write",
        "no space left on device",
        "Free disk space there (df -h shows where) and run again.",
    ),
    errno.EDQUOT: ("write", "disk quota exceeded", "Free space within your quota and run again."),
    errno.EACCES: ("access", "permission denied", _PERMISSIONS),
    errno.EPERM: ("access", "operation not permitted", _PERMISSIONS),
    errno.ENOTDIR: (
        "use",
        "a part of that path is a file, not a directory",
        "Move that file out of the way and run again.",
    ),
    errno.ENOENT: (
        "use",
        "no such file or directory",
        "Check that the path (and HOME, XDG_CACHE_HOME, TMPDIR) names a directory that exists.",
    ),
}

CONFIG_ERRORS: tuple[type[BaseException], ...] = (
    yaml.YAMLError,
    invoke_yaml.YAMLError,
    json.JSONDecodeError,
    UnknownFileType,
    AmbiguousMergeError,
)
"""Errors of a settings file itself (Invoke's loading and merging of invoke.yaml/.json)."""


def os_problem(error: OSError) -> errors.EnvironmentUnusable | None:
    """An unusable file system (read-only, full, no permission) as one line with exit 2; else None."""
    known = _OS_PROBLEMS.get(error.errno or 0)
    if known is None:
        return None
    verb, what, todo = known
    where = error.filename if error.filename is not None else "a file"
    return errors.EnvironmentUnusable(f"cannot {verb} {where}: {what}", todo)


def _one_line(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return f"{text[:limit]}..." if len(text) > limit else text


def unexpected(error: BaseException) -> Exit:
    """Anything unforeseen as one line (exit 1) with the hint to see the traceback."""
    text = _one_line(error)
    return Exit(
        output.redact(
            f"error: unexpected {type(error).__name__}{': ' + text if text else ''}. "
            f"This is a kstasks bug: rerun with {DEBUG_VARIABLE}=1 to see the traceback, and report it."
        ),
        code=errors.FAILURE,
    )


def interrupted(error: KeyboardInterrupt) -> Exit:
    """The one line after Ctrl-C (exit 130) or SIGTERM (exit 143)."""
    detail = f". {error.detail}" if isinstance(error, signals.Interrupted) and error.detail else ""
    if isinstance(error, signals.Interrupted) and error.signum != signal.SIGINT:
        return Exit(output.redact(f"interrupted ({error.args[0]}){detail}"), code=error.exit_code)
    return Exit(output.redact(f"interrupted{detail}"), code=errors.INTERRUPTED)


def classify(error: BaseException) -> BaseException:
    """``error`` as kstasks reports it: a known OS or settings-file problem as its typed error;
    the rest as it is."""
    if isinstance(error, OSError):
        return os_problem(error) or error
    if isinstance(error, CONFIG_ERRORS):
        return errors.BadInput(
            f"a settings file (invoke.yaml/.json, -f) is malformed: "
            f"{yamlfile.problem(error) if isinstance(error, CONFIG_ERRORS[:2]) else _one_line(error)}",
            "Fix that file: the kstasks section is a mapping of mappings (see kstasks/project/settings.py).",
        )
    return error


def as_exit(error: BaseException) -> BaseException:
    """What reaches the user for ``error`` (the one place errors are rendered): a kstasks error as
    its text with secrets masked and its exit code; Invoke's own exits as they are; an interrupt
    as one line; anything unforeseen as one line with the hint to see the traceback."""
    if isinstance(error, (Exit, ParseError, Failure, SystemExit)):
        return error
    if isinstance(error, KeyboardInterrupt):
        return interrupted(error)
    error = classify(error)
    if isinstance(error, errors.KstasksError):
        return Exit(output.redact(error.render()), code=error.exit_code)
    if isinstance(error, Exception) and not debugging():
        return unexpected(error)
    return error


def _exit_code(error: BaseException) -> int | None:
    return getattr(error, "code", None) if isinstance(error, (Exit, errors.KstasksError)) else None


@contextlib.contextmanager
def go_temporary_directory() -> Iterator[None]:
    """Within: the go commands a task starts (directly or through a tool) keep their work
    directories in a scratch directory of the run (GOTMPDIR), removed when the task ends, also
    when it is interrupted (a go command stopped by SIGTERM leaves its work directory behind).
    A GOTMPDIR of the user's own is left alone."""
    if os.environ.get("GOTMPDIR"):
        yield
        return
    with scratch.directory("gotmp") as directory:
        os.environ["GOTMPDIR"] = str(directory)
        try:
            yield
        finally:
            os.environ.pop("GOTMPDIR", None)


def guarded(body: Callable[..., T]) -> Callable[..., T]:
    """``body`` (a task function) run in a fresh run context (output level and dry-run from Invoke's
    config), with interrupts and errors made one line. A guarded body called from within another
    task's run shares that run."""

    @functools.wraps(body)
    def task_body(c: Any, *args: Any, **kwargs: Any) -> T:
        if context.current().guarded:
            return body(c, *args, **kwargs)
        with context.running() as run:
            run.guarded = True
            try:
                with signals.interruptible():
                    context.configure(dry=bool(c.config.run.dry), level=output_level(c.config))
                    _sweep()
                    with go_temporary_directory():
                        result = body(c, *args, **kwargs)
                output.flush_preamble()
                return result
            except BaseException as error:
                if _exit_code(classify(error)) == errors.USAGE:
                    output.drop_preamble()
                else:
                    output.flush_preamble()
                converted = as_exit(error)
                if converted is error:
                    raise
                raise converted from None

    task_body.__kstasks_guarded__ = True  # type: ignore[attr-defined]
    return task_body


_UNKNOWN = re.compile(r"No idea what '(?P<token>.*)' is!")


def bad_input(error: ParseError, task_names: Iterable[str], core_flags: Iterable[str] = ()) -> Exit:
    """A command-line parse error as exit 2, suggesting the closest task or flag name."""
    message = str(error)
    match = _UNKNOWN.search(message)
    if match is None:
        return Exit(f"error: {message}", code=errors.USAGE)
    token = match["token"]
    if token.startswith("-"):
        flags = list(core_flags)
        if error.context is not None:
            flags += list(error.context.flags)
        close = difflib.get_close_matches(token, flags, n=1)
        kind = "flag"
    else:
        close = difflib.get_close_matches(token, list(task_names), n=1, cutoff=0.5)
        kind = "task"
    hint = f" Did you mean '{close[0]}'?" if close else ""
    where = (
        f" of {error.context.name}"
        if kind == "flag" and error.context is not None and error.context.name
        else ""
    )
    return Exit(
        f"error: no {kind} '{token}'{where}.{hint} --list shows the tasks, --help TASK its flags.",
        code=errors.USAGE,
    )
