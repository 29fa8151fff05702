"""The fault matrix: every task that talks to the network, run as a real process against every
hostile server behaviour of tests/faults.py, each cell asserting the exit code, the one-line
message, that no credential leaked (to the output or to another host) and a bound on the time
to that error.

Cells are columns x rows. A column is a task invocation (:class:`Column`) and the kind of server
it talks to first ("registry" or "github"); a row is a behaviour of :data:`tests.faults.BEHAVIOURS`
(plus "refused": nothing listens). The expected outcome of each row for a kind is in
:data:`EXPECT`. The time bound of a cell is 1.5 times the column's start-up time (its "refused"
cell, which waits for nothing) plus 1.5 network deadlines plus 1.5 s: whatever the server does,
the whole operation gives up after about one deadline, never deadlines x retries x requests.
Every process runs with ``KSTASKS_NETWORK_DEADLINE`` = :data:`tests.faults.DEADLINE` (2 s).

Adding a task is one entry in :data:`COLUMNS`::

    Column("verify-release", ("0.25.0", "--registry", "{server}/x"), "registry", "charts_checkout"),

``{server}`` stands for the misbehaving server's ``host:port``, ``{url}`` for
``http://host:port``, ``{source}`` for a local clusteradm-like Go source, ``{registry}`` for the
real loopback registry (a column whose server under test comes second), ``{refused}`` for an
address where nothing listens; ``env`` adds variables (e.g. ``GITHUB_API_URL``). The fourth field
names the fixture giving the working directory (add one for a task needing another). A task that
goes on without a host that cannot be asked (``verify-versions --published``) sets
``says="warning:"``: its cells assert the one warning naming the server, and no error. ``release``
asks its registries and the GitHub API before its build, so its cells take seconds. A task whose
messages differ from its kind's passes ``expect={"row": (exit code, regex)}`` for those rows; a
task talking to another kind of server adds a table to :data:`EXPECT`. A new behaviour is one
entry in ``BEHAVIOURS`` and one expectation per kind.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import kstasks, make_cli_source, make_sample_repo
from tests.faults import BEHAVIOURS, DEADLINE, OTHER_HOST, refused_address, serve

pytestmark = pytest.mark.tools

SECRET = "s3cr3t-registry-pass"
TOKEN = "ghp_faultmatrixtoken0123456789"


@dataclass(frozen=True)
class Column:
    task: str
    args: tuple[str, ...]
    kind: str
    workdir: str
    """Fixture giving the working directory: "charts_checkout", "release_checkout" (the v0.30
    variant, tagged v0.30.0) or "tool_workdir"."""
    expect: dict[str, tuple[int, str]] = field(default_factory=dict)
    env: tuple[tuple[str, str], ...] = ()
    """Extra environment, formatted like ``args``."""
    name: str = ""
    """The column's test id when ``task[kind]`` does not tell it from another."""
    says: str = "error:"
    """The prefix of the one line that names the fault ("warning:" for a task that goes on
    without the host: then the one warning naming the misbehaving server)."""


