"""The Makefile's deployment targets: install, uninstall, deploy, undeploy, install-local-chart.

The documents handed to kubectl are the ones the Makefile's pipelines produce
(``kustomize build config/crd/``; for ``deploy`` the image edit and the two ``sed``
substitutions), but the image edit happens on a copy of ``config/`` (through
:func:`kstasks.chart.render_controller_manager`): no tracked file changes, not even for a moment.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.charts import derive
from kstasks.core import errors, runner
from kstasks.core.context import dry_run
from kstasks.project.repo import Checkout

CLUSTER_TIMEOUT = "10s"
NAMESPACE_PLACEHOLDER = re.compile(r"{{.Release.Namespace}}")
WDS_PLACEHOLDER = re.compile(r"{{.Values.ControlPlaneName}}")
"""The Makefile's ``sed`` patterns (``.`` matches any character there too)."""
TRUE_WORDS = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class DeploySettings:
    """The Makefile's deployment variables (the ``kstasks.deploy`` settings)."""

    namespace: str = "default"
    wds_name: str = "wds1"
    kube_context: str = ""
    its_name: str = ""
    verbosity: str = "2"
    ignore_not_found: bool = False
    release_name: str = "kubestellar"
    crd_kustomization_dir: str = "config/crd"
    default_kustomization_dir: str = "config/default"
    chart_dir: str = "chart"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeploySettings:
        """The settings from ``kstasks.deploy``; ``ignore_not_found`` accepts make's ``true``."""
        values = dict(config)
        flag = values.get("ignore_not_found", False)
        values["ignore_not_found"] = flag if isinstance(flag, bool) else str(flag).lower() in TRUE_WORDS
        values["verbosity"] = str(values.get("verbosity", "2"))
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


def require_command(name: str, install: str) -> Path:
    """``name`` on PATH, or exit 2 saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise errors.BadInput(
            f"{name} is not installed or not on PATH", f"Install {name} ({install}) and try again."
        )
    return Path(found)


def require_kubectl() -> Path:
    """kubectl on PATH, or exit 2 saying so."""
    return require_command("kubectl", "https://kubernetes.io/docs/tasks/tools/")


def require_cluster(kubectl: Path, context: str = "") -> None:
    """Exit 2 unless kubectl reaches a cluster (in ``context``, else the current one)."""
    if dry_run():
        return
    result = runner.run(
        [
            kubectl,
            *_context_args(context),
            f"--request-timeout={CLUSTER_TIMEOUT}",
            "get",
            "--raw",
            "/version",
        ],
        capture=True,
        query=True,
        check=False,
        quiet=True,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no answer"])[-1]
        where = f"context {context!r}" if context else "the current kubeconfig context"
        raise errors.BadInput(
            f"no reachable Kubernetes cluster in {where} ({last})",
            "Start a cluster (e.g. kind create cluster) or choose another with KUBECONFIG / KUBE_CONTEXT.",
        )


def _context_args(context: str) -> list[str]:
    return ["--context", context] if context else []


def crd_manifests(checkout: Checkout, settings: DeploySettings, kustomize: Path) -> str:
    """``kustomize build config/crd/``: what install applies and uninstall deletes."""
    return runner.run(
        [kustomize, "build", str(checkout.path(settings.crd_kustomization_dir))],
        cwd=checkout.root,
        capture=True,
        query=True,
        what=f"kustomize build {settings.crd_kustomization_dir}",
        todo="Fix the kustomization; nothing was sent to the cluster.",
    ).stdout


def _as_given(image: str) -> str:
    """``image`` so that :func:`derive.render_controller_manager` passes it to kustomize unchanged.

    ``make chart`` drops the last ``v`` after the first ``:`` (see :func:`derive.makefile_image`);
    ``make deploy`` sets the image as given, so a trailing ``v`` is added for that rule to remove.
    """
    return image + "v" if ":" in image else image


def substitute_templates(manifests: str, namespace: str, wds_name: str) -> str:
    """The deploy target's ``sed``: ``{{.Release.Namespace}}`` and ``{{.Values.ControlPlaneName}}``."""
    text = NAMESPACE_PLACEHOLDER.sub(lambda _: namespace, manifests)
    return WDS_PLACEHOLDER.sub(lambda _: wds_name, text)


def deploy_manifests(
    checkout: Checkout, settings: DeploySettings, layout: derive.ChartLayout, kustomize: Path, image: str
) -> str:
    """What ``make deploy`` pipes to kubectl: config/default with the image set, templates filled."""
    rendered = derive.render_controller_manager(checkout, layout, kustomize, _as_given(image))
    return substitute_templates(rendered, settings.namespace, settings.wds_name)


def default_manifests(checkout: Checkout, settings: DeploySettings, kustomize: Path) -> str:
    """``kustomize build config/default``, untouched: what ``make undeploy`` deletes."""
    return runner.run(
        [kustomize, "build", str(checkout.path(settings.default_kustomization_dir))],
        cwd=checkout.root,
        capture=True,
        query=True,
        what=f"kustomize build {settings.default_kustomization_dir}",
        todo="Fix the kustomization; nothing was sent to the cluster.",
    ).stdout


def kubectl_apply(kubectl: Path, manifests: str, what: str) -> None:
    """``kubectl apply -f -`` with ``manifests`` on stdin (check first with :func:`require_cluster`)."""
    runner.run([kubectl, "apply", "-f", "-"], stdin_data=manifests, what=f"kubectl apply ({what})")


def kubectl_delete(kubectl: Path, manifests: str, what: str, *, ignore_not_found: bool) -> None:
    """``kubectl delete --ignore-not-found=<bool> -f -`` with ``manifests`` on stdin."""
    runner.run(
        [kubectl, "delete", f"--ignore-not-found={str(ignore_not_found).lower()}", "-f", "-"],
        stdin_data=manifests,
        what=f"kubectl delete ({what})",
        todo="Pass --ignore-not-found (or ignore-not-found=true) to ignore resources that are gone.",
    )


def helm_install_args(settings: DeploySettings, chart_path: Path) -> list[str]:
    """``make install-local-chart``'s helm arguments (after the helm binary)."""
    return [
        "upgrade",
        *(["--kube-context", settings.kube_context] if settings.kube_context else []),
        "--install",
        settings.release_name,
        "-n",
        f"{settings.wds_name}-system",
        str(chart_path),
        "--set",
        f"ControlPlaneName={settings.wds_name}",
        "--set",
        f"ControllerManager.Verbosity={settings.verbosity}",
        *(["--set", f"ITSName={settings.its_name}"] if settings.its_name else []),
    ]


def install_local_chart(checkout: Checkout, settings: DeploySettings, helm: Path) -> None:
    """``helm upgrade --install`` of ``./chart`` into the hosting cluster (chart and image already done)."""
    runner.run(
        [helm, *helm_install_args(settings, checkout.path(settings.chart_dir))],
        cwd=checkout.root,
        what="helm upgrade --install",
    )
