#!/usr/bin/env bash
# Runs clusteradm from the image KubeStellar publishes (a script that refers to an artifact).
set -o errexit
set -o nounset
set -o pipefail

CLUSTERADM_IMAGE=quay.io/kubestellar/clusteradm:0.8.2
exec docker run --rm "${CLUSTERADM_IMAGE}" "$@"
