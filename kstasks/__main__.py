"""``python -m kstasks``: the kstasks command."""

from kstasks.cli import main

main()
