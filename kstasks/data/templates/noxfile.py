"""Nox sessions over kstasks (see `nox --list`; `nox -t ci -l --json` feeds a CI matrix).

Each session installs kstasks, non-editable, into its own virtualenv from KSTASKS_REQUIREMENT (an
index name such as kstasks==0.1.0, a wheel path or URL, or a git URL; default: where the kstasks
running nox came from) and runs one kstasks step on this checkout: `nox -s generate`,
`nox -s verify`, `nox -s tests`, `nox -s lint`.
"""

import nox

from kstasks.tasks import noxdocs, noxsessions

nox.options.sessions = ["verify"]
nox.options.reuse_venv = "yes"


@nox.session(tags=["codegen"])
def generate(session: nox.Session) -> None:
    """Regenerate every derived file (all-generated)."""
    noxsessions.generate(session)


@nox.session(tags=["verify", "ci"])
def verify(session: nox.Session) -> None:
    """Every check of CI's verify job (kstasks verify; its options after --)."""
    noxsessions.verify(session)


@nox.session(tags=["test", "ci"])
def tests(session: nox.Session) -> None:
    """The checkout's tests."""
    noxsessions.tests(session)


@nox.session(tags=["lint", "ci"])
def lint(session: nox.Session) -> None:
    """The checkout's linters."""
    noxsessions.lint(session)


@nox.session(tags=["publish"])
def publish(session: nox.Session) -> None:
    """Package and publish the release charts: -- --version X --registry oci://HOST/PATH."""
    noxsessions.publish(session)


@nox.session(name="serve-docs", tags=["docs"])
def serve_docs(session: nox.Session) -> None:
    """Serve the docs with mike in a virtualenv from docs/requirements.txt (make serve-docs)."""
    noxdocs.serve_docs(session)


@nox.session(name="deploy-docs", tags=["docs"])
def deploy_docs(session: nox.Session) -> None:
    """Deploy the docs with mike (make deploy-docs): -- [--remote R] [--branch B]."""
    noxdocs.deploy_docs(session)


@nox.session(tags=["release"])
def release(session: nox.Session) -> None:
    """The checkout's release (kstasks release; its arguments after --); kstasks' wheel in the project."""
    noxsessions.release(session)


if noxsessions.in_project():

    @nox.session(tags=["manual"])
    def docs(session: nox.Session) -> None:
        """Build kstasks' manual with mkdocs --strict (the kstasks project only)."""
        noxsessions.docs(session)
