#!/usr/bin/env bash
# Drop-in replacement for KubeStellar's hack/build-clusteradm-image.sh: builds the clusteradm CLI at a
# release (default: the latest) with ko for several platforms and pushes it. Same flags as the
# original; -X turns on verbose output. Needs kstasks installed.
set -o errexit
set -o nounset
set -o pipefail

args=()
while (( $# > 0 )); do
    case "$1" in
    (--version|-v|--registry|--platform)
        if (( $# > 1 )); then args+=("$1" "$2"); shift
        else echo "$0: missing value for $1" >&2; exit 2
        fi;;
    (-X) args+=(--trace);;
    (-h|--help)
        echo "Usage: $0 [--version|-v release] [--registry registry] [--platform platforms] [-X]"
        exit 0;;
    (*) echo "$0: unknown argument $1" >&2; exit 2;;
    esac
    shift
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 -m kstasks build-clusteradm-image "${args[@]}"
