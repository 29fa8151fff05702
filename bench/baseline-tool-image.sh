#!/usr/bin/env bash
# Baseline for the benchmark: what KubeStellar v0.24.0's hack/build-clusteradm-image.sh does
# for a given version: shallow clone of tag v$VERSION, ko build for $PLATFORMS, push, remove.
#
# Environment: KO (binary), SOURCE (git URL), VERSION, REGISTRY, PLATFORMS.
set -o errexit
set -o nounset
set -o pipefail

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
git clone -q -b "v${VERSION}" --depth 1 "${SOURCE}" "${work}/clusteradm"
cd "${work}/clusteradm"
KO_DOCKER_REPO="${REGISTRY}" "${KO}" build -B ./cmd/clusteradm -t "${VERSION}" --sbom=none --platform "${PLATFORMS}"
