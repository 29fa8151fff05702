"""The few Go-template forms goreleaser's name templates use, rendered without Go.

Supported: ``{{ .Field }}`` (``.Env.NAME`` too), ``{{ with .Field }}text{{ . }}{{ end }}`` and
``{{ if not (eq .Field "value") }}...{{ end }}`` — what goreleaser's default archive name
template and KubeStellar's configs use. Anything else is refused with one line (exit 2), never
rendered wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kstasks.core import errors

_FIELD = re.compile(r"\{\{-?\s*\.([A-Za-z][A-Za-z0-9]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*-?\}\}")
_WITH = re.compile(r"\{\{-?\s*with\s+\.([A-Za-z0-9]+)\s*-?\}\}(.*?)\{\{-?\s*end\s*-?\}\}", re.S)
_IF_NOT_EQ = re.compile(
    r"\{\{-?\s*if\s+not\s+\(eq\s+\.([A-Za-z0-9]+)\s+\"([^\"]*)\"\)\s*-?\}\}(.*?)\{\{-?\s*end\s*-?\}\}", re.S
)
_DOT = re.compile(r"\{\{-?\s*\.\s*-?\}\}")


def render(
    template: str, fields: Mapping[str, str], env: Mapping[str, str] | None = None, *, what: str
) -> str:
    """``template`` with ``fields`` (and ``.Env.X`` from ``env``) filled in."""

    def field(name: str, sub: str | None = None) -> str:
        if name == "Env" and sub:
            return (env or {}).get(sub, "")
        if name not in fields:
            raise errors.BadInput(
                f"{what}: template field .{name} is not one kstasks knows ({template!r})",
                "Use .ProjectName, .Version, .Tag, .Os, .Arch, .Binary, .ArtifactName or .Env.NAME.",
            )
        return fields[name]

    text = _WITH.sub(lambda m: _DOT.sub(field(m.group(1)), m.group(2)) if field(m.group(1)) else "", template)
    text = _IF_NOT_EQ.sub(lambda m: m.group(3) if field(m.group(1)) != m.group(2) else "", text)
    text = _FIELD.sub(lambda m: field(m.group(1), m.group(2)), text)
    if "{{" in text:
        raise errors.BadInput(
            f"{what}: template {template!r} uses a form kstasks does not render",
            "Use plain fields ({{ .Version }}) in this name template.",
        )
    return text


def platform_fields(os_name: str, arch: str) -> dict[str, str]:
    """``.Os``, ``.Arch`` and the variant fields goreleaser sets for a Go target (GOAMD64 v1, GOARM 6)."""
    return {
        "Os": os_name,
        "Arch": arch,
        "Amd64": "v1" if arch == "amd64" else "",
        "Arm": "6" if arch == "arm" else "",
        "Arm64": "v8.0" if arch == "arm64" else "",
        "Mips": "hardfloat" if arch.startswith("mips") else "",
        "I386": "sse2" if arch == "386" else "",
        "Target": f"{os_name}_{arch}",
    }