HOST = r"127\.0\.0\.1:\d+"
MARKER = rf"http://{HOST}/release/stable\.txt"
EXPECT: dict[str, dict[str, tuple[int, str]]] = {
    "registry": {
        "refused": (2, rf"registry {HOST} is unreachable"),
        "drip-body-http1.0": (1, rf"registry {HOST} gave no complete answer within 2s"),
        "drip-body-http1.1": (1, rf"registry {HOST} gave no complete answer within 2s"),
        "drip-body-close-delimited": (1, rf"registry {HOST} gave no complete answer within 2s"),
        "drip-body-chunked": (1, rf"registry {HOST} gave no complete answer within 2s"),
        "drip-headers": (1, rf"registry {HOST} gave no complete answer within 2s"),
        "truncated": (1, rf"registry {HOST}: the answer broke off"),
        "oversized": (2, rf"{HOST} did not answer as an OCI registry \(an answer larger than"),
        "not-http": (2, rf"{HOST} did not answer as an OCI registry \(the server's answer is not HTTP\)"),
        "5xx-storm": (1, rf"registry {HOST} answered HTTP 503"),
        "429-huge-retry-after": (
            1,
            rf"registry {HOST} answered HTTP 429 .*\(it asks to wait 99999999999999s\)",
        ),
        "redirect-loop": (1, rf"registry {HOST} redirects without end"),
        "slow-redirects-then-5xx": (1, rf"registry {HOST} gave no complete answer within 2s"),
        "redirect-to-file": (
            2,
            rf"registry {HOST} redirected GET /v2/ to file:///etc/passwd, not an http\(s\) URL",
        ),
        "redirect-to-other-host": (2, rf"registry {HOST} refused access"),
        "challenge-from-other-host": (2, r"another origin without HTTPS; nothing was sent there"),
        "deeply-nested-json": (2, rf"{HOST} sent JSON nested too deeply"),
    },
    "github": {
        "refused": (2, rf"the GitHub API at http://{HOST} is unreachable"),
        "drip-body-http1.0": (1, r"gave no complete answer within 2s"),
        "drip-body-http1.1": (1, r"gave no complete answer within 2s"),
        "drip-body-close-delimited": (1, r"gave no complete answer within 2s"),
        "drip-body-chunked": (1, r"gave no complete answer within 2s"),
        "drip-headers": (1, r"gave no complete answer within 2s"),
        "truncated": (1, r"the GitHub API kept failing \(the answer broke off"),
        "oversized": (2, rf"http://{HOST} is not a GitHub API \(an answer larger than"),
        "not-http": (2, rf"http://{HOST} is not a GitHub API \(the server's answer is not HTTP\)"),
        "5xx-storm": (1, r"the GitHub API kept failing \(HTTP 503"),
        "429-huge-retry-after": (2, r"the GitHub API rate limit is reached \(it resets in 99999999999999s\)"),
        "redirect-loop": (1, r"the GitHub API at .* redirects without end"),
        "slow-redirects-then-5xx": (1, r"gave no complete answer within 2s"),
        "redirect-to-file": (2, r"redirected .* to file:///etc/passwd, not an http\(s\) URL"),
        "redirect-to-other-host": (
            2,
            r"redirected .* to http://localhost:\d+/elsewhere, another host; not followed",
        ),
        "challenge-from-other-host": (2, r"the GitHub API refused .* \(HTTP 401\)"),
        "deeply-nested-json": (2, r"answered with JSON nested too deeply"),
    },
    "releases": {  # kstasks.remote.releases: release and verify-release with a goreleaser config
        "refused": (1, rf"the GitHub API kept failing \(ConnectionRefusedError talking to http://{HOST}/"),
        "drip-body-http1.0": (1, r"the GitHub API gave no complete answer within 2s"),
        "drip-body-http1.1": (1, r"the GitHub API gave no complete answer within 2s"),
        "drip-body-close-delimited": (1, r"the GitHub API gave no complete answer within 2s"),
        "drip-body-chunked": (1, r"the GitHub API gave no complete answer within 2s"),
        "drip-headers": (1, r"the GitHub API gave no complete answer within 2s"),
        "truncated": (1, r"the GitHub API kept failing \(the answer broke off"),
        "oversized": (2, rf"http://{HOST}/\S+ is not a GitHub API \(an answer larger than"),
        "not-http": (2, rf"http://{HOST}/\S+ is not a GitHub API \(the server's answer is not HTTP\)"),
        "5xx-storm": (1, r"the GitHub API (gave no complete answer within 2s|kept failing \(HTTP 503)"),
        "429-huge-retry-after": (1, r"the GitHub API answered HTTP 429"),
        "redirect-loop": (1, r"the GitHub API answered HTTP 302"),
        "slow-redirects-then-5xx": (1, r"the GitHub API answered HTTP 302"),
        "redirect-to-file": (1, r"the GitHub API answered HTTP 302"),
        "redirect-to-other-host": (1, r"the GitHub API answered HTTP 307"),
        "challenge-from-other-host": (2, r"the GitHub API refused GET \S+ \(HTTP 401\)"),
        "deeply-nested-json": (2, r"answered with something that is not JSON"),
    },
    "published": {  # verify-versions --published: a host that cannot be asked is one warning
        "refused": (0, rf"{HOST} cannot be asked \(ConnectionRefusedError"),
        "drip-body-http1.0": (0, rf"{HOST} cannot be asked \(no complete answer within 2s"),
        "drip-body-http1.1": (0, rf"{HOST} cannot be asked \(no complete answer within 2s"),
        "drip-body-close-delimited": (0, rf"{HOST} cannot be asked \(no complete answer within 2s"),
        "drip-body-chunked": (0, rf"{HOST} cannot be asked \(no complete answer within 2s"),
        "drip-headers": (0, rf"{HOST} cannot be asked \(no complete answer within 2s"),
        "truncated": (0, rf"{HOST} cannot be asked \(the answer broke off"),
        "oversized": (0, rf"{HOST} cannot be asked \(an answer larger than"),
        "not-http": (0, rf"{HOST} cannot be asked \(the server's answer is not HTTP"),
        "5xx-storm": (0, rf"{HOST} cannot be asked \(HTTP 503"),
        "429-huge-retry-after": (0, rf"{HOST} cannot be asked \(HTTP 429"),
        "redirect-loop": (0, rf"{HOST} cannot be asked \(HTTP 302"),
        "slow-redirects-then-5xx": (0, rf"{HOST} cannot be asked \(HTTP 302"),
        "redirect-to-file": (0, rf"{HOST} cannot be asked \(HTTP 302"),
        "redirect-to-other-host": (0, rf"{HOST} cannot be asked \(HTTP 307"),
        "challenge-from-other-host": (0, rf"{HOST} cannot be asked \(HTTP 401"),
        "deeply-nested-json": (0, rf"{HOST} cannot be asked \(JSON nested too deeply"),
    },
    "marker": {
        "refused": (1, rf"could not read {MARKER}: ConnectionRefusedError"),
        "drip-body-http1.0": (1, rf"no answer from {MARKER} within 2s"),
        "drip-body-http1.1": (1, rf"no answer from {MARKER} within 2s"),
        "drip-body-close-delimited": (1, rf"no answer from {MARKER} within 2s"),
        "drip-body-chunked": (1, rf"no answer from {MARKER} within 2s"),
        "drip-headers": (1, rf"no answer from {MARKER} within 2s"),
        "truncated": (1, rf"could not read {MARKER}: the answer broke off"),
        "oversized": (1, rf"could not read {MARKER}: an answer larger than"),
        "not-http": (1, rf"could not read {MARKER}: the server's answer is not HTTP"),
        "5xx-storm": (1, rf"could not read {MARKER}: HTTP 503"),
        "429-huge-retry-after": (1, rf"could not read {MARKER}: HTTP 429"),
        "redirect-loop": (1, rf"{MARKER} redirects without end"),
        "slow-redirects-then-5xx": (1, rf"no answer from {MARKER} within 2s"),
        "redirect-to-file": (1, rf"{MARKER} redirected to file:///etc/passwd, not an http\(s\) URL"),
        "redirect-to-other-host": (1, rf"could not read {MARKER}: HTTP 401"),
        "challenge-from-other-host": (1, rf"could not read {MARKER}: HTTP 401"),
        "deeply-nested-json": (1, rf"{MARKER} is not a release marker \(too long\)"),
    },
}
PUBLISHED_REGISTRY = {
    row: (0, rf"cannot be asked \(.*{message}") for row, (_, message) in EXPECT["registry"].items()
}
PUBLISHED_REGISTRY["redirect-to-file"] = (0, r"redirected GET /v2/\S+ to file:///etc/passwd, not an http")
"""verify-versions --published --registry: the registry client's message, in the one warning."""
PUBLISHED_GOPROXY = {
    "deeply-nested-json": (0, rf"{HOST} cannot be asked \(an answer that is not a module proxy's")
}

