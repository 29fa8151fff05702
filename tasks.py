"""Invoke entry point: every kstasks task (see `invoke --list`).

Copy this file into a KubeStellar checkout's root (or run `kstasks init` there) to use
`invoke <task>` in it; settings come from invoke.yaml, INVOKE_KSTASKS_* and task flags.
"""

from kstasks.tasks import ns

__all__ = ["ns"]
