#!/usr/bin/env bash
# The sample's prerequisite check, in the form of KubeStellar v0.30.0's scripts/check_pre_req.sh:
# one is_installed_<program> function each, whose arguments are: name, command, version command
# (unstructured), version command (for comparison), how to install, minimum version
# [, another minimum, exclusive upper bound].

DOC_VERSION="0-30-0"

set -e

is_installed() {
    wantver="$6"
    if which "$2" > /dev/null ; then
        gotver=$(eval "$4" 2> /dev/null)
        if [ -n "$wantver" ] && [[ "$gotver" < "$wantver" ]]; then
            echo "X $1: '$gotver' is less than the minimum '$wantver'" >&2
            exit 2
        fi
        echo "ok $1 ($gotver)"
    else
        echo "X $1 (install: $5)"
        if [ "$assert" == "true" ]; then exit 2; fi
    fi
}

is_installed_docker() {
    is_installed 'Docker' \
        'docker' \
        'docker --version' \
        'docker --version' \
        'https://docs.docker.com/engine/install/' \
        'Docker version 20'
}

is_installed_go() {
    is_installed 'Go' \
        'go' \
        'go version' \
        'go version' \
        'https://go.dev/doc/install' \
        'go version 1.23'
}

is_installed_ginkgo() {
    is_installed 'Ginkgo' \
        'ginkgo' \
        'ginkgo version' \
        'ginkgo version' \
        'go install github.com/onsi/ginkgo/v2/ginkgo@v2.22.2' \
        'Ginkgo Version 2.0'
}

is_installed_helm() {
    is_installed 'Helm' \
        'helm' \
        'helm version' \
        'helm version --template={{.Version}}' \
        'https://helm.sh/docs/intro/install/' \
        'v3'
}

is_installed_kflex() {
    is_installed 'KubeFlex' \
        'kflex' \
        'kflex version | grep "^Kubeflex version:"' \
        'kflex version | grep "^Kubeflex version:"' \
        'https://github.com/kubestellar/kubeflex' \
        'Kubeflex version: v0.9.3'
}

is_installed_kind() {
    is_installed 'Kind' \
        'kind' \
        'kind version' \
        'kind version' \
        'https://kind.sigs.k8s.io/docs/user/quick-start/#installation' \
        'kind v0.20'
}

is_installed_k3d() {
    is_installed 'k3d' \
        'k3d' \
        'k3d --version' \
        'k3d --version' \
        'https://k3d.io/#installation' \
        'k3d version v5.7.4'
}

is_installed_ko() {
    is_installed 'KO' \
        'ko' \
        'ko version' \
        'ko version' \
        'https://ko.build/install/' \
        '0.15'
}

is_installed_kubectl() {
    is_installed 'kubectl' \
        'kubectl' \
        'kubectl version --client | head -1' \
        "kubectl version --client -o json 2> /dev/null | grep gitVersion | cut '-d\"' -f4" \
        'https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/' \
        v1.29
}

is_installed_ocm() {
    is_installed 'OCM CLI' \
        'clusteradm' \
        'clusteradm version 2> /dev/null | grep ^client' \
        "clusteradm version 2> /dev/null | grep ^client | awk '"'{ print $3 }'"'" \
        'bash <(curl -L https://raw.githubusercontent.com/open-cluster-management-io/clusteradm/refs/tags/v1.0.0/install.sh) 1.0.0' \
        "" \
        :v1.0 \
        :v1.1
}

PROGRAMS="@(docker|go|helm|kflex|kind|ko|kubectl|ocm|k3d|ginkgo)"

assert="false"
list="false"
programs=()
shopt -s extglob
while (( $# > 0 )); do
    case "$1" in
    (--assert|-A) assert="true";;
    (--list|-L) list="true";;
    ($PROGRAMS) programs+=("$1");;
    (*) echo "$0: unknown argument \"$1\"" >&2; exit 1;;
    esac
    shift
done

if [ "$list" == "true" ]; then
    echo "$PROGRAMS" | sed -e "s/^@(//" -e "s/)//" -e "s/|/ /g"
    exit 0
fi

if [ ${#programs[@]} -eq 0 ]; then
    programs=(docker kubectl kflex ocm helm kind k3d go ko)
fi
for p in "${programs[@]}"; do
    "is_installed_$p"
done
