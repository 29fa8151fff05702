"""Image references in chart templates evaluated against the chart's values, and archives listed
defensively (verify-release's readers), on archives made here."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from kstasks.release import chartimages, verifyplan

VALUES = {"KUBESTELLAR_VERSION": "0.30.0", "TRANSPORT_VERSION": "", "image": {"tag": "1.2.3"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ghcr.io/k/cm:{{ $.Values.KUBESTELLAR_VERSION }}", "ghcr.io/k/cm:0.30.0"),
        (
            "ghcr.io/k/otc:{{.Values.TRANSPORT_VERSION | default .Values.KUBESTELLAR_VERSION}}",
            "ghcr.io/k/otc:0.30.0",
        ),
        ('"ghcr.io/k/x:{{ .Values.image.tag }}"', "ghcr.io/k/x:1.2.3"),
        ('ghcr.io/k/y:{{ default "9.9.9" .Values.MISSING }}', "ghcr.io/k/y:9.9.9"),
        ("quay.io/brancz/kube-rbac-proxy:v0.20.2  # pinned", "quay.io/brancz/kube-rbac-proxy:v0.20.2"),
    ],
)
def test_template_expressions_are_evaluated(text: str, expected: str) -> None:
    assert chartimages.evaluate_reference(text, VALUES) == (expected, "")


@pytest.mark.parametrize("text", ["r:{{ .Values.NOPE }}", 'r:{{ include "name" . }}', "{{ $cp.image }}"])
def test_what_cannot_be_evaluated_is_said(text: str) -> None:
    reference, problem = chartimages.evaluate_reference(text, VALUES)
    assert reference is None and problem


def _tar(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return gzip.compress(raw.getvalue())


def test_images_in_a_packaged_chart_skip_nothing_silently() -> None:
    chart = _tar(
        {
            "c/values.yaml": b"KUBESTELLAR_VERSION: '0.30.0'\n",
            "c/templates/a.yaml": b"{{- range $x := .Values.WDSes }}\n"
            b"  image: r/cm:{{ $.Values.KUBESTELLAR_VERSION }}\n"
            b"  image: r/other:{{ $x.tag }}\n{{- end }}\n",
            "c/charts/dep/templates/b.yaml": b"image: dependency/image:1\n",
        }
    )
    found = chartimages.images_in_chart(chart)
    assert [(i.reference, bool(i.problem)) for i in found] == [("r/cm:0.30.0", False), (None, True)]


def test_archives_are_listed_without_extracting_and_escapes_are_refused() -> None:
    names, problems = verifyplan.archive_members(
        _tar({"bin/controller-manager": b"x", "../evil": b"y", "/abs": b"z"}, links=("bin/link",))
    )
    assert names == ["bin/controller-manager"]
    assert problems == [
        "member '../evil' points outside the archive",
        "member '/abs' points outside the archive",
        "member 'bin/link' is a link",
    ]
    assert verifyplan.archive_members(b"not an archive")[1][0].startswith("not a readable archive")


def test_a_chart_naming_the_moved_image_is_checked_as_the_releases_own() -> None:
    from kstasks.release.goreleaser.model import ExpectedArtifact
    from kstasks.remote.registry import Reference

    expected = [ExpectedArtifact("image", "ghcr.io/example/sample/manager:0.24.0", "linux/amd64", "manager")]
    registry = Reference.parse("127.0.0.1:5000/mirror", what="registry")
    own = verifyplan.own_repositories(expected, registry)
    assert own == {"ghcr.io/example/sample/manager", "127.0.0.1:5000/mirror/manager"}
    assert verifyplan.own_repositories(expected, None) == {"ghcr.io/example/sample/manager"}
