#!/usr/bin/env bash
# The sample's E2E setup, in the shape of KubeStellar v0.30.0's test/e2e/common/setup-kubestellar.sh:
# a released core chart, or the local build loaded into the kind cluster.
set -x
set -e

use_release=false
if [ "$1" == "--released" ]; then use_release=true; fi

if [ "$use_release" == true ]; then
  helm upgrade --install ks-core oci://ghcr.io/kubestellar/kubestellar/core-chart \
    --version "$(yq .KUBESTELLAR_VERSION core-chart/values.yaml)" \
    --set-json='ITSes=[{"name":"its1"}]' \
    --set-json='WDSes=[{"name":"wds1"}]'
else
  make kind-load-image
  helm dependency update core-chart/
  helm upgrade --install ks-core core-chart/ \
    --set KUBESTELLAR_VERSION="$(git rev-parse --short HEAD)" \
    --set-json='ITSes=[{"name":"its1"}]' \
    --set-json='WDSes=[{"name":"wds1"}]'
fi
