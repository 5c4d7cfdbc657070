#!/usr/bin/env bash
# The Debian package, as a user gets it: `cpack -G DEB` in the build folder, `apt-get install
# ./alexnet_*.deb`, the README's recipes from a folder outside the clone (the command on the
# PATH, its man page, the Python module under Debian's python3, a C++ program built on
# find_package(alexnet)), an upgrade from an older version, then `apt-get remove alexnet`
# leaving none of its files behind. Needs root and apt; skipped (exit 77) without them, or when
# an alexnet package is already installed (it is not this test's to remove).
#   tests/package_test.sh BUILD_DIR
set -euo pipefail
# The table's kernels (kernels/tuning.hpp): nothing measured, nothing written to ~/.cache.
export ALEXNET_TUNE="${ALEXNET_TUNE:-off}"
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] && command -v apt-get > /dev/null || { echo "skipped: needs root and apt-get"; exit 77; }
if dpkg-query -W -f='${Status}' alexnet 2>/dev/null | grep -q "install ok installed"; then
  echo "skipped: an alexnet package is installed already"; exit 77
fi
tmp=$(mktemp -d)
cleanup() {
  dpkg-query -W -f='${Status}' alexnet 2>/dev/null | grep -q "install ok installed" &&
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq alexnet > /dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
version=$(sed -n 's/#define ALEXNET_VERSION_STRING "\(.*\)"/\1/p' "$build/include/alexnet/version.hpp")

# An older version first (the same files, numbered 0.0.1), then this one over it: an upgrade.
(cd "$build" && cpack -G DEB -B "$tmp/old" -D CPACK_PACKAGE_VERSION=0.0.1 > "$tmp/cpack-old.log") ||
  { cat "$tmp/cpack-old.log"; fail "cpack (0.0.1)"; }
(cd "$build" && cpack -G DEB -B "$tmp/new" > "$tmp/cpack.log") || { cat "$tmp/cpack.log"; fail "cpack"; }
deb=$tmp/new/alexnet_${version}_amd64.deb
[ -f "$deb" ] || fail "cpack wrote $(ls "$tmp/new")"
depends=$(dpkg-deb -f "$deb" Depends)
echo "$depends" | grep -q "libdnnl" || fail "the package's Depends lack oneDNN: $depends"
echo "package: $(basename "$deb"), Depends: $depends"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "$tmp/old/alexnet_0.0.1_amd64.deb" > "$tmp/apt-old.log" 2>&1 || { cat "$tmp/apt-old.log"; fail "installing 0.0.1"; }
apt-get install -y -qq "$deb" > "$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; fail "installing $deb over 0.0.1"; }
[ "$(dpkg-query -W -f='${Version}' alexnet)" = "$version" ] || fail "the upgrade left $(dpkg-query -W -f='${Version}' alexnet)"
files=$(dpkg -L alexnet)

cd "$tmp"  # the README's recipes, outside the clone, in a new shell
env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp" bash -c '
  set -euo pipefail
  alexnet --version | head -1
  test -s /usr/share/man/man1/alexnet.1
  alexnet prepare /usr/share/datasets/fashion-mnist images --split test --limit 30 > /dev/null
  img=$(find images -name "*.png" | sort | head -1)
  alexnet train --arch alexnet-mini --data images --epochs 1 --batch 16 --out run > /dev/null 2>&1
  set -- run/best.safetensors
  alexnet predict --weights "$1" --topk 3 "$img" | grep -q "$img"
  alexnet convert "$1" model.onnx > /dev/null
  alexnet predict --weights model.onnx "$img" > /dev/null
  /usr/bin/python3 -c "import alexnet; m = alexnet.load(\"$1\"); assert m.arch == \"alexnet-mini\"; print(\"python:\", alexnet.__file__)"
  mkdir ex && cp -r /usr/share/doc/alexnet/examples/. ex/
  cmake -S ex -B ex/build > /dev/null && cmake --build ex/build -j2 > /dev/null
  ex/build/classify "$1" "$img" 2 | head -1
'  || fail "a recipe failed with the package installed"

apt-get remove -y -qq alexnet > "$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log"; fail "apt-get remove"; }
left=""
while read -r f; do
  [ -e "$f" ] && [ ! -d "$f" ] && left="$left $f"
done <<< "$files"
[ -z "$left" ] || fail "left behind after removal:$left"
[ ! -e /usr/lib/python3/dist-packages/alexnet ] || fail "left behind: /usr/lib/python3/dist-packages/alexnet"
echo "package: installed, upgraded, recipes ran, removed without a trace"
