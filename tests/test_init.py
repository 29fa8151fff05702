"""init on a checkout: what it writes passes the checkout's own checks."""

from __future__ import annotations

from pathlib import Path

from kstasks.checks import boilerplate
from kstasks.core.errors import KstasksError
from kstasks.project import scaffold

PY_HEADER = """# Copyright YEAR The KubeStellar Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
"""


def test_files_init_writes_carry_the_checkouts_license_header(sample_repo: Path) -> None:
    (sample_repo / "hack" / "boilerplate" / "boilerplate.py.txt").write_text(PY_HEADER)
    written = scaffold.init_checkout(sample_repo)
    python_files = [path for path in written if path.suffix == ".py"]
    assert {path.name for path in python_files} == {"tasks.py", "noxfile.py"}
    assert boilerplate.check_tree(sample_repo) == []
    workflow = next(path for path in written if path.suffix == ".yaml")
    assert not workflow.read_text().startswith("# Copyright")  # no yaml template: left as it is


def test_without_a_template_the_files_are_written_as_they_are(sample_repo: Path) -> None:
    written = scaffold.init_checkout(sample_repo)
    tasks_py = next(path for path in written if path.name == "tasks.py")
    assert tasks_py.read_text() == scaffold.template("tasks.py")


def test_a_file_in_the_way_stops_init_before_it_writes_anything(sample_repo: Path) -> None:
    import pytest

    (sample_repo / ".github").write_text("not a directory\n")
    with pytest.raises(KstasksError) as caught:
        scaffold.init_checkout(sample_repo)
    assert caught.value.code == 2
    assert not (sample_repo / "tasks.py").exists() and not (sample_repo / "noxfile.py").exists()