COLUMNS = (
    Column(
        "publish-charts",
        ("--version", "0.25.0", "--registry", "oci://{server}/x"),
        "registry",
        "charts_checkout",
    ),
    Column(
        "publish-images",
        ("--version", "0.25.0", "--registry", "{server}/x", "--platform", "linux/amd64"),
        "registry",
        "charts_checkout",
    ),
    Column("verify-release", ("0.25.0", "--registry", "{server}/x"), "registry", "charts_checkout"),
    Column(
        "build-clusteradm-image",
        (
            "--version",
            "0.8.2",
            "--registry",
            "{server}/x",
            "--platform",
            "linux/amd64",
            "--source",
            "{source}",
        ),
        "registry",
        "tool_workdir",
    ),
    Column(
        "build-clusteradm-image",
        (
            "--api-url",
            "{url}",
            "--registry",
            "127.0.0.1:1/x",
            "--platform",
            "linux/amd64",
            "--source",
            "{source}",
        ),
        "github",
        "tool_workdir",
    ),
    Column(
        "build-kubectl-image",
        ("--marker-url", "{url}/release", "--registry", "127.0.0.1:1/x", "--platform", "linux/amd64"),
        "marker",
        "tool_workdir",
    ),
    # release asks every registry and the GitHub API before its (slow) build, so these cells
    # stop within one deadline without building
    Column(
        "release",
        ("0.30.0", "--registry", "{server}/x", "--no-dispatch"),
        "registry",
        "release_checkout",
        env=(("GITHUB_API_URL", "http://{refused}"),),
    ),
    Column(
        "release",
        ("0.30.0", "--registry", "{registry}/x", "--no-dispatch"),
        "releases",
        "release_checkout",
        env=(("GITHUB_API_URL", "{url}"),),
    ),
    Column(
        "verify-release",
        ("0.30.0", "--registry", "{registry}/x"),
        "releases",
        "release_checkout",
        env=(("GITHUB_API_URL", "{url}"),),
    ),
    Column(
        "verify-versions",
        (
            "--published",
            "--registry",
            "{server}",
            "--api-url",
            "http://{refused}",
            "--goproxy",
            "http://{refused}",
        ),
        "published",
        "release_checkout",
        expect=PUBLISHED_REGISTRY,
        says="warning:",
        name="verify-versions[published-registry]",
    ),
    Column(
        "verify-versions",
        ("--published", "--registry", "{refused}", "--api-url", "{url}", "--goproxy", "http://{refused}"),
        "published",
        "release_checkout",
        says="warning:",
        name="verify-versions[published-github]",
    ),
    Column(
        "verify-versions",
        ("--published", "--registry", "{refused}", "--api-url", "http://{refused}", "--goproxy", "{url}"),
        "published",
        "release_checkout",
        expect=PUBLISHED_GOPROXY,
        says="warning:",
        name="verify-versions[published-goproxy]",
    ),
)

