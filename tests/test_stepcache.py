"""Issue-18: per-step cache keys -- what each step's key covers, replay, corrupt and foreign
entries, the size bound (library level; the generators themselves in test_replay.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kstasks.checks import drift
from kstasks.codegen import gopkgs, stepcache, stepkeys
from kstasks.codegen.layout import ImportSettings, Layout
from kstasks.project import repo, settings
from kstasks.toolchain.tools import Toolbox
from tests.conftest import make_sample_repo

SETTINGS = {key: settings.defaults({})[key] for key in ("versions", "codegen", "imports")}
TYPES = "api/control/v1alpha1/types.go"
MAIN = "cmd/controller-manager/main.go"


@pytest.fixture
def cache(tmp_path: Path) -> stepcache.StepCache:
    return stepcache.StepCache(tmp_path / "verified", SETTINGS)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return make_sample_repo(tmp_path / "checkout")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


# --- import headers: what module resolution reads ---


def test_import_header_ends_with_the_imports() -> None:
    source = (
        '//go:build linux\n\n/* licence */\npackage x\n\nimport (\n\t"fmt"\n)\n\nfunc F() { fmt.Println() }\n'
    )
    assert gopkgs.import_header(source) == source.split("func")[0]
    single = 'package x\n\nimport "os"\n\nvar _ = os.Args\n'
    assert gopkgs.import_header(single) == 'package x\n\nimport "os"\n\n'
    # unsure: the whole file counts
    odd = 'package x\n/* a */\nimport "os"\n'
    assert gopkgs.import_header(odd) == odd
    unterminated = 'package x\nimport (\n\t"os"\n'
    assert gopkgs.import_header(unterminated) == unterminated


def test_headers_digest_covers_imports_constraints_names_and_module_files(sample: Path) -> None:
    before = gopkgs.headers_digest(sample)
    main = sample / MAIN
    _edit(main, 'fmt.Printf("CRD bundle', 'fmt.Printf("the CRD bundle')  # a body change
    assert gopkgs.headers_digest(sample) == before
    for change in (
        lambda: _edit(main, '"sort"\n', '"sort"\n\t"strings"\n'),  # an import
        lambda: _edit(main, "package main", "//go:build linux\n\npackage main"),  # a build constraint
        lambda: (sample / "pkg/crd/extra_linux.go").write_text("package crd\n"),  # a new file
        lambda: _edit(sample / "go.sum", "\n", "\n\n"),
        lambda: _edit(sample / "go.mod", "go 1.21", "go 1.21.0"),
    ):
        change()
        now = gopkgs.headers_digest(sample)
        assert now != before
        before = now


# --- keys: each step's key covers what it reads, and nothing else changes it ---


def _controller_gen_key(cache: stepcache.StepCache, root: Path) -> str:
    parts, outputs = stepkeys.controller_gen(
        cache, root, Layout(), ("rbac", "crd", "webhook", "object"), "v1"
    )
    assert parts is not None
    return cache.key("controller-gen", [*parts, ("outputs-before", outputs.digest(root))])


def _clients_key(cache: stepcache.StepCache, root: Path) -> str:
    parts, outputs = stepkeys.clients(cache, root, Layout(), "v0.28.2", "direct")
    assert parts is not None
    return cache.key("clients", [*parts, ("outputs-before", outputs.digest(root))])


def _bundle_key(cache: stepcache.StepCache, root: Path) -> str:
    parts, outputs = stepkeys.crd_bundle(root, Layout(), "v5")
    assert parts is not None
    return cache.key("crd-bundle", [*parts, ("outputs-before", outputs.digest(root))])


KEYS = {"controller-gen": _controller_gen_key, "clients": _clients_key, "crd-bundle": _bundle_key}
READS = {
    "controller-gen": [
        TYPES,
        "api/control/v1alpha1/zz_generated.deepcopy.go",
        "go.mod",
        "go.sum",
        "hack/boilerplate/boilerplate.go.txt",
        "config/crd/bases/control.kubestellar.io_bindings.yaml",  # its output's state before
        "config/rbac/role.yaml",
    ],
    "clients": [
        TYPES,
        "api/control/register.go",
        "go.mod",
        "go.sum",
        "hack/boilerplate/boilerplate.generatego.txt",
        "pkg/generated/listers/control/v1alpha1/binding.go",  # its output's state before
    ],
    "crd-bundle": [
        "config/crd/kustomization.yaml",
        "config/crd/patches/more_validations_in_bindingpolicies.yaml",
        "config/crd/bases/control.kubestellar.io_bindings.yaml",
        "pkg/crd/files/crds.yaml",
    ],
}
UNREAD = {
    "controller-gen": [
        MAIN,
        "pkg/crd/crd.go",
        "docs/README.md",
        "config/crd/patches/more_validations_in_bindingpolicies.yaml",
    ],
    "clients": [
        MAIN,
        "config/crd/bases/control.kubestellar.io_bindings.yaml",
        "config/rbac/role.yaml",
        "docs/README.md",
    ],
    "crd-bundle": [MAIN, TYPES, "pkg/generated/listers/control/v1alpha1/binding.go", "docs/README.md"],
}


@pytest.mark.parametrize("step", sorted(KEYS))
def test_a_change_to_what_a_step_reads_changes_its_key(
    cache: stepcache.StepCache, sample: Path, step: str
) -> None:
    key = KEYS[step]
    for relative in READS[step]:
        before = key(cache, sample)
        path = sample / relative
        path.write_bytes(path.read_bytes() + b"\n")
        assert key(cache, sample) != before, relative


@pytest.mark.parametrize("step", sorted(KEYS))
def test_a_change_to_what_a_step_does_not_read_keeps_its_key(
    cache: stepcache.StepCache, sample: Path, step: str
) -> None:
    key = KEYS[step]
    before = key(cache, sample)
    for relative in UNREAD[step]:
        path = sample / relative
        path.write_bytes(path.read_bytes() + b"\n// x\n")
    assert key(cache, sample) == before


def test_a_local_package_the_api_imports_is_read(cache: stepcache.StepCache, sample: Path) -> None:
    (sample / "pkg/apiutil").mkdir()
    (sample / "pkg/apiutil/util.go").write_text("package apiutil\n\n// Max is a limit.\nconst Max = 64\n")
    _edit(
        sample / "api/control/v1alpha1/doc.go",
        "package v1alpha1",
        'package v1alpha1\n\nimport _ "example.com/kssample/pkg/apiutil"',
    )
    for key in (_controller_gen_key, _clients_key):
        before = key(cache, sample)
        _edit(sample / "pkg/apiutil/util.go", "64", "65")
        assert key(cache, sample) != before
        _edit(sample / "pkg/apiutil/util.go", "65", "64")


def test_settings_tools_go_environment_and_kstasks_count(
    tmp_path: Path, sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def key(config: dict[str, object]) -> str:
        return _controller_gen_key(stepcache.StepCache(tmp_path / "v", config), sample)

    before = key(SETTINGS)
    assert key({**SETTINGS, "versions": {**SETTINGS["versions"], "controller_tools": "v0.14.0"}}) != before
    assert key({**SETTINGS, "imports": {**SETTINGS["imports"], "intermediates": []}}) != before
    monkeypatch.setenv("GOFLAGS", "-tags=extra")
    assert key(SETTINGS) != before
    monkeypatch.delenv("GOFLAGS")
    monkeypatch.setattr(stepcache, "__version__", "9.9.9")
    assert key(SETTINGS) != before


def test_a_kustomization_reaching_outside_is_not_keyed(sample: Path) -> None:
    _edit(sample / "config/crd/kustomization.yaml", "resources:", "resources:\n- ../extra")
    assert stepkeys.crd_bundle(sample, Layout(), "v5")[0] is None
    assert stepkeys.crd_bundle(sample, Layout(crd_bundle_mode="copy"), "")[0] is None


# --- running, replaying, recording ---


def _writer(root: Path, files: dict[str, str], counter: list[int]) -> object:
    def run() -> None:
        counter.append(1)
        for relative, text in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text)

    return run


def test_a_hit_replays_the_outputs_and_deletes_what_the_step_deleted(
    cache: stepcache.StepCache, tmp_path: Path
) -> None:
    outputs = stepcache.Outputs(dirs=("out",))
    runs: list[int] = []
    first = tmp_path / "first"
    (first / "out").mkdir(parents=True)
    (first / "out" / "stale.txt").write_text("old")

    def step(root: Path) -> object:
        def run() -> None:
            runs.append(1)
            (root / "out" / "stale.txt").unlink()
            (root / "out" / "made.txt").write_text("made")

        return run

    assert cache.run("gen", [("input", "a")], outputs, first, step(first))
    second = tmp_path / "second"
    (second / "out").mkdir(parents=True)
    (second / "out" / "stale.txt").write_text("old")
    assert not cache.run("gen", [("input", "a")], outputs, second, step(second))
    assert runs == [1]
    assert sorted(p.name for p in (second / "out").iterdir()) == ["made.txt"]
    # another starting state of the outputs is another key: the step runs
    third = tmp_path / "third"
    (third / "out").mkdir(parents=True)
    (third / "out" / "stale.txt").write_text("other")
    assert cache.run("gen", [("input", "a")], outputs, third, step(third))
    assert cache.ran[-1].startswith("gen: ran")


def test_a_step_writing_outside_its_outputs_is_not_recorded(
    cache: stepcache.StepCache, tmp_path: Path
) -> None:
    runs: list[int] = []
    outputs = stepcache.Outputs(dirs=("out",))
    for _ in range(2):
        assert cache.run(
            "gen", [("input", "a")], outputs, tmp_path, _writer(tmp_path, {"elsewhere.txt": "x"}, runs)
        )
    assert len(runs) == 2
    assert not (cache.directory / "steps").exists() or not list((cache.directory / "steps").iterdir())


def _record_one(cache: stepcache.StepCache, root: Path) -> Path:
    runs: list[int] = []
    cache.run(
        "gen",
        [("input", "a")],
        stepcache.Outputs(dirs=("out",)),
        root,
        _writer(root, {"out/f": "right"}, runs),
    )
    (entry,) = (cache.directory / "steps").iterdir()
    return entry


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "empty"])
def test_a_corrupt_entry_is_a_miss_never_a_replay(
    cache: stepcache.StepCache, tmp_path: Path, damage: str
) -> None:
    entry = _record_one(cache, tmp_path / "a")
    raw = entry.read_bytes()
    entry.write_bytes(
        {
            "garbage": b"not an entry",
            "truncated": raw[: len(raw) // 2],
            "flipped": raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:],
            "empty": b"",
        }[damage]
    )
    root = tmp_path / "b"
    runs: list[int] = []
    ran = cache.run(
        "gen",
        [("input", "a")],
        stepcache.Outputs(dirs=("out",)),
        root,
        _writer(root, {"out/f": "right"}, runs),
    )
    assert ran and runs == [1]
    assert (root / "out/f").read_text() == "right"


def test_a_foreign_entry_is_a_miss(cache: stepcache.StepCache, tmp_path: Path) -> None:
    """An intact entry recorded for another key (copied under this key's name: a CI cache from
    elsewhere, a collision of names) is not replayed."""
    entry = _record_one(cache, tmp_path / "a")
    other_key = cache.key(
        "gen", [("input", "b"), ("outputs-before", stepcache.Outputs(dirs=("out",)).digest(tmp_path / "b"))]
    )
    entry.rename(entry.with_name(f"{other_key}.z"))
    root = tmp_path / "b"
    runs: list[int] = []
    writer = _writer(root, {"out/f": "for b"}, runs)
    assert cache.run("gen", [("input", "b")], stepcache.Outputs(dirs=("out",)), root, writer)
    assert runs == [1] and (root / "out/f").read_text() == "for b"
    # an entry of another format (an older kstasks) is a miss too
    entry = next((cache.directory / "steps").iterdir())
    entry.write_bytes(entry.read_bytes().replace(b"kstasks-step-cache-1", b"kstasks-step-cache-0", 1))
    assert cache.lookup("gen", entry.stem) is None


def test_the_size_bound_evicts_the_oldest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "verified"
    (directory / "steps").mkdir(parents=True)
    for index in range(5):
        path = directory / "steps" / f"{index}.z"
        path.write_bytes(b"x" * 1000)
        os.utime(path, ns=(index * 10**9, index * 10**9))
    removed = stepcache.evict(directory, 2500)
    assert [p.name for p in removed] == ["0.z", "1.z", "2.z"]
    assert sorted(p.name for p in (directory / "steps").iterdir()) == ["3.z", "4.z"]
    monkeypatch.setenv("KSTASKS_CACHE_MAX_MB", "0.001")
    assert stepcache.max_bytes() == 1048


def test_a_hit_makes_an_entry_young_again(cache: stepcache.StepCache, tmp_path: Path) -> None:
    entry = _record_one(cache, tmp_path / "a")
    os.utime(entry, ns=(0, 0))
    assert cache.lookup("gen", entry.stem) is not None
    assert entry.stat().st_mtime_ns > 0


def test_corrupt_file_verdicts_are_forgotten(cache: stepcache.StepCache) -> None:
    verdicts = stepcache.FileVerdicts(cache, "imports", [("rules", "r")])
    verdicts.add(["abc"])
    verdicts.save()
    assert stepcache.FileVerdicts(cache, "imports", [("rules", "r")]).is_clean("abc")
    assert not stepcache.FileVerdicts(cache, "imports", [("rules", "other")]).is_clean("abc")
    verdicts.path.write_text("{ not json")
    assert not stepcache.FileVerdicts(cache, "imports", [("rules", "r")]).is_clean("abc")
    verdicts.path.write_text(json.dumps({"format": stepcache.FORMAT, "key": "another", "clean": {"abc": 1}}))
    assert not stepcache.FileVerdicts(cache, "imports", [("rules", "r")]).is_clean("abc")


# --- the per-file import check and the module check (no generators needed) ---


def test_verify_imports_checks_only_files_not_seen_in_order(cache: stepcache.StepCache, sample: Path) -> None:
    checkout = repo.load_checkout(sample)
    imports = ImportSettings()
    box = Toolbox(dict(SETTINGS["versions"]))
    drift.verify_imports(sample, checkout, imports, box, cache=cache)
    assert cache.ran[-1].startswith("verify-imports: ran on")
    drift.verify_imports(sample, checkout, imports, box, cache=cache)
    assert cache.ran[-1].startswith("verify-imports: replayed")
    # a read change: one file's imports out of order -> checked, and the verdict changes
    _edit(sample / MAIN, '\t"fmt"\n\t"os"\n', '\t"os"\n\t"fmt"\n')
    with pytest.raises(drift.errors.CheckFailed):
        drift.verify_imports(sample, checkout, imports, box, cache=cache)
    assert cache.ran[-1] == f"verify-imports: ran on 1 of {len(gopkgs.go_files(sample))} files"
    with pytest.raises(drift.errors.CheckFailed):  # a failure is never remembered
        drift.verify_imports(sample, checkout, imports, box, cache=cache)


@pytest.mark.tools
def test_verify_modules_reruns_on_what_tidy_reads(cache: stepcache.StepCache, sample: Path) -> None:
    assert drift.verify_modules(sample, cache=cache) == ""
    assert cache.ran[-1] == "modules: ran"
    _edit(sample / MAIN, 'fmt.Printf("CRD bundle', 'fmt.Printf("the CRD bundle')  # not read: a body
    drift.verify_modules(sample, cache=cache)
    assert cache.ran[-1].startswith("modules: replayed")
    # read: go.mod marks a direct requirement indirect; tidy changes it, the verdict changes
    _edit(sample / "go.mod", "k8s.io/client-go v0.28.11\n", "k8s.io/client-go v0.28.11 // indirect\n")
    with pytest.raises(drift.errors.CheckFailed):
        drift.verify_modules(sample, cache=cache)
    assert cache.ran[-1] == "modules: ran"


@pytest.mark.tools
def test_all_generated_replays_unchanged_steps_with_the_bytes_of_a_forced_run(
    sample: Path, tmp_path: Path
) -> None:
    from kstasks.toolchain import tools
    from tests.conftest import kstasks, tree_digest

    env = {
        "KSTASKS_REPO": str(sample),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "INVOKE_KSTASKS_TOOLS_DIR": str(tools.default_tools_dir()),
    }
    first = kstasks("all-generated", cwd=sample, env=env)
    assert first.returncode == 0, first.stderr
    assert "cache: controller-gen: ran" in first.stderr
    # not read by any generator: every generator step is replayed
    _edit(sample / MAIN, 'fmt.Printf("CRD bundle', 'fmt.Printf("the CRD bundle')
    # read by the clients only: its header
    _edit(sample / "hack/boilerplate/boilerplate.generatego.txt", "Licensed under", "Licensed to you under")
    second = kstasks("all-generated", cwd=sample, env=env)
    assert second.returncode == 0, second.stderr
    for step in ("controller-gen", "crd-bundle"):
        assert f"cache: {step}: replayed" in second.stderr
    assert "cache: clients: ran" in second.stderr
    replayed = tree_digest(sample)
    forced = kstasks("all-generated", "--force", cwd=sample, env=env)
    assert forced.returncode == 0 and "cache:" not in forced.stderr, forced.stderr
    assert tree_digest(sample) == replayed
    assert (
        "Licensed to you under" in (sample / "pkg/generated/listers/control/v1alpha1/binding.go").read_text()
    )
