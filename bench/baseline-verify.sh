#!/usr/bin/env bash
# Baseline for the benchmark: the commands KubeStellar v0.24.0's CI verify job runs,
# `make verify-boilerplate verify-codegen verify-go-versions verify-imports verify-modules`,
# in that order, in place on the checkout given as $1.
#
# Environment: VERIFY_BOILERPLATE (repo-infra's verify_boilerplate.py, or a stand-in taking its
# flags), VERIFY_PATHS (what hack/verify-codegen.sh checks), and what bench/baseline.sh needs.
set -o errexit
set -o nounset
set -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$1"
read -r -a paths <<< "${VERIFY_PATHS}"

# hack/verify-go-versions.sh (the checkout's own, if it has one)
verify_go_versions() {
    if [ -x hack/verify-go-versions.sh ]; then
        hack/verify-go-versions.sh
        return
    fi
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
# shellcheck disable=SC2086
${IMPORTS} ${IMPORTS_ARGS}
git diff --quiet --exit-code

# make verify-modules
go mod tidy
git diff --quiet HEAD -- go.sum go.mod