ROWS = ("refused", *BEHAVIOURS)
assert all(set(ROWS) == set(table) for table in EXPECT.values())


@pytest.fixture(scope="module")
def charts_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_sample_repo(tmp_path_factory.mktemp("faults") / "checkout")
    result = kstasks("package-charts", "--version", "0.25.0", cwd=repo, env={"KSTASKS_REPO": str(repo)})
    assert result.returncode == 0, result.stderr
    return repo


@pytest.fixture(scope="module")
def release_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.samples import make_variant_repo

    return make_variant_repo(tmp_path_factory.mktemp("faultrelease") / "v030", "v0.30", tag="v0.30.0")


@pytest.fixture(scope="module")
def tool_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faulttool")
    make_cli_source(root / "clusteradm", "clusteradm", ("0.8.2",))
    return root


STARTUP: dict[int, float] = {}
"""Seconds a column's process takes to its "refused" error (start-up, no waiting), by column."""


def _run(column: Column, workdir: Path, server: str, registry: str) -> tuple[float, object]:
    values = {
        "server": server,
        "url": f"http://{server}",
        "source": str(workdir / "clusteradm"),
        "registry": registry,
        "refused": refused_address(),
    }
    args = [arg.format(**values) for arg in column.args]
    env = {
        "KSTASKS_NETWORK_DEADLINE": f"{DEADLINE:g}",
        "KSTASKS_REGISTRY_USERNAME": "robot",
        "KSTASKS_REGISTRY_PASSWORD": SECRET,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "kubestellar/kubestellar",
        "TMPDIR": str(workdir.parent),
        **{name: value.format(**values) for name, value in column.env},
    }
    if column.workdir != "tool_workdir":
        env["KSTASKS_REPO"] = str(workdir)
    started = time.monotonic()
    result = kstasks(column.task, *args, cwd=workdir, env=env, timeout=120)
    return time.monotonic() - started, result


