#!/usr/bin/env bash
# Runs a command as if on a slower machine: in a cgroup whose CPU quota is SHARE of this
# machine's cores (0.5 on 2 cores: one core's worth of time a period, spread over both), the
# way a container's CPU limit or a cloud's burstable instance caps it. Needs root; cgroup v1
# (cpu controller) or v2 (cpu.max). The cgroup is removed on exit, also on Ctrl-C or a kill.
#
#   tools/cpu_share.sh 0.5 -- tools/main_job.sh
#
# The exit status is the command's.
set -euo pipefail
SHARE=${1:-}
[ "${2:-}" = -- ] && [ $# -ge 3 ] || { echo "usage: $0 SHARE -- command..." >&2; exit 2; }
shift 2
awk -v s="$SHARE" 'BEGIN { exit !(s ~ /^[0-9]*\.?[0-9]+$/ && s > 0 && s <= 1) }' ||
  { echo "cpu_share.sh: SHARE must be a number in (0, 1], not '$SHARE'" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "cpu_share.sh: needs root (cgroups)" >&2; exit 2; }

PERIOD=100000  # µs
QUOTA=$(awk -v s="$SHARE" -v n="$(nproc)" -v p=$PERIOD 'BEGIN { printf "%d", s * n * p }')
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then  # v2
  CG=/sys/fs/cgroup/alexnet-share-$$
  grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
  mkdir "$CG"
  echo "$QUOTA $PERIOD" > "$CG/cpu.max"
elif [ -d /sys/fs/cgroup/cpu ]; then  # v1
  CG=/sys/fs/cgroup/cpu/alexnet-share-$$
  mkdir "$CG"
  echo $PERIOD > "$CG/cpu.cfs_period_us"
  echo "$QUOTA" > "$CG/cpu.cfs_quota_us"
else
  echo "cpu_share.sh: no cgroup cpu controller under /sys/fs/cgroup" >&2; exit 2
fi
cleanup() {
  trap - EXIT INT TERM
  [ -n "${CHILD:-}" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
  # Whatever is left in the cgroup goes back to the root before it is removed.
  local root; root=$(dirname "$CG")
  while read -r p; do echo "$p" > "$root/cgroup.procs" 2>/dev/null || true; done < "$CG/cgroup.procs"
  rmdir "$CG" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "cpu_share: ${SHARE} of $(nproc) cores (quota ${QUOTA} µs per ${PERIOD} µs)" >&2
# The command starts inside the cgroup: a shell moves itself in, then becomes the command.
bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@" &
CHILD=$!
rc=0
wait "$CHILD" || rc=$?
CHILD=
exit $rc
