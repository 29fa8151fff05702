#!/usr/bin/env bash
# Drop-in replacement for KubeStellar's hack/update-codegen-clients.sh: regenerates pkg/generated
# (clientset, listers, informers) from any directory, then orders the imports. Needs kstasks installed.
set -o errexit
set -o nounset
set -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 -m kstasks codegenclients "$@"
