"""The bundled sample and its variants (``sample-variants/``) as fresh git repositories."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from tests.servers import git

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample"
VARIANTS = PROJECT / "sample-variants"


def variant_names() -> list[str]:
    """The variants there are, by directory name (``v0.30`` …)."""
    return sorted(path.name for path in VARIANTS.iterdir() if (path / "variant.yaml").is_file())


def lay_variant(dest: Path, variant: str) -> None:
    """Reshape a copy of the sample at ``dest`` into ``variant`` (removals, go line, overlay)."""
    source = VARIANTS / variant
    recipe = yaml.safe_load((source / "variant.yaml").read_text())
    for relative in recipe.get("remove", []):
        target = dest / relative
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    if recipe.get("go"):
        go_mod = dest / "go.mod"
        go_mod.write_text(re.sub(r"^go .*$", f"go {recipe['go']}", go_mod.read_text(), count=1, flags=re.M))
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or relative.as_posix() == "variant.yaml":
            continue
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / relative)


def make_variant_repo(dest: Path, variant: str, *, tag: str | None = None) -> Path:
    """A copy of the sample reshaped as ``variant`` at ``dest``, a git repository with one commit
    (tagged ``tag`` when given)."""
    shutil.copytree(SAMPLE, dest)
    lay_variant(dest, variant)
    git(dest, "init", "--quiet", "--initial-branch=main")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", f"sample, {variant}-shaped")
    if tag:
        git(dest, "tag", tag)
    return dest
