#!/usr/bin/env bash
# `cmake --install` into a user prefix, then everything from outside the clone, as a user would:
# the installed command (--version, predict, the man page), the two examples of examples/ built
# against the installed CMake package (find_package(alexnet REQUIRED)) and run, the Python
# module from the prefix, and find_package(alexnet 99) refused with CMake's version message.
#   tests/install_test.sh BUILD_DIR
set -euo pipefail
# The table's kernels (kernels/tuning.hpp): nothing measured, nothing written to ~/.cache.
export ALEXNET_TUNE="${ALEXNET_TUNE:-off}"
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
for f in bin/alexnet lib/libalexnet.so lib/libalexnet.so.1 include/alexnet/alexnet.hpp include/alexnet/version.hpp \
         lib/cmake/alexnet/alexnetConfig.cmake lib/cmake/alexnet/alexnetConfigVersion.cmake \
         lib/cmake/alexnet/alexnetTargets.cmake share/man/man1/alexnet.1 share/doc/alexnet/README.md \
         share/doc/alexnet/LICENSE share/doc/alexnet/docs/cpp.md share/doc/alexnet/examples/CMakeLists.txt; do
  [ -e "$prefix/$f" ] || fail "cmake --install did not install $f"
done
cd "$tmp"  # nothing below reads the clone
version=$("$prefix/bin/alexnet" --version | head -1)
[ "$version" = "alexnet $(sed -n 's/#define ALEXNET_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/alexnet/version.hpp")" ] ||
  fail "--version said '$version'"
man -l "$prefix/share/man/man1/alexnet.1" 2>/dev/null | grep -q "predict" || grep -q "predict" "$prefix/share/man/man1/alexnet.1" ||
  fail "the man page does not describe predict"
echo "installed: $version"

# Images and weights: Fashion-MNIST's test split as PNG folders, and one epoch of alexnet-mini
# on them, by the installed command.
"$prefix/bin/alexnet" prepare /usr/share/datasets/fashion-mnist "$tmp/images" --split test --limit 60 > /dev/null
OMP_NUM_THREADS=2 "$prefix/bin/alexnet" train --arch alexnet-mini --data "$tmp/images" --epochs 1 --batch 16 \
  --out "$tmp/trained" > "$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; fail "installed train"; }
weights=$tmp/trained/best.safetensors
image=$(find "$tmp/images" -name '*.png' | sort | head -1)
"$prefix/bin/alexnet" predict --weights "$weights" --topk 2 "$image" | grep -q "$image" || fail "installed predict"

cmake -S "$prefix/share/doc/alexnet/examples" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/examples.log" ||
  { cat "$tmp/examples.log"; fail "configuring the examples against the installed package"; }
cmake --build "$tmp/examples" -j2 > "$tmp/examples-build.log" || { cat "$tmp/examples-build.log"; fail "building the examples"; }
# They link the prefix's library, not the build folder's.
linked=$(ldd "$tmp/examples/classify")
grep -q "$prefix/lib/libalexnet.so.1" <<< "$linked" || { echo "$linked"; fail "classify does not link $prefix/lib"; }
out=$("$tmp/examples/classify" "$weights" "$image" 3)
echo "$out" | grep -q "alexnet-mini, 10 classes" || fail "classify printed: $out"
echo "$out" | grep -q "fc7: 512 values" || fail "classify printed: $out"
[ "$(echo "$out" | grep -cE '^[^ ]+ +[0-9] +0\.[0-9]{4}$')" = 3 ] || fail "classify printed: $out"
"$tmp/examples/classify" "$tmp/missing.safetensors" "$image" > "$tmp/err.txt" 2>&1 && fail "classify accepted a missing file"
grep -q "error: .*missing.safetensors" "$tmp/err.txt" || fail "classify's error: $(cat "$tmp/err.txt")"
out=$(OMP_NUM_THREADS=2 "$tmp/examples/fine_tune" "$weights" "$tmp/images" "$tmp/run" 1 2>/dev/null)
echo "$out" | grep -q "^epoch 1: loss" || fail "fine_tune printed: $out"
[ -s "$tmp/run/best.safetensors" ] || fail "fine_tune wrote no best.safetensors"
echo "examples: classify and fine_tune built against the installed package and ran"

# The Python module, from the prefix (a user prefix's site-packages).
if [ -n "$(find "$prefix/lib" -name '_alexnet*.so' 2>/dev/null)" ]; then
  site=$(dirname "$(dirname "$(find "$prefix/lib" -name '_alexnet*.so' | head -1)")")
  PYTHONPATH=$site /usr/bin/python3 -c "
import alexnet, sys
m = alexnet.load('$weights')
assert m.arch == 'alexnet-mini', m.arch
assert alexnet.__file__.startswith('$prefix'), alexnet.__file__
print('python: alexnet from', alexnet.__file__)"
fi

# A version the package is not: CMake's own message.
mkdir -p "$tmp/v99"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(v LANGUAGES CXX)\nfind_package(alexnet 99 REQUIRED)\n' > "$tmp/v99/CMakeLists.txt"
if cmake -S "$tmp/v99" -B "$tmp/v99/b" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/v99.log" 2>&1; then fail "find_package(alexnet 99) succeeded"; fi
grep -q 'but it set "PACKAGE_VERSION_COMPATIBLE" to FALSE\|is not compatible with requested version\|version: 1.0.0' "$tmp/v99.log" ||
  { cat "$tmp/v99.log"; fail "find_package(alexnet 99) failed without the version message"; }
echo "find_package(alexnet 99): refused with the version message"
