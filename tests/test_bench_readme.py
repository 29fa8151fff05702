"""README.md's results table (bench/readme.py): rendered from a results file, rewritten in place
between its markers, idempotent, and nothing else of README.md touched. No tools needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PROJECT


def _readme_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kstasks_bench_readme", PROJECT / "bench" / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


readme = _readme_module()


def _row(task: str, checkout: str, baseline: float | None, ours: float) -> dict[str, object]:
    return {
        "task": task,
        "checkout": checkout,
        "baseline_median_s": baseline,
        "kstasks_median_s": ours,
        "ratio": ours / baseline if baseline else None,
        "runs": 3,
        "cores": 2,
    }


RESULTS = {
    "cores": 2,
    "rows": [
        _row("all-generated", "kubestellar-v0.30.0", 13.0, 6.5),
        _row("kstasks --list", "sample", None, 0.4),
        _row("all-generated", "sample, v0.30 variant", 12.0, 8.0),
        _row("all-generated (rerun, nothing changed)", "sample", 13.5, 0.5),
        _row("all-generated", "sample", 14.0, 4.2),
    ],
}

TEXT = "# Title\n\nintro\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\n## Layout\n\nrest\n"


def test_block_renders_the_main_cases_in_order() -> None:
    block = readme.render(RESULTS)
    lines = block.splitlines()
    assert lines[0] == readme.START and lines[-1] == readme.END
    rows = [line for line in lines if line.startswith("| `")]
    assert rows == [
        "| `all-generated --force` | sample | 14.0 s | 4.2 s | 0.30 | 3 | 2 |",
        "| `all-generated`, nothing changed | sample | 13.5 s | 0.50 s | 0.04 | 3 | 2 |",
        "| `all-generated --force` | sample, v0.30 variant | 12.0 s | 8.0 s | 0.67 | 3 | 2 |",
        "| `all-generated --force` | kubestellar-v0.30.0 | 13.0 s | 6.5 s | 0.50 | 3 | 2 |",
    ]
    assert "--list" not in block  # no baseline: not a comparison


def test_rewrite_replaces_only_the_block_and_is_idempotent() -> None:
    once = readme.rewrite(TEXT, readme.render(RESULTS))
    assert once == readme.rewrite(once, readme.render(RESULTS))
    before, after = TEXT.split(readme.START)[0], TEXT.split(readme.END)[1]
    assert once.startswith(before) and once.endswith(after)
    assert "old table" not in once and "| 14.0 s |" in once


def test_write_readme_changes_the_file_once(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(TEXT)
    results = json.loads(json.dumps(RESULTS))  # as read back from latest.json
    assert readme.write_readme(path, results) is True
    written = path.read_text()
    assert readme.write_readme(path, results) is False
    assert path.read_text() == written


def test_no_results_and_no_markers() -> None:
    assert "(no results yet)" in readme.render({"rows": []})
    with pytest.raises(ValueError, match="bench:start"):
        readme.rewrite("# no block\n", readme.render(RESULTS))


def test_project_readme_has_one_block() -> None:
    text = (PROJECT / "README.md").read_text()
    assert text.count(readme.START) == 1 and text.count(readme.END) == 1
    assert text.index(readme.START) < text.index(readme.END)
