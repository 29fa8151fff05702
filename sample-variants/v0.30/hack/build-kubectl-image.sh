#!/usr/bin/env bash
# Builds the kubectl image from hack/Dockerfile.kubectl (the sample's, in the shape of KubeStellar
# v0.30.0's hack/build-kubectl-image.sh).
# Usage: $0 [--version|-v release] [--registry registry] [--platform platforms]
set -e

kubectl_version=""
registry=quay.io/kubestellar
platform=linux/amd64,linux/arm64,linux/ppc64le

while (( $# > 0 )); do
    case "$1" in
    (--version|-v) kubectl_version="$2"; shift;;
    (--registry) registry="$2"; shift;;
    (--platform) platform="$2"; shift;;
    (*) echo "$0: unknown argument" >&2; exit 1;;
    esac
    shift
done

docker buildx build --push --platform "$platform" --build-arg VERSION="$kubectl_version" \
    -t "$registry/kubectl:${kubectl_version#v}" -f "$(dirname "$0")/Dockerfile.kubectl" .
