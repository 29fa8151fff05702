"""Release signing with the pinned cosign, offline: images in the real loopback registry, blobs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kstasks.core import errors
from kstasks.project import settings
from kstasks.release import signing
from kstasks.toolchain import tools
from tests.oci import push_base_image

PASSWORD = "test-password-not-secret"


@pytest.fixture(scope="module")
def cosign() -> Path:
    return tools.Toolbox(settings.DEFAULTS["versions"]).ensure("cosign") / "cosign"


def make_key_pair(cosign: Path, directory: Path) -> tuple[Path, Path]:
    """``cosign generate-key-pair`` in ``directory`` (COSIGN_PASSWORD set); (private, public)."""
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COSIGN_PASSWORD": PASSWORD}
    subprocess.run(
        [str(cosign), "generate-key-pair"], cwd=directory, env=env, check=True, capture_output=True
    )
    return directory / "cosign.key", directory / "cosign.pub"


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSIGN_PASSWORD", PASSWORD)


@pytest.mark.tools
def test_a_signed_image_verifies_with_its_key_and_not_with_another(
    cosign: Path, registry: str, tmp_path: Path, password: None
) -> None:
    key, public = make_key_pair(cosign, tmp_path / "ours")
    _, other_public = make_key_pair(cosign, tmp_path / "theirs")
    digest = push_base_image(registry, "signing/image", "1.0.0", ("amd64", "arm64"))
    reference = f"{registry}/signing/image@{digest}"
    assert signing.verify_image(cosign, public, reference) is not None  # not signed yet
    signing.sign_image(cosign, key, reference, registry_env={})
    assert signing.verify_image(cosign, public, reference) is None
    assert signing.verify_image(cosign, public, f"{registry}/signing/image:1.0.0") is None
    refused = signing.verify_image(cosign, other_public, reference)
    assert refused is not None and "no matching signatures" in refused.lower()


@pytest.mark.tools
def test_a_signed_blob_verifies_and_a_changed_one_does_not(
    cosign: Path, tmp_path: Path, password: None
) -> None:
    key, public = make_key_pair(cosign, tmp_path / "ours")
    _, other_public = make_key_pair(cosign, tmp_path / "theirs")
    blob = tmp_path / "sample_0.30.0_checksums.txt"
    blob.write_text("0" * 64 + "  sample_0.30.0_linux_amd64.tar.gz\n")
    signature = signing.sign_blob(cosign, key, blob)
    assert signature == tmp_path / "sample_0.30.0_checksums.txt.sig"
    assert signing.verify_blob(cosign, public, blob, signature) is None
    assert signing.verify_blob(cosign, other_public, blob, signature) is not None
    blob.write_text("1" * 64 + "  sample_0.30.0_linux_amd64.tar.gz\n")
    assert signing.verify_blob(cosign, public, blob, signature) is not None


def test_a_key_that_cannot_be_read_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(errors.BadInput, match="cannot be read"):
        signing.check_key(tmp_path / "missing.key", private=True)
    encrypted = tmp_path / "cosign.key"
    encrypted.write_text(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nx\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    )
    monkeypatch.delenv("COSIGN_PASSWORD", raising=False)
    with pytest.raises(errors.BadInput, match="COSIGN_PASSWORD is not set"):
        signing.check_key(encrypted, private=True)
    with pytest.raises(errors.BadInput, match="not a public key"):
        signing.check_key(encrypted, private=False)
    with pytest.raises(errors.BadInput, match="not a reference by digest"):
        signing.sign_image(Path("cosign"), encrypted, "127.0.0.1:1/x:1.0", registry_env={})
    assert signing.registry_flags("ghcr.io/kubestellar/kubestellar/x@sha256:00") == []
    assert signing.registry_flags("127.0.0.1:5000/x@sha256:00") == [
        "--allow-insecure-registry",
        "--allow-http-registry",
    ]


@pytest.mark.tools
def test_a_rerun_keeps_a_published_signature_that_verifies_and_refuses_another_keys(
    cosign: Path, tmp_path: Path, password: None
) -> None:
    key, _ = make_key_pair(cosign, tmp_path / "ours")
    other_key, _ = make_key_pair(cosign, tmp_path / "theirs")
    blob = tmp_path / "dist" / "sample_0.30.0_checksums.txt"
    blob.parent.mkdir()
    blob.write_text("0" * 64 + "  sample_0.30.0_linux_amd64.tar.gz\n")
    first = signing.sign_blob(cosign, key, blob).read_bytes()
    second = signing.sign_blob(cosign, key, blob)
    assert second.read_bytes() != first, "cosign's signatures differ run to run: nothing to keep"
    public = signing.public_key(cosign, key, tmp_path)

    assert signing.keep_published_signature(cosign, public, blob, second, first)
    assert second.read_bytes() == first

    foreign = tmp_path / "foreign.sig"
    other_blob = tmp_path / "other" / blob.name
    other_blob.parent.mkdir()
    other_blob.write_bytes(blob.read_bytes())
    foreign.write_bytes(signing.sign_blob(cosign, other_key, other_blob).read_bytes())
    fresh = signing.sign_blob(cosign, key, blob).read_bytes()
    assert not signing.keep_published_signature(cosign, public, blob, second, foreign.read_bytes())
    assert second.read_bytes() == fresh
    assert [p.name for p in blob.parent.iterdir() if p.name.endswith(".published")] == []
