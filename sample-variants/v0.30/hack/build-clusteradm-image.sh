#!/usr/bin/env bash
# Builds a clusteradm image with ko and pushes it (the sample's, in the shape of KubeStellar
# v0.30.0's hack/build-clusteradm-image.sh, including its per-version dependency patches).
# Usage: $0 [--version|-v release] [--registry registry] [--platform platforms]
set -e

clusteradm_folder="$(mktemp -d -p "$PWD" "clusteradm-XXXX")"
trap 'rm -rf "$clusteradm_folder"' EXIT

clusteradm_version=""
registry=quay.io/kubestellar
platform=linux/amd64,linux/arm64,linux/ppc64le

while (( $# > 0 )); do
    case "$1" in
    (--version|-v) clusteradm_version="$2"; shift;;
    (--registry) registry="$2"; shift;;
    (--platform) platform="$2"; shift;;
    (*) echo "$0: unknown argument" >&2; exit 1;;
    esac
    shift
done

clusteradm_version=${clusteradm_version#v}
git clone -b "v$clusteradm_version" --depth 1 https://github.com/open-cluster-management-io/clusteradm.git "$clusteradm_folder"
cd "$clusteradm_folder"

case "$clusteradm_version" in
    (0.10.*)
        go get github.com/docker/docker@v25.0.12 \
               github.com/containerd/containerd@v1.7.28 \
               golang.org/x/crypto@v0.40.0 \
               golang.org/x/net@v0.42.0 \
               golang.org/x/oauth2@v0.30.0 \
               helm.sh/helm/v3@v3.15.4
        go mod tidy
        go mod vendor
        ;;
    (0.11.0)
        go get github.com/docker/docker@v27.5.1 \
               github.com/containerd/containerd@v1.7.28 \
               golang.org/x/crypto@v0.40.0 \
               golang.org/x/net@v0.42.0 \
               golang.org/x/oauth2@v0.30.0 \
               helm.sh/helm/v3@v3.16.4
        go mod tidy
        go mod vendor
        ;;
esac

export KO_DOCKER_REPO=$registry
ko build -B ./cmd/clusteradm -t "$clusteradm_version" --sbom=none --platform "$platform"