@pytest.mark.parametrize("behaviour", ROWS)
@pytest.mark.parametrize("column", COLUMNS, ids=[c.name or f"{c.task}[{c.kind}]" for c in COLUMNS])
def test_fault_matrix(column: Column, behaviour: str, request: pytest.FixtureRequest) -> None:
    workdir: Path = request.getfixturevalue(column.workdir)
    uses_registry = any("{registry}" in arg for arg in column.args)
    registry = request.getfixturevalue("registry") if uses_registry else ""
    key = COLUMNS.index(column)
    if key not in STARTUP:
        STARTUP[key], _ = _run(column, workdir, refused_address(), registry)
    code, message = column.expect.get(behaviour) or EXPECT[column.kind][behaviour]
    if behaviour == "refused":
        host = refused_address()
        elapsed, result = _run(column, workdir, host, registry)
        others: list[object] = []
        asked: list[object] = []
    else:
        with (
            serve(OTHER_HOST, hostname="localhost") as other,
            serve(BEHAVIOURS[behaviour], other=other) as server,
        ):
            host = server.host
            elapsed, result = _run(column, workdir, host, registry)
        others, asked = other.requests, server.requests
    said = [line for line in result.stderr.strip().splitlines() if not line.startswith("+ ")]  # type: ignore[attr-defined]
    assert result.returncode == code, result.stderr  # type: ignore[attr-defined]
    errors = [line for line in said if line.startswith(column.says)]
    if column.says != "error:":  # the one warning about this host; no error
        assert not [line for line in said if line.startswith("error:")], result.stderr  # type: ignore[attr-defined]
        errors = [line for line in errors if host in line]
    assert len(errors) == 1 and re.search(message, errors[0]), result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr and "kstasks bug" not in result.stderr  # type: ignore[attr-defined]
    assert SECRET not in result.stderr + result.stdout and TOKEN not in result.stderr + result.stdout  # type: ignore[attr-defined]
    assert all(not r.headers.get("authorization") for r in others)  # type: ignore[attr-defined]
    if behaviour == "challenge-from-other-host":
        assert others == []
    if behaviour.startswith("drip"):  # a host that let the deadline pass is not asked again
        assert len(asked) == 1, asked
    bound = 1.5 * STARTUP[key] + 1.5 * DEADLINE + 1.5  # start-up varies with the machine's load
    assert elapsed < bound, f"{elapsed:.1f}s > {bound:.1f}s"
    label = column.name or f"{column.task}[{column.kind}]"
    print(f"fault-matrix {label} {behaviour}: {elapsed:.2f}s (bound {bound:.1f}s)")
