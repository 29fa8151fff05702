"""kstasks: KubeStellar's Makefile targets and hack scripts as tested Python tasks."""

__version__ = "0.1.0"
