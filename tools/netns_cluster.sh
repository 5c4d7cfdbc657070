#!/usr/bin/env bash
# A cluster on one machine: N network namespaces, each a "host" with its own address, joined
# through veth pairs and a bridge, every link shaped with tc's token bucket (tbf, on both ends
# of each veth), and an unchanged `mpirun ... COMMAND` across them over Open MPI's TCP
# transport. mpirun reaches a "host" by entering its namespace (ip netns exec) where it would
# otherwise ssh. Needs root (CAP_NET_ADMIN).
#
#   tools/netns_cluster.sh [--ranks 2] [--rate 150mbit] [--timeout 900] -- build/alexnet train ...
#
# --rate takes tc's units (100mbit, 1gbit, 10gbit); without it the links are unshaped veths.
# Traffic stays on addresses the script gave its own namespaces; the run is bounded by
# --timeout, and everything made is removed on exit, also on Ctrl-C, a kill or a timeout.
# The exit status is the command's (124 after a timeout).
set -euo pipefail
RANKS=2 RATE= TIMEOUT=900
while [ $# -gt 0 ]; do
  case $1 in
    --ranks) RANKS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "netns_cluster.sh: unknown option '$1' (usage: $0 [--ranks N] [--rate R] [--timeout S] -- command...)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "netns_cluster.sh: no command after --" >&2; exit 2; }
[[ $RANKS =~ ^[0-9]+$ ]] && [ "$RANKS" -ge 1 ] && [ "$RANKS" -le 64 ] || { echo "netns_cluster.sh: --ranks must be 1-64, not '$RANKS'" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "netns_cluster.sh: needs root (network namespaces)" >&2; exit 2; }

# Names unique to this invocation; interface names stay within the kernel's 15 characters.
ID=$$
NET=10.$((200 + ID % 50)).$((ID / 50 % 250)).0
PREFIX=${NET%.0}
BR=anb$ID
WORK=$(mktemp -d "${TMPDIR:-/tmp}/netns_cluster.XXXXXX")
ns() { echo "alexnet-$ID-$1"; }

cleanup() {
  trap - EXIT INT TERM
  sent_by_hosts
  for i in $(seq 0 $((RANKS - 1))); do
    local n; n=$(ns "$i")
    if [ -e "/var/run/netns/$n" ]; then
      ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
      ip netns del "$n" 2>/dev/null || true  # takes the veth pair with it
    fi
  done
  ip link del "$BR" 2>/dev/null || true
  rm -rf "$WORK"
}
# What each host's link carried out of it, all of the run (the command's traffic and the
# launcher's), for the record: "netns_cluster: bytes sent by host: 1234 5678".
sent_by_hosts() {
  local line=
  for i in $(seq 0 $((RANKS - 1))); do
    [ -e "/var/run/netns/$(ns "$i")" ] || return 0
    line+=" $(ip netns exec "$(ns "$i")" cat /sys/class/net/eth0/statistics/tx_bytes 2>/dev/null || echo '?')"
  done
  echo "netns_cluster: bytes sent by host:$line" >&2
}
CHILD=
stop() {  # a signal: end the command (mpirun ends its ranks), then clean up
  [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
  exit "$1"
}
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

# tbf needs a bucket of at least one (GSO) packet and a few ms of the rate.
burst() {
  awk -v r="$1" 'BEGIN {
    if (!match(tolower(r), /^[0-9.]+[kmg]?(bit|bps)$/)) { print "netns_cluster.sh: --rate \x27" r "\x27 is not a tc rate such as 150mbit or 1gbit" > "/dev/stderr"; exit 2 }
    v = tolower(r) + 0; u = tolower(r); sub(/^[0-9.]+/, "", u)
    m = substr(u, 1, 1) == "k" ? 1e3 : substr(u, 1, 1) == "m" ? 1e6 : substr(u, 1, 1) == "g" ? 1e9 : 1
    bits = v * m * (u ~ /bps$/ ? 8 : 1); b = int(bits / 8 * 0.004)
    print (b > 98304 ? b : 98304) }'
}
shape() {  # device, [namespace]
  [ -n "$RATE" ] || return 0
  local b; b=$(burst "$RATE")
  ${2:+ip netns exec "$2"} tc qdisc add dev "$1" root tbf rate "$RATE" burst "$b" latency 100ms
}

[ -z "$RATE" ] || burst "$RATE" >/dev/null || exit 2
ip link add "$BR" type bridge
ip addr add "$PREFIX.1/24" dev "$BR"
ip link set "$BR" up
HOSTS=
for i in $(seq 0 $((RANKS - 1))); do
  n=$(ns "$i")
  ip netns add "$n"
  ip link add "anh${ID}r$i" type veth peer name "ann${ID}r$i"
  ip link set "ann${ID}r$i" netns "$n"
  ip -n "$n" link set "ann${ID}r$i" name eth0
  ip -n "$n" addr add "$PREFIX.$((10 + i))/24" dev eth0
  ip -n "$n" link set lo up
  ip -n "$n" link set eth0 up
  ip link set "anh${ID}r$i" master "$BR" up
  shape "anh${ID}r$i"
  shape eth0 "$n"
  HOSTS+="${HOSTS:+,}$PREFIX.$((10 + i)):1"
  echo "$PREFIX.$((10 + i)) $n" >> "$WORK/hosts"
done

# mpirun's remote shell: "agent HOST COMMAND..." runs COMMAND inside HOST's namespace, under
# the namespace's own host name (a UTS namespace): Open MPI keys its session directory (and the
# topology file it maps there) by host name, and daemons of one job that shared one crashed
# about one launch in 30 as two wrote that file at once.
cat > "$WORK/agent" <<EOF
#!/bin/sh
host=\$1; shift
ns=\$(awk -v h="\$host" '\$1 == h { print \$2 }' "$WORK/hosts")
[ -n "\$ns" ] || { echo "netns_cluster agent: unknown host \$host" >&2; exit 1; }
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$ns && \$*"
EOF
chmod +x "$WORK/agent"

echo "netns_cluster: $RANKS hosts ($(ns '*')) on $NET/24, links ${RATE:-unshaped}" >&2
# One rank a host, bound to no core (each "host" would otherwise bind its rank to core 0);
# TCP only (shared memory would bypass the links).
# In the background, so that a signal reaches the trap at once (bash runs traps between
# commands, and would wait for a foreground mpirun first).
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout -k 10 "$TIMEOUT" \
  mpirun -np "$RANKS" --host "$HOSTS" --bind-to none \
  --mca plm_rsh_agent "$WORK/agent" --mca plm_rsh_no_tree_spawn 1 \
  --mca btl tcp,self --mca btl_tcp_if_include "$NET/24" --mca oob_tcp_if_include "$NET/24" \
  "$@" &
CHILD=$!
rc=0
wait "$CHILD" || rc=$?
CHILD=
[ $rc = 124 ] && echo "netns_cluster: the command ran past --timeout $TIMEOUT s and was stopped" >&2
exit $rc
