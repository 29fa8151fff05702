"""Signing a release with cosign, offline: images by digest and blobs (the checksums file).

Nothing goes to a transparency log (``--tlog-upload=false``); verifying accepts a signature
without one (``--insecure-ignore-tlog=true``), since the key is what is trusted. The password of
an encrypted private key comes from ``COSIGN_PASSWORD`` in the environment only (cosign reads
it there; it is never in an argument list). A registry over plain HTTP is allowed only when it
is this machine's loopback (the tests' registry).
"""

from __future__ import annotations

import os
from pathlib import Path

from kstasks.core import errors, output, runner
from kstasks.remote.network import is_loopback

_PRIVATE_MARKERS = ("PRIVATE KEY-----",)
_ENCRYPTED_MARKERS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")


def check_key(key: Path, *, private: bool) -> None:
    """Exit 2 unless ``key`` can be read and looks like a cosign key of that kind (before any work);
    an encrypted private key also needs COSIGN_PASSWORD in the environment."""
    what = "signing key" if private else "verification key"
    try:
        text = key.read_text(errors="replace")
    except OSError as err:
        raise errors.BadInput(
            f"the {what} {key} cannot be read ({err.strerror or err})",
            "Pass a cosign key file (cosign generate-key-pair writes cosign.key and cosign.pub).",
        ) from None
    if private and not any(marker in text for marker in _PRIVATE_MARKERS):
        raise errors.BadInput(f"the {what} {key} is not a private key", "Pass cosign.key (not cosign.pub).")
    if not private and "PUBLIC KEY-----" not in text:
        raise errors.BadInput(f"the {what} {key} is not a public key", "Pass cosign.pub (not cosign.key).")
    encrypted = any(marker in text for marker in _ENCRYPTED_MARKERS)
    if private and encrypted and "COSIGN_PASSWORD" not in os.environ:
        raise errors.BadInput(
            f"the {what} {key} is encrypted and COSIGN_PASSWORD is not set",
            "Set COSIGN_PASSWORD in the environment (in Actions: from a secret).",
        )
    password = os.environ.get("COSIGN_PASSWORD")
    if password:
        output.add_secret(password)


def registry_flags(reference: str) -> list[str]:
    """cosign's flags for plain HTTP, only for a registry on this machine's loopback."""
    host = reference.removeprefix("oci://").split("/", 1)[0]
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    return ["--allow-insecure-registry", "--allow-http-registry"] if is_loopback(host) else []


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # No prompt ever: cosign would ask for a password on a terminal, and for confirmations.
    return {"COSIGN_YES": "true", **(extra or {})}


def sign_blob(cosign: Path, key: Path, blob: Path) -> Path:
    """Sign ``blob`` with ``key``; the signature goes to ``<blob>.sig`` (base64, as cosign writes it)."""
    check_key(key, private=True)
    signature = blob.with_name(blob.name + ".sig")
    runner.run(
        [
            cosign,
            "sign-blob",
            "--key",
            key,
            "--tlog-upload=false",
            "--yes",
            "--output-signature",
            signature,
            blob,
        ],
        env=_env(),
        capture=True,
        what=f"cosign sign-blob {blob.name}",
        todo="Check the key and COSIGN_PASSWORD.",
    )
    if not signature.is_file() or not signature.read_bytes().strip():
        raise errors.StepFailed(f"cosign wrote no signature for {blob.name}", "See cosign's output above.")
    return signature


def sign_image(cosign: Path, key: Path, reference_with_digest: str, *, registry_env: dict[str, str]) -> None:
    """Sign the image ``repo@sha256:...`` with ``key``, pushing the signature next to it.

    ``registry_env`` holds what cosign needs to log in (``DOCKER_CONFIG``), as for the push."""
    if "@sha256:" not in reference_with_digest:
        raise errors.BadInput(
            f"{reference_with_digest} is not a reference by digest", "Sign images by digest, never by tag."
        )
    check_key(key, private=True)
    runner.run(
        [
            cosign,
            "sign",
            "--key",
            key,
            "--tlog-upload=false",
            "--yes",
            *registry_flags(reference_with_digest),
            reference_with_digest,
        ],
        env=_env(registry_env),
        capture=True,
        what=f"cosign sign {reference_with_digest}",
        todo="Check the key, COSIGN_PASSWORD and the registry login.",
    )


def verify_blob(cosign: Path, key: Path, blob: Path, signature: Path) -> str | None:
    """None when ``signature`` is ``key``'s signature of ``blob``; else the reason cosign gives."""
    result = runner.run(
        [cosign, "verify-blob", "--key", key, "--signature", signature, "--insecure-ignore-tlog=true", blob],
        env=_env(),
        capture=True,
        query=True,
        check=False,
    )
    return None if result.returncode == 0 else _reason(result.stderr)


def public_key(cosign: Path, key: Path, directory: Path) -> Path:
    """The public half of the private ``key`` (password from COSIGN_PASSWORD), written in ``directory``."""
    check_key(key, private=True)
    public = directory / "cosign-release.pub"
    runner.run(
        [cosign, "public-key", "--key", key, "--outfile", public],
        env=_env(),
        capture=True,
        what="cosign public-key",
        todo="Check the key and COSIGN_PASSWORD.",
    )
    return public


def keep_published_signature(
    cosign: Path, public: Path, blob: Path, signature: Path, published: bytes
) -> bool:
    """Adopt ``published`` as ``signature`` when it is ``public``'s valid signature of ``blob``.

    cosign's ECDSA signatures differ on every run, so a rerun's fresh signature would differ from
    the one a first (killed) run uploaded; a published signature that verifies is kept instead."""
    candidate = signature.with_name(signature.name + ".published")
    candidate.write_bytes(published)
    try:
        if verify_blob(cosign, public, blob, candidate) is not None:
            return False
        signature.write_bytes(published)
        return True
    finally:
        candidate.unlink(missing_ok=True)


def verify_image(
    cosign: Path, key: Path, reference: str, *, registry_env: dict[str, str] | None = None
) -> str | None:
    """None when ``reference`` carries a signature by ``key``; else the reason cosign gives."""
    result = runner.run(
        [
            cosign,
            "verify",
            "--key",
            key,
            "--insecure-ignore-tlog=true",
            *registry_flags(reference),
            "--output",
            "json",
            reference,
        ],
        env=_env(registry_env),
        capture=True,
        query=True,
        check=False,
    )
    return None if result.returncode == 0 else _reason(result.stderr)


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip().lower().startswith("error")]
    text = lines[-1] if lines else (stderr.strip().splitlines() or ["cosign refused it"])[-1]
    return text.removeprefix("Error: ").removeprefix("error: ")[:300]
