#!/usr/bin/env bash
# Builds a helm image with ko and pushes it (the sample's, in the shape of KubeStellar v0.30.0's
# hack/build-helm-image.sh, including its per-version dependency patches).
# Usage: $0 [--version|-v release] [--registry registry] [--platform platforms]
set -e

helm_folder="$(mktemp -d -p "$PWD" "helm-XXXX")"
trap 'rm -rf "$helm_folder"' EXIT

helm_version=""
registry=quay.io/kubestellar
platform=linux/amd64,linux/arm64,linux/ppc64le

while (( $# > 0 )); do
    case "$1" in
    (--version|-v) helm_version="$2"; shift;;
    (--registry) registry="$2"; shift;;
    (--platform) platform="$2"; shift;;
    (*) echo "$0: unknown argument" >&2; exit 1;;
    esac
    shift
done

helm_version=${helm_version#v}
git clone -b "v$helm_version" --depth 1 https://github.com/helm/helm.git "$helm_folder"
cd "$helm_folder"

case "$helm_version" in
    (3.16.*)
	go get golang.org/x/net@v0.42.0 github.com/containerd/containerd@v1.7.28 golang.org/x/oauth2@v0.30.0
	go mod tidy;;
esac

export KO_DOCKER_REPO=$registry
ko build -B ./cmd/helm -t "$helm_version" --sbom=none --platform "$platform"
