"""A private ``DOCKER_CONFIG`` holding the registry credentials, for the tools that talk to the
registry themselves (ko pushes, cosign pushes signatures): the credentials go to that registry's
host only, in a 0600 file inside a 0700 directory of the run's scratch space, never in argv."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

from kstasks.core import output
from kstasks.remote.registry import credentials_from_env


def private_docker_config(host: str, directory: Path) -> dict[str, str]:
    """Environment additions (``DOCKER_CONFIG``) giving ``host`` the KSTASKS_REGISTRY_* credentials,
    in a new directory below ``directory``; empty when no credentials are set."""
    credentials = credentials_from_env()
    if not credentials:
        return {}
    auth = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    output.add_secret(auth)
    private = Path(tempfile.mkdtemp(prefix="docker-config-", dir=directory))  # 0700, one per use
    descriptor = os.open(private / "config.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"auths": {host: {"auth": auth}}}, handle)
    return {"DOCKER_CONFIG": str(private)}
