#!/usr/bin/env bash
# Installs the Debian 12 packages logcanary needs: --build for building, --test adds the real
# servers and clients the test suite and the demo run (radosgw, aws-cli, botocore), and the
# browser that renders the HTML report in the tests (chromium, headless).
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libcurl4-openssl-dev libssl-dev zlib1g-dev
            libcjson-dev libevent-dev libexpat1-dev libcmocka-dev)
test_pkgs=(python3 python3-botocore awscli radosgw ceph-mon ceph-osd ceph-common openssl clang-format
           iproute2 procps systemd dpkg-dev chromium)

want=("${build_pkgs[@]}")
case "${1:---build}" in
--build) ;;
--test) want+=("${test_pkgs[@]}") ;;
*) echo "usage: $0 [--build|--test]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
