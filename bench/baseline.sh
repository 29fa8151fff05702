#!/usr/bin/env bash
# Baseline for the benchmark: the tool commands a KubeStellar checkout's `make all-generated`
# runs (manifests, generate, codegenclients: hack/update-codegen-clients.sh, then make imports),
# in the same order and with the same arguments, on the checkout given as $1.
#
# What differs between releases comes from the environment, as bench/recipe.py reads it from
# the checkout (its Makefile, hack/update-codegen-clients.sh and go.mod, over kstasks' defaults):
#   CONTROLLER_GEN, KUSTOMIZE (binaries at the checkout's pins), MODULE, API_DIR, RBAC_ROLE_NAME,
#   CRD_BASES_DIR, OBJECT_HEADER (controller-gen's arguments), CRD_BUNDLE_MODE (kustomize: build
#   CRD_KUSTOMIZATION_DIR into CRD_BUNDLE; copy: cp CRD_BASES_DIR/* CRD_FILES_DIR),
#   CODE_GEN_DIR (k8s.io/code-generator source holding kube_codegen.sh), CODE_GEN_INTERFACE
#   (output-base: gen_client before v0.30, the checkout at <output base>/<module>; output-dir:
#   v0.30 on), CODE_GEN_GOTOOLCHAIN (empty: the Go on PATH), GENERATED_DIR, CLIENT_HEADER,
#   GOBIN (where kube_codegen.sh installs the generators), IMPORTS and IMPORTS_ARGS (`make
#   imports`: openshift-goimports, or a stand-in taking its flags, and the Makefile's flags).
set -o errexit
set -o nounset
set -o pipefail

cd "$1"

# make manifests
"${CONTROLLER_GEN}" rbac:roleName="${RBAC_ROLE_NAME}" crd webhook paths="./${API_DIR}/..." \
    output:crd:artifacts:config="${CRD_BASES_DIR}"
if [ "${CRD_BUNDLE_MODE}" = copy ]; then
    cp "${CRD_BASES_DIR}"/* "${CRD_FILES_DIR}"
else
    "${KUSTOMIZE}" build "${CRD_KUSTOMIZATION_DIR}/" > "${CRD_BUNDLE}"
fi

# make generate
"${CONTROLLER_GEN}" object:headerFile="${OBJECT_HEADER}" paths="./${API_DIR}/..."

# make codegenclients: hack/update-codegen-clients.sh
gen_clients() {
    if [ -n "${CODE_GEN_GOTOOLCHAIN}" ]; then
        export GOTOOLCHAIN="${CODE_GEN_GOTOOLCHAIN}"
    fi
    # shellcheck disable=SC1091
    source "${CODE_GEN_DIR}/kube_codegen.sh"
    rm -rf "${PWD:?}/${GENERATED_DIR}"
    if [ "${CODE_GEN_INTERFACE}" = output-dir ]; then
        kube::codegen::gen_client \
            --with-watch \
            --output-dir "${PWD}/${GENERATED_DIR}" \
            --output-pkg "${MODULE}/${GENERATED_DIR}" \
            --boilerplate "${PWD}/${CLIENT_HEADER}" \
            "${PWD}/${API_DIR}"
        return
    fi
    # before v0.30 the script needs the checkout at <output base>/<module path>; a symlink puts it there
    base=$(mktemp -d)
    trap 'rm -rf "${base}"' EXIT
    mkdir -p "${base}/$(dirname "${MODULE}")"
    ln -s "${PWD}" "${base}/${MODULE}"
    kube::codegen::gen_client \
        --with-watch \
        --input-pkg-root "${MODULE}/${API_DIR}" \
        --output-pkg-root "${MODULE}/${GENERATED_DIR}" \
        --output-base "${base}" \
        --boilerplate "${PWD}/${CLIENT_HEADER}"
}
(gen_clients)

# make imports (after verify-go-versions: the checkout's hack/verify-go-versions.sh, if it has one)
if [ -x hack/verify-go-versions.sh ]; then
    hack/verify-go-versions.sh
else
    go version > /dev/null
fi
# shellcheck disable=SC2086
${IMPORTS} ${IMPORTS_ARGS}
