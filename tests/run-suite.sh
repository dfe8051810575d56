#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what it needs (as root), builds
# logcanary with AddressSanitizer + UndefinedBehaviorSanitizer, and runs every test through ctest
# (unit tests, the botocore signature comparison, radosgw and fixture-server integration tests).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${LC_BUILD_DIR:-$top/build-test}

"$top/packaging/install-deps.sh" --test

cmake -S "$top" -B "$build" -DLC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build "$build" -j"$(nproc)"
cd "$build"
# LeakSanitizer needs ptrace-free exits; halt on the first UBSan report so it cannot scroll by.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --output-on-failure --timeout 600 -j2 "$@"
