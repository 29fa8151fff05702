#!/usr/bin/env bash
# Runs kube::codegen::gen_client from the kube_codegen.sh given as the first argument,
# passing it the remaining arguments unchanged.
set -o errexit
set -o nounset
set -o pipefail

kube_codegen="$1"
shift
# shellcheck disable=SC1090
source "${kube_codegen}"
kube::codegen::gen_client "$@"
