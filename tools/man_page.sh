#!/usr/bin/env bash
# Writes alexnet(1) from the command's own --help texts (help2man): the top-level help, then a
# section per command with that command's flags.
#   tools/man_page.sh BINARY OUT.1
set -euo pipefail
bin=$1 out=$2
extra=$(mktemp)
trap 'rm -f "$extra"' EXIT
commands=$("$bin" --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}')
{
  echo "[COMMANDS]"
  for c in $commands; do
    echo ".SS $c"
    echo ".nf"
    "$bin" "$c" --help | sed 's/\\/\\\\/g; s/^\./\\\&./'
    echo ".fi"
  done
  echo "[SEE ALSO]"
  echo "The documentation in /usr/share/doc/alexnet (README.md and docs/), and the C++ API in"
  echo "alexnet/alexnet.hpp."
} > "$extra"
help2man --no-info --section=1 --name="train, evaluate and use AlexNet (Krizhevsky et al. 2012) on oneDNN" \
  --include="$extra" --output="$out.tmp" "$bin"
mv "$out.tmp" "$out"
