#!/usr/bin/env bash
# Installs the Debian packages Cairn builds and tests with. Idempotent and
# quiet when everything is already present; Debian packages only.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache
  clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  librocksdb-dev libprotobuf-dev protobuf-compiler libgoogle-perftools-dev
  libgrpc++-dev protobuf-compiler-grpc libssl-dev
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev
  etcd-client etcd-server python3-etcd3
  python3-matplotlib python3-grpcio python3-protobuf
  chromium  # headless, for the dashboard test (tests/integration/dashboard_check.py)
  iproute2 iptables e2fsprogs util-linux gdb
  clang libclang-rt-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: need root to apt-get install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
