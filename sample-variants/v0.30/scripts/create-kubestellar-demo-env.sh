#!/usr/bin/env bash
# Creates a demo environment from the released chart (the sample's, in the shape of KubeStellar
# v0.30.0's scripts/create-kubestellar-demo-env.sh).
set -e

kubestellar_version=0.30.0

helm upgrade --install ks-core oci://ghcr.io/kubestellar/kubestellar/core-chart \
    --version "$kubestellar_version" \
    --set-json='ITSes=[{"name":"its1"}]' \
    --set-json='WDSes=[{"name":"wds1"}]'
