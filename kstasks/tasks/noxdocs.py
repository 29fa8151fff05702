"""The bodies of the docs nox sessions (``serve-docs``, ``deploy-docs``), replacing Makefile.venv.

Each session's virtualenv is built from the checkout's ``docs/requirements.txt`` (nox reuses it
when the session is reused), then the docs script runs inside it with ``REMOTE`` / ``BRANCH``
taken from ``-- --remote R --branch B`` or, as ``make serve-docs REMOTE=...`` did, the environment.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kstasks.project import requirement

REQUIREMENTS = "docs/requirements.txt"
SCRIPTS = {"serve-docs": "docs/scripts/serve-docs.sh", "deploy-docs": "docs/scripts/deploy-docs.sh"}
USAGE = "nox -s {session} -- [--remote REMOTE] [--branch BRANCH]"


def docs_root(cwd: Path | None = None) -> Path:
    """The checkout whose docs to build: the bundled sample in this project, else the current directory."""
    here = (cwd or Path.cwd()).resolve()
    return here / "sample" if requirement.in_project(here) else here


def script_env(posargs: list[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``REMOTE`` and ``BRANCH`` for the docs scripts: posargs first, then the environment."""
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    parser.add_argument("--remote", default=env.get("REMOTE", ""))
    parser.add_argument("--branch", default=env.get("BRANCH", ""))
    try:
        args = parser.parse_args(posargs)
    except (argparse.ArgumentError, SystemExit) as err:
        raise ValueError(str(err)) from err
    return {"REMOTE": args.remote, "BRANCH": args.branch}


def run_docs_script(session: Any, name: str, root: Path | None = None) -> None:
    """Install ``docs/requirements.txt`` into the session, then run the ``name`` docs script in it."""
    checkout = root or docs_root()
    try:
        env = script_env(list(session.posargs))
    except ValueError as err:
        session.error(f"{err}; usage: {USAGE.format(session=name)}")
        return
    requirements, script = checkout / REQUIREMENTS, checkout / SCRIPTS[name]
    missing = [str(path) for path in (requirements, script) if not path.is_file()]
    if missing:
        session.error(f"{name} needs {' and '.join(missing)} (run it in a KubeStellar checkout)")
        return
    session.install("-r", str(requirements))
    if name == "serve-docs":
        env["VENV"] = str(session.bin)
    session.run("bash", str(script), env=env, external=True)


def serve_docs(session: Any) -> None:
    """Serve the docs locally with mike (make serve-docs)."""
    run_docs_script(session, "serve-docs")


def deploy_docs(session: Any) -> None:
    """Build and deploy the docs version with mike (make deploy-docs)."""
    run_docs_script(session, "deploy-docs")
