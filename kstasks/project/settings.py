"""Defaults: the values KubeStellar v0.24.0's Makefile and scripts use.

They become the ``kstasks`` section of the Invoke config (``ns.configure``), so
``invoke.yaml`` and ``INVOKE_KSTASKS_*`` environment variables override them, and task
flags override those. The Makefile's own variables (``CONTROLLER_TOOLS_VERSION``,
``CODE_GEN_VER``, ...) are honoured from the environment as the defaults they replace.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    # The checkout to work on; empty means KSTASKS_REPO, else the git top-level of the cwd.
    "repo": "",
    # Where pinned tools are installed; empty means $XDG_CACHE_HOME/kstasks/tools.
    "tools_dir": "",
    "versions": {
        "controller_tools": "v0.13.0",
        # The Go toolchain each tool is built with (GOTOOLCHAIN); empty means chosen by kstasks
        # (kstasks/toolchain/toolchains.py): v0.13.0 gets go1.21.8, as the v0.24.0 Makefile pins.
        "controller_tools_gotoolchain": "",
        "kustomize": "v5.3.0",
        "code_generator": "v0.28.2",
        # Builds code-generator and runs kube_codegen.sh; empty means chosen so that it can build
        # the tool and satisfies the checkout's go.mod.
        "code_generator_gotoolchain": "",
        "openshift_goimports": "4cd858e694d7dfa32a2e697e0e4bab245c215cf3",
        # The release workflow takes the latest helm; v3.14+ is needed for `helm push --plain-http`.
        "helm": "v3.14.4",
        # The Makefile uses the ko on PATH; kstasks pins one.
        "ko": "v0.17.1",
        # Used by `make chart`; kstasks needs it only for its benchmark baseline and tests.
        "yq": "v4.44.3",
        # make lint's linters: GOLANGCI_LINT_VER, STATICCHECK_VER (2022.1 is module v0.3.0), and
        # logcheck, whose LOGCHECK_VER v0.24.0 no longer sets (v0.4.1 is the last one it had).
        "golangci_lint": "v1.50.1",
        "staticcheck": "v0.3.0",
        "logcheck": "v0.4.1",
        # The linters are built and run with this Go (they predate newer export data).
        "lint_gotoolchain": "go1.21.8",
        # golangci-lint for a `version: "2"` .golangci.yaml (v0.29+): what the checkout's lint
        # workflow pins wins; this is the fallback. Built with the Go on PATH.
        "golangci_lint_v2": "v2.4.0",
        # logcheck for a checkout whose go.mod asks for a newer Go than lint_gotoolchain reads
        # (v0.30.0's `go 1.25.0`): built with the Go on PATH, run with the checkout's own Go.
        "logcheck_current": "v0.11.0",
        # The tests lint the workflows kstasks writes and publishes with it.
        "actionlint": "v1.7.7",
        # Signs and verifies releases offline (no transparency log).
        "cosign": "v2.6.5",
        # The release's SBOMs: goreleaser's default sboms cmd.
        "syft": "v1.57.2",
    },
    "codegen": {
        "api_dir": "api",
        "rbac_role_name": "manager-role",
        "crd_bases_dir": "config/crd/bases",
        "crd_kustomization_dir": "config/crd",
        # How `make manifests` fills the CRD files the Go code embeds: "kustomize" (build
        # crd_kustomization_dir into crd_bundle, v0.22+) or "copy" (cp crd_bases_dir/* crd_files_dir, v0.21).
        "crd_bundle_mode": "kustomize",
        "crd_bundle": "pkg/crd/files/crds.yaml",
        "crd_files_dir": "pkg/crd/files",
        "object_header": "hack/boilerplate/boilerplate.go.txt",
        "client_header": "hack/boilerplate/boilerplate.generatego.txt",
        "generated_dir": "pkg/generated",
        # "generators": client-gen, lister-gen and informer-gen run directly and at once, with the
        # arguments kube_codegen.sh gives them (code-generator < v0.30); "kube_codegen": the script.
        "clients_via": "generators",
        # GOGC for the client generators (faster with less garbage collection; empty: Go's default).
        "generator_gogc": "400",
        # gengo v1 generators (code-generator < v0.30) in GOPATH mode on a view of the build list:
        # the same files without one `go list` per package (module mode when no exact view exists).
        "clients_gopath_view": True,
        "verify_paths": ["api", "config/crd/bases", "pkg/crd/files", "pkg/generated"],
    },
    "chart": {
        "config_dir": "config",
        "manager_kustomization_dir": "config/manager",
        "default_kustomization_dir": "config/default",
        "controller_image_name": "controller",
        "chart_dir": "chart",
        "chart_template": "chart/templates/controller-manager.yaml",
        "name_prefix": "{{.Values.ControlPlaneName}}-",
        "core_chart_dir": "core-chart",
        "core_version_key": "KUBESTELLAR_VERSION",
        "transport_chart_dir": "ocm-transport-controller-chart",
        "transport_template": "templates/controller.yaml",
        "transport_placeholder": "OTC_IMAGE_PLACEHOLDER",
        # Where `package-charts` writes archives (relative to the checkout).
        "dist_dir": "dist",
        # Where release charts are published (the workflow's oci://ghcr.io/kubestellar/kubestellar).
        "registry": "oci://ghcr.io/kubestellar/kubestellar",
        # install-local-core-chart: fetch the core chart's dependencies whose repository starts with
        # a key from its value instead (a mirror), e.g. {"oci://ghcr.io/kubestellar": "oci://HOST/x"}.
        "dependency_repositories": {},
    },
    "images": {
        # The Makefile's DOCKER_REGISTRY.
        "registry": "ghcr.io/kubestellar/kubestellar",
        "controller_manager": "controller-manager",
        "transport": "ocm-transport-controller",
        # The Makefile's CONTROLLER_MANAGER_IMAGE (IMG up to v0.23); empty means
        # <registry>/<controller_manager>:<IMAGE_TAG>.
        "controller_manager_image": "",
        # Which Makefile variable names that image in this checkout (IMG up to v0.23).
        "controller_manager_image_variable": "CONTROLLER_MANAGER_IMAGE",
        # The Makefile's IMAGE_TAG; empty means the target's short commit hash.
        "tag": "",
        # The Makefile's TRANSPORT_IMAGE; empty means <registry>/ocm-transport-controller:<IMAGE_TAG>.
        "transport_image": "",
        # The Makefile's ARCH; empty means `go env GOARCH`.
        "arch": "",
        # The Makefile's KIND_HOSTING_CLUSTER.
        "kind_cluster": "kubeflex",
        # Base image for ko (KO_DEFAULTBASEIMAGE); empty means ko's own default.
        "ko_base_image": "",
        # What the ko-build-*-local tasks build (v0.21-v0.23 had only the controller-manager).
        "components": {
            "controller-manager": {"package": "./cmd/controller-manager"},
            "transport": {"package": "./pkg/transport/ocm-transport-controller"},
        },
        # hack/build-clusteradm-image.sh and hack/build-helm-image.sh
        "tool_registry": "quay.io/kubestellar",
        "tool_platforms": "linux/amd64,linux/arm64,linux/ppc64le",
        # Empty means GITHUB_API_URL, else the public GitHub API.
        "github_api": "",
        "tools": {
            "clusteradm": {
                "github_repo": "open-cluster-management-io/clusteradm",
                "source": "https://github.com/open-cluster-management-io/clusteradm.git",
                "package": "./cmd/clusteradm",
                # Empty means the latest release.
                "version": "",
            },
            "helm": {
                "github_repo": "helm/helm",
                "source": "https://github.com/helm/helm.git",
                "package": "./cmd/helm",
                "version": "",
            },
            # hack/build-kubectl-image.sh; "latest" is the release marker <release_marker>/stable.txt.
            "kubectl": {
                "github_repo": "kubernetes/kubernetes",
                "source": "https://github.com/kubernetes/kubernetes.git",
                "package": "./cmd/kubectl",
                "version": "",
                "release_marker": "https://dl.k8s.io/release",
            },
        },
    },
    "release": {
        # The version-reference graph in the checkout; kstasks' v0.24.0 default when absent.
        "graph": "kstasks-versions.yaml",
        # Platforms of the release images publish-images pushes.
        "image_platforms": "linux/amd64,linux/arm64",
        # kstasks release: chart dependency repository prefixes mapped to a mirror
        # ({"oci://ghcr.io/": "oci://mirror.example/ghcr.io/"}), applied to the staged Chart.yaml.
        "chart_dependency_mirrors": {},
    },
    "deploy": {
        # The Makefile's DEFAULT_NAMESPACE and DEFAULT_WDS_NAME (make deploy's substitutions, and
        # install-local-chart's ControlPlaneName and <wds>-system namespace).
        "namespace": "default",
        "wds_name": "wds1",
        # KUBE_CONTEXT (install-local-chart's --kube-context; empty: the current context), ITS_NAME.
        "kube_context": "",
        "its_name": "",
        # KUBESTELLAR_CONTROLLER_MANAGER_VERBOSITY.
        "verbosity": "2",
        # make's ignore-not-found (uninstall, undeploy).
        "ignore_not_found": False,
        "release_name": "kubestellar",
        "crd_kustomization_dir": "config/crd",
        "default_kustomization_dir": "config/default",
        "chart_dir": "chart",
    },
    "build": {
        # make build's WHAT and BUILDFLAGS (BUILDFLAGS from the environment also works).
        "what": "./cmd/...",
        "buildflags": "",
    },
    "imports": {
        # "builtin" (kstasks' port of openshift-goimports' ordering) or "openshift-goimports".
        "tool": "builtin",
        # Empty means the module path in go.mod.
        "module": "",
        "intermediates": ["github.com/kubestellar/kubeflex"],
    },
}

MAKEFILE_ENV: dict[str, tuple[str, ...]] = {
    "CONTROLLER_TOOLS_VERSION": ("versions", "controller_tools"),
    "CODE_GEN_VER": ("versions", "code_generator"),
    "OPENSHIFT_GOIMPORTS_VER": ("versions", "openshift_goimports"),
    "DOCKER_REGISTRY": ("images", "registry"),
    # IMG (up to v0.23) and CONTROLLER_MANAGER_IMAGE (v0.24+) name the same image; the latter wins.
    "IMG": ("images", "controller_manager_image"),
    "CONTROLLER_MANAGER_IMAGE": ("images", "controller_manager_image"),
    "IMAGE_TAG": ("images", "tag"),
    "TRANSPORT_IMAGE": ("images", "transport_image"),
    "ARCH": ("images", "arch"),
    "KIND_HOSTING_CLUSTER": ("images", "kind_cluster"),
    "GOLANGCI_LINT_VER": ("versions", "golangci_lint"),
    "DEFAULT_NAMESPACE": ("deploy", "namespace"),
    "DEFAULT_WDS_NAME": ("deploy", "wds_name"),
    "KUBE_CONTEXT": ("deploy", "kube_context"),
    "ITS_NAME": ("deploy", "its_name"),
    "KUBESTELLAR_CONTROLLER_MANAGER_VERBOSITY": ("deploy", "verbosity"),
    "ignore-not-found": ("deploy", "ignore_not_found"),
}
"""Makefile variables that a user may set in the environment, and the setting each one sets."""


def defaults(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The v0.24.0 defaults with the Makefile variables found in ``environ`` applied."""
    env = os.environ if environ is None else environ
    result = copy.deepcopy(DEFAULTS)
    for variable, path in MAKEFILE_ENV.items():
        if env.get(variable):
            section = result
            for key in path[:-1]:
                section = section[key]
            section[path[-1]] = env[variable]
    return result
