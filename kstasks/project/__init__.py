"""The target checkout: which directory, its settings (defaults, its own pins, invoke.yaml), its
license headers, snapshots and worktrees of it, and ``init``. Imports ``core`` and ``toolchain``.
"""
