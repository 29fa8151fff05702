"""``hack/run-integration-tests.sh``: the controller-manager integration tests against a real etcd.

The script downloaded an etcd release when none was on PATH; kstasks never downloads anything:
it uses the etcd on PATH (Debian's ``etcd-server`` package provides one), or stops with exit
code 2 saying what to install.
"""

from __future__ import annotations

import shutil

from kstasks.core import errors, output, runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang

PACKAGE = "./test/integration/controller-manager"
"""The integration tests' package."""
NUM_OBJECTS = "360"
"""CONTROLLER_TEST_NUM_OBJECTS, as the script sets it."""


def find_etcd() -> str:
    """The etcd on PATH, or exit 2 naming what to install."""
    found = shutil.which("etcd")
    if not found:
        raise errors.BadInput(
            "etcd is not on PATH (the integration tests start one)",
            "Install etcd (Debian/Ubuntu: apt-get install etcd-server; or an etcd release's binary on PATH).",
        )
    return found


def run_integration_tests(checkout: Checkout, package: str = PACKAGE, num_objects: str = NUM_OBJECTS) -> None:
    """``CONTROLLER_TEST_NUM_OBJECTS=360 go test -v <package> -args -v=5`` with etcd from PATH."""
    go = golang.go_binary()
    if not checkout.path(package).is_dir():
        raise errors.BadInput(
            f"{checkout.root} has no {package.removeprefix('./')} directory",
            "Run this in a KubeStellar checkout that has the integration tests.",
        )
    etcd = find_etcd()
    output.say(f"test-integration: using {etcd}")
    with output.step(f"go test {package}"):
        runner.run(
            [go, "test", "-v", package, "-args", "-v=5"],
            cwd=checkout.root,
            env={"CONTROLLER_TEST_NUM_OBJECTS": num_objects},
            what="integration tests",
            todo="Fix the failing tests above.",
        )
