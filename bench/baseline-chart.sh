#!/usr/bin/env bash
# Baseline for the benchmark: the commands of KubeStellar v0.24.0's `make chart` after its
# `manifests` prerequisite, on the checkout given as $1 (kustomize edit in place, build,
# yq twice, git checkout).
#
# Environment: KUSTOMIZE, YQ (binaries), CONTROLLER_MANAGER_IMAGE.
set -o errexit
set -o nounset
set -o pipefail

cd "$1"
(cd config/manager && "${KUSTOMIZE}" edit set image "controller=$(echo "${CONTROLLER_MANAGER_IMAGE}" | sed 's/\(:.*\)v/\1/')")
"${KUSTOMIZE}" build config/default \
    | "${YQ}" '. | select(.kind == "ClusterRole*").metadata.name |= "{{.Values.ControlPlaneName}}-" + .' \
    | "${YQ}" '. | select(.kind == "ClusterRoleBinding").roleRef.name |= "{{.Values.ControlPlaneName}}-" + .' \
    > chart/templates/controller-manager.yaml
git checkout -- config/manager/kustomization.yaml
