#!/usr/bin/env bash
# Drop-in replacement for KubeStellar's hack/verify-codegen.sh: fails, naming each file, when the
# checked-in derived files differ from what the pinned generators produce. Checks the commit in an
# isolated worktree; pass --in-place for the old behaviour. Needs kstasks installed.
set -o errexit
set -o nounset
set -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 -m kstasks verify-codegen "$@"
