"""``python -m kstasks``: the kstasks command."""

from kstasks.tasks.program import main

main()
