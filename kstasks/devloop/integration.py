"""``hack/run-integration-tests.sh``: the controller-manager integration tests against a real etcd.

The script downloaded an etcd release when none was on PATH; kstasks never downloads anything:
it uses the etcd on PATH (Debian's ``etcd-server`` package provides one), or stops with exit
code 2 saying what to install. The version the checkout's script pins (``etcd_version=3.5.16``
at v0.30.0) is read as data: the etcd on PATH must be that version (``any_etcd`` accepts another,
saying so).
"""

from __future__ import annotations

import re
import shutil

from kstasks.core import errors, output, runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang

PACKAGE = "./test/integration/controller-manager"
"""The integration tests' package."""
NUM_OBJECTS = "360"
"""CONTROLLER_TEST_NUM_OBJECTS, as the script sets it."""


SCRIPT = "hack/run-integration-tests.sh"
_PIN_RE = re.compile(r"^\s*etcd_version=[\"']?v?(\d+\.\d+\.\d+)[\"']?\s*$", re.MULTILINE)
_VERSION_RE = re.compile(r"etcd Version:\s*v?(\d+\.\d+\.\d+)")


def pinned_etcd(checkout: Checkout) -> str:
    """The etcd version the checkout's integration-test script downloads (empty: none pinned)."""
    script = checkout.path(SCRIPT)
    match = _PIN_RE.search(script.read_text(errors="replace")) if script.is_file() else None
    return match[1] if match else ""


def etcd_version(etcd: str) -> str:
    """``etcd --version``'s version (empty when it says none)."""
    result = runner.run([etcd, "--version"], capture=True, query=True, check=False, quiet=True)
    match = _VERSION_RE.search(result.stdout + result.stderr)
    return match[1] if match else ""


def check_etcd_version(etcd: str, pinned: str, *, any_etcd: bool = False) -> str:
    """The version of ``etcd``; exit 2 when the checkout pins another (unless ``any_etcd``)."""
    found = etcd_version(etcd)
    if not pinned or found == pinned:
        return found
    if any_etcd:
        output.warn(f"{SCRIPT} pins etcd {pinned}; using {etcd} ({found or 'version unknown'}) as asked")
        return found
    raise errors.BadInput(
        f"{SCRIPT} pins etcd {pinned}, but the etcd on PATH ({etcd}) is {found or 'of unknown version'}",
        f"Put etcd {pinned} on PATH (the etcd-v{pinned} release archive has it), or pass --any-etcd.",
    )


def find_etcd() -> str:
    """The etcd on PATH, or exit 2 naming what to install."""
    found = shutil.which("etcd")
    if not found:
        raise errors.BadInput(
            "etcd is not on PATH (the integration tests start one)",
            "Install etcd (Debian/Ubuntu: apt-get install etcd-server; or an etcd release's binary on PATH).",
        )
    return found


def run_integration_tests(
    checkout: Checkout, package: str = PACKAGE, num_objects: str = NUM_OBJECTS, *, any_etcd: bool = False
) -> None:
    """``CONTROLLER_TEST_NUM_OBJECTS=360 go test -v <package> -args -v=5`` with etcd from PATH, of
    the version the checkout's script pins."""
    go = golang.go_binary()
    if not checkout.path(package).is_dir():
        raise errors.BadInput(
            f"{checkout.root} has no {package.removeprefix('./')} directory",
            "Run this in a KubeStellar checkout that has the integration tests.",
        )
    etcd = find_etcd()
    pinned = pinned_etcd(checkout)
    version = check_etcd_version(etcd, pinned, any_etcd=any_etcd)
    why = f", the version {SCRIPT} pins" if pinned and version == pinned else ""
    output.say(f"test-integration: using {etcd} ({version or 'version unknown'}{why})")
    with output.step(f"go test {package}"):
        runner.run(
            [go, "test", "-v", package, "-args", "-v=5"],
            cwd=checkout.root,
            env={"CONTROLLER_TEST_NUM_OBJECTS": num_objects},
            what="integration tests",
            todo="Fix the failing tests above.",
        )
