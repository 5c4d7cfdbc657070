#!/usr/bin/env bash
# The one instrumented build (build-asan) that both tools/sanitize.sh and tools/fuzz.sh use: the
# library, the command, the tests and the fuzz targets under AddressSanitizer and
# UndefinedBehaviorSanitizer, compiled by Debian's clang-16 with libFuzzer's coverage hooks.
#   tools/asan_build.sh [TARGET...]     builds those targets (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build-asan
missing=()
for p in clang-16 libfuzzer-16-dev libomp-16-dev; do  # libomp: clang's OpenMP, for the library
  dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "install ok installed" || missing+=($p)
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
CC=clang-16 CXX=clang++-16 cmake -S . -B $B -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALEXNET_FUZZ=ON -DALEXNET_PYTHON=OFF >/dev/null
if [ $# -eq 0 ]; then
  cmake --build $B -j2 >/dev/null
else
  for t in "$@"; do cmake --build $B -j2 --target "$t" >/dev/null; done
fi
