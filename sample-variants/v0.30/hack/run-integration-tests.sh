#!/usr/bin/env bash
# Runs the integration tests with an etcd on PATH, downloading the pinned one when there is none
# (the sample's, in the shape of KubeStellar v0.30.0's hack/run-integration-tests.sh).
set -e

if ! which etcd; then
    etcd_version=3.5.16
    platform=linux-amd64
    etcd_archive_url="https://github.com/etcd-io/etcd/releases/download/v${etcd_version}/etcd-v${etcd_version}-${platform}.tar.gz"
    wget --no-verbose "$etcd_archive_url" -O etcd.tar.gz
    tar xzf etcd.tar.gz
    export PATH=${PATH}:${PWD}/etcd-v${etcd_version}-${platform}
    rm etcd.tar.gz
fi

go test -v ./test/integration/...
