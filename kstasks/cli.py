"""The ``kstasks`` command: the same tasks and options as ``invoke``, from any directory."""

from __future__ import annotations

from pathlib import Path

from invoke import Program

from kstasks import __version__

CONFIG_NAMES = ("invoke.yaml", "invoke.yml", "invoke.json")


def find_project_config(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding an invoke.yaml (or .yml/.json)."""
    for directory in (start, *start.parents):
        if any((directory / name).is_file() for name in CONFIG_NAMES):
            return directory
    return None


class KstasksProgram(Program):
    """An Invoke program with the kstasks namespace built in, reading the nearest invoke.yaml."""

    def parse_collection(self) -> None:
        """Use the built-in namespace, and load project config as ``invoke`` would."""
        super().parse_collection()
        project = find_project_config(Path.cwd())
        if project is not None:
            self.config.set_project_location(str(project))
            self.config.load_project()


def main() -> None:
    """Console entry point."""
    from kstasks.tasks import ns

    KstasksProgram(name="kstasks", binary="kstasks", namespace=ns, version=__version__).run()
