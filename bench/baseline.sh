#!/usr/bin/env bash
# Baseline for the benchmark: the tool commands KubeStellar v0.24.0's `make all-generated`
# runs, in the same order and with the same arguments, on the checkout given as $1.
#
# Environment: CONTROLLER_GEN, KUSTOMIZE (binaries), CODE_GEN_DIR (k8s.io/code-generator
# source holding kube_codegen.sh), GOBIN (where kube_codegen.sh installs the generators),
# IMPORTS (the `make imports` command; openshift-goimports or a stand-in taking its flags).
set -o errexit
set -o nounset
set -o pipefail

cd "$1"
MODULE=$(sed -n 's/^module[[:space:]]*//p' go.mod)

# make manifests
"${CONTROLLER_GEN}" rbac:roleName=manager-role crd webhook paths="./api/..." output:crd:artifacts:config=config/crd/bases
"${KUSTOMIZE}" build config/crd/ > pkg/crd/files/crds.yaml

# make generate
"${CONTROLLER_GEN}" object:headerFile="hack/boilerplate/boilerplate.go.txt" paths="./api/..."

# make codegenclients: hack/update-codegen-clients.sh needs the checkout at
# <output base>/<module path>; a symlink puts it there.
base=$(mktemp -d)
trap 'rm -rf "${base}"' EXIT
mkdir -p "${base}/$(dirname "${MODULE}")"
ln -s "${PWD}" "${base}/${MODULE}"
# shellcheck disable=SC1091
source "${CODE_GEN_DIR}/kube_codegen.sh"
rm -rf "${PWD}/pkg/generated"
kube::codegen::gen_client \
    --with-watch \
    --input-pkg-root "${MODULE}/api" \
    --output-pkg-root "${MODULE}/pkg/generated" \
    --output-base "${base}" \
    --boilerplate "${PWD}/hack/boilerplate/boilerplate.generatego.txt"

# make imports (after verify-go-versions, which asks `go version`)
go version > /dev/null
${IMPORTS} -i github.com/kubestellar/kubeflex -m "${MODULE}"
