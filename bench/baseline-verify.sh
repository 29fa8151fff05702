#!/usr/bin/env bash
# Baseline for the benchmark: the commands KubeStellar v0.24.0's CI verify job runs,
# `make verify-boilerplate verify-codegen verify-go-versions verify-imports verify-modules`,
# in that order, in place on the checkout given as $1.
#
# Environment: VERIFY_BOILERPLATE (repo-infra's verify_boilerplate.py, or a stand-in taking its
# flags), IMPORTS (openshift-goimports or a stand-in), and what bench/baseline.sh needs.
set -o errexit
set -o nounset
set -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$1"
paths=(api config/crd/bases pkg/crd/files pkg/generated)
MODULE=$(sed -n 's/^module[[:space:]]*//p' go.mod)

# hack/verify-go-versions.sh
verify_go_versions() {
    local minimal required have
    minimal=$(grep "go 1." go.mod | sed 's/go //')
    required=$(echo "${minimal}" | awk -F . '{printf $2}')
    have=$(go version | awk '{print $3}' | sed 's/go//' | awk -F . '{printf $2}')
    [ "${have}" -ge "${required}" ]
}

# make verify-boilerplate
${VERIFY_BOILERPLATE} --boilerplate-dir=hack/boilerplate --skip docs

# make verify-codegen: hack/verify-codegen.sh
[ -z "$(git status --porcelain=1 -- "${paths[@]}")" ]
bash "${here}/baseline.sh" "${PWD}"   # make all-generated
[ -z "$(git status --porcelain=1 -- "${paths[@]}")" ]

# make verify-go-versions
verify_go_versions

# make verify-imports: hack/verify-imports.sh runs make imports, then git diff
verify_go_versions
${IMPORTS} -i github.com/kubestellar/kubeflex -m "${MODULE}"
git diff --quiet --exit-code

# make verify-modules
go mod tidy
git diff --quiet HEAD -- go.sum go.mod
