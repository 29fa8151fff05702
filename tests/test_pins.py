"""Pins read from a checkout's Makefile, hack script and go.mod, for each KubeStellar layout.

The Makefiles below are small fixtures shaped like the releases' (only the lines kstasks reads,
written in their styles), not copies of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.project import pins
from tests.conftest import SAMPLE

V0_21 = """\
DOCKER_REGISTRY ?= ghcr.io/kubestellar/kubestellar
CMD_NAME ?= controller-manager
IMAGE_TAG ?= $(shell git rev-parse --short HEAD)
IMAGE_REPO ?= ${DOCKER_REGISTRY}/${CMD_NAME}
IMG ?= ${IMAGE_REPO}:${IMAGE_TAG}
OPENSHIFT_GOIMPORTS_VER := 4cd858e694d7dfa32a2e697e0e4bab245c215cf3
OPENSHIFT_GOIMPORTS := $(TOOLS_DIR)/openshift-goimports-$(OPENSHIFT_GOIMPORTS_VER)
CODE_GEN_VER := v0.28.2

manifests: controller-gen ## Generate objects.
\t$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/..." \\
\t\toutput:crd:artifacts:config=config/crd/bases
\tcp config/crd/bases/* pkg/crd/files

ko-build-local: ## Build local container image with ko
\tKO_DOCKER_REPO=ko.local ko build -B ./cmd/${CMD_NAME} -t ${IMAGE_TAG} --platform linux/${ARCH}

imports: $(OPENSHIFT_GOIMPORTS)
\t$(OPENSHIFT_GOIMPORTS) -i github.com/kubestellar/kubeflex -m github.com/kubestellar/kubestellar

CONTROLLER_TOOLS_VERSION ?= v0.13.0
$(KUSTOMIZE): $(LOCALBIN)
\ttest -s $(LOCALBIN)/kustomize || GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@latest
$(CONTROLLER_GEN): $(LOCALBIN)
\tGOTOOLCHAIN=go1.21.8 GOBIN=$(LOCALBIN) go install \\
\t\tsigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
"""

V0_28 = """\
DOCKER_REGISTRY ?= quay.io/example
CONTROLLER_MANAGER_CMD_NAME ?= controller-manager
TRANSPORT_CMD_NAME ?= ocm-transport-controller
CONTROLLER_MANAGER_IMAGE ?= ${DOCKER_REGISTRY}/${CONTROLLER_MANAGER_CMD_NAME}:${IMAGE_TAG}
CODE_GEN_VER := v0.30.12  # the clients' generator

manifests: controller-gen kustomize
\t$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/..." \\
\t    output:crd:artifacts:config=config/crd/bases
\t$(KUSTOMIZE) build config/crd/ > pkg/crd/files/crds.yaml

ko-build-controller-manager-local:
\tKO_DOCKER_REPO=ko.local ko build -B ./cmd/${CONTROLLER_MANAGER_CMD_NAME} -t ${IMAGE_TAG}
ko-build-transport-local:
\tKO_DOCKER_REPO=ko.local ko build -B ./pkg/transport/${TRANSPORT_CMD_NAME} -t ${IMAGE_TAG}

CONTROLLER_TOOLS_VERSION ?= v0.15.0
$(KUSTOMIZE): $(LOCALBIN)
\ttest -s $(LOCALBIN)/kustomize || GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0
$(CONTROLLER_GEN): $(LOCALBIN)
\ttest -s $(CONTROLLER_GEN) || \\
\tGOTOOLCHAIN=go1.23.8 GOBIN=$(LOCALBIN) \\
\t\tgo install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
"""

MAIN = """\
CONTROLLER_MANAGER_IMAGE ?= ${DOCKER_REGISTRY}/${CONTROLLER_MANAGER_CMD_NAME}:${IMAGE_TAG}
CONTROLLER_MANAGER_CMD_NAME ?= controller-manager
TRANSPORT_CMD_NAME ?= ocm-transport-controller
CODE_GEN_VER := v0.32.13
ko-build-controller-manager-local:
\tKO_DOCKER_REPO=ko.local ko build -B ./cmd/${CONTROLLER_MANAGER_CMD_NAME} -t ${IMAGE_TAG}
ko-build-transport-local:
\tKO_DOCKER_REPO=ko.local ko build -B ./pkg/transport/${TRANSPORT_CMD_NAME} -t ${IMAGE_TAG}
ko-build-get-kubeconfig-local:
\tKO_DOCKER_REPO=ko.local ko build -B ./cmd/kflex-get-kubeconfig -t ${IMAGE_TAG} --platform linux/${ARCH}
CONTROLLER_TOOLS_VERSION ?= v0.17.3
$(CONTROLLER_GEN): $(LOCALBIN)
\tGOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
"""

SCRIPT_BEFORE_V0_30 = """\
SCRIPT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kube::codegen::gen_client \\
    --with-watch \\
    --input-pkg-root github.com/kubestellar/kubestellar/api \\
    --output-pkg-root github.com/kubestellar/kubestellar/pkg/generated \\
    --boilerplate "${SCRIPT_ROOT}/hack/boilerplate/boilerplate.generatego.txt"
"""

SCRIPT_FROM_V0_30 = """\
SCRIPT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG_ROOT="github.com/kubestellar/kubestellar"
kube::codegen::gen_client \\
    --with-watch \\
    --output-dir "${SCRIPT_ROOT}/pkg/clients" \\
    --output-pkg    "${PKG_ROOT}/pkg/clients" \\
    --boilerplate "${SCRIPT_ROOT}/hack/header.txt" \\
    ${SCRIPT_ROOT}/api
"""


def _read(makefile: str) -> pins.Discovery:
    found = pins.Discovery()
    pins.read_makefile(makefile, found)
    return found


def test_v0_21_layout_copies_crds_and_reads_latest_kustomize_as_a_fixed_version() -> None:
    found = _read(V0_21)
    assert found.value("versions", "controller_tools") == "v0.13.0"
    assert found.value("versions", "controller_tools_gotoolchain") == "go1.21.8"
    assert found.value("versions", "code_generator") == "v0.28.2"
    assert found.value("versions", "kustomize") == pins.KUSTOMIZE_LATEST == "v5.3.0"
    assert any("v5@latest" in note for note in found.notes)
    assert found.value("codegen", "crd_bundle_mode") == "copy"
    assert found.value("codegen", "crd_files_dir") == "pkg/crd/files"
    assert found.value("codegen", "crd_bases_dir") == "config/crd/bases"
    assert found.value("codegen", "api_dir") == "api"
    assert found.value("images", "controller_manager_image_variable") == "IMG"
    assert found.value("images", "components") == {
        "controller-manager": {"package": "./cmd/controller-manager"}
    }
    assert found.value("imports", "intermediates") == ["github.com/kubestellar/kubeflex"]
    assert found.value("versions", "openshift_goimports") == "4cd858e694d7dfa32a2e697e0e4bab245c215cf3"


def test_v0_28_layout_bundles_with_kustomize() -> None:
    found = _read(V0_28)
    assert found.value("versions", "controller_tools") == "v0.15.0"
    assert found.value("versions", "controller_tools_gotoolchain") == "go1.23.8"
    assert found.value("versions", "code_generator") == "v0.30.12"  # the comment is not part of it
    assert found.value("versions", "kustomize") == "v5.5.0"
    assert found.value("codegen", "crd_bundle_mode") == "kustomize"
    assert found.value("codegen", "crd_bundle") == "pkg/crd/files/crds.yaml"
    assert found.value("codegen", "crd_kustomization_dir") == "config/crd"
    assert found.value("images", "registry") == "quay.io/example"
    assert found.value("images", "controller_manager_image_variable") == "CONTROLLER_MANAGER_IMAGE"
    assert list(found.value("images", "components")) == ["controller-manager", "transport"]
    assert found.notes == []


def test_main_layout_has_three_images_and_no_toolchain_pin() -> None:
    found = _read(MAIN)
    assert found.value("versions", "controller_tools") == "v0.17.3"
    assert found.value("versions", "controller_tools_gotoolchain") is None
    assert found.value("images", "components") == {
        "controller-manager": {"package": "./cmd/controller-manager"},
        "transport": {"package": "./pkg/transport/ocm-transport-controller"},
        "get-kubeconfig": {"package": "./cmd/kflex-get-kubeconfig"},
    }


@pytest.mark.parametrize(
    ("script", "generated", "header"),
    [
        (SCRIPT_BEFORE_V0_30, "pkg/generated", "hack/boilerplate/boilerplate.generatego.txt"),
        (SCRIPT_FROM_V0_30, "pkg/clients", "hack/header.txt"),
    ],
)
def test_codegen_script_gives_output_package_and_header(script: str, generated: str, header: str) -> None:
    found = pins.Discovery()
    pins.read_codegen_script(script, "github.com/kubestellar/kubestellar", found, "hack/x.sh")
    assert found.value("codegen", "generated_dir") == generated
    assert found.value("codegen", "client_header") == header


def test_sources_name_the_line_they_came_from() -> None:
    found = _read(V0_28)
    sources = {pin.path: pin.source for pin in found.pins}
    assert sources[("versions", "controller_tools")] == "Makefile: CONTROLLER_TOOLS_VERSION = v0.15.0"
    assert "GOTOOLCHAIN=go1.23.8" in sources[("versions", "controller_tools_gotoolchain")]
    assert (
        "$(KUSTOMIZE) build config/crd/ > pkg/crd/files/crds.yaml" in sources[("codegen", "crd_bundle_mode")]
    )


def test_variables_follow_make_rules() -> None:
    variables = pins.makefile_variables("A ?= one\nA ?= two\nB := x\nB = y\nC = $(B)-${A}\nD += z\n")
    assert variables["A"] == "one" and variables["B"] == "y"
    assert pins.expand(variables["C"], variables) == "y-one"
    assert pins.expand("$(UNKNOWN)", variables) == "$(UNKNOWN)"


def test_go_mod_lines(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.24.1\n\ntoolchain go1.24.3\n")
    found = pins.discover(tmp_path, "example.com/m")
    assert (found.go_directive, found.go_toolchain, found.pins) == ("1.24.1", "go1.24.3", [])


def test_the_sample_describes_itself() -> None:
    found = pins.discover(SAMPLE, "example.com/kssample")
    assert found.go_directive == "1.21"
    assert found.value("versions", "controller_tools") == "v0.13.0"
    assert found.value("versions", "controller_tools_gotoolchain") == "go1.21.8"
    assert found.value("versions", "kustomize") == "v5.3.0"
    assert found.value("versions", "code_generator") == "v0.28.2"
    assert found.value("codegen", "crd_bundle_mode") == "kustomize"
    # the module path equals go.mod's: not a pin
    assert found.value("imports", "module") is None
