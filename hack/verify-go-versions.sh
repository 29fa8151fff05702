#!/usr/bin/env bash
# Drop-in replacement for KubeStellar's hack/verify-go-versions.sh: the installed Go must satisfy
# go.mod's go directive (IGNORE_GO_VERSION=1 skips the check). Needs kstasks installed.
set -o errexit
set -o nounset
set -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 -m kstasks verify-go-versions "$@"
