"""What replaces each KubeStellar v0.24.0 Makefile target and ``hack/`` file (kept as data)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

MAP_FILE = "makefile-v0.24.0.yaml"
RETIRED = "retired: "
NOX = "nox: "


@dataclass(frozen=True)
class Replacement:
    """One Makefile target or ``hack/`` file and what replaces it."""

    kind: str
    """``target`` or ``script``."""
    name: str
    tasks: tuple[str, ...] = ()
    nox_session: str = ""
    retired: str = ""
    """The one-line reason, for an entry dead in v0.24.0."""

    @property
    def label(self) -> str:
        """How the README's table names it: ``make <target>`` or the ``hack/`` path."""
        return f"make {self.name}" if self.kind == "target" else self.name


def _replacement(kind: str, name: str, value: str | list[str]) -> Replacement:
    if isinstance(value, list):
        return Replacement(kind, name, tasks=tuple(value))
    if value.startswith(RETIRED):
        return Replacement(kind, name, retired=value[len(RETIRED) :].strip())
    if value.startswith(NOX):
        return Replacement(kind, name, nox_session=value[len(NOX) :].strip())
    return Replacement(kind, name, tasks=(value,))


def load(text: str | None = None) -> list[Replacement]:
    """Every entry of the map, targets first, in file order."""
    import yaml

    if text is None:
        text = (resources.files("kstasks") / "data" / MAP_FILE).read_text()
    data = yaml.safe_load(text)
    return [
        _replacement(kind, str(name), value)
        for kind, section in (("target", "targets"), ("script", "scripts"))
        for name, value in (data.get(section) or {}).items()
    ]
