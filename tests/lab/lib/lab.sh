# NAT lab library (sourced by tests/lab/run and the scripts beside it): a topology of network namespaces
# with NAT routers, built from iproute2 (veth, bridge), nftables and, for delay/loss, tc netem or the
# userspace wire in wire.py. Everything a lab creates carries the prefix $LAB (sbl<pid>) and is removed
# by lab_cleanup, which lab_init installs as the EXIT/INT/TERM trap.
#
#                        203.0.113.0/24 ("public": server segment)
#             server 203.0.113.10 (+ .11, RFC 5780 alternate address)
#                               |
#                     inet (router, no NAT) .1
#              192.0.2.1 /             \ 198.51.100.1          <- the "internet" links (impairable)
#       192.0.2.2 natA (wan)          natB (wan) 198.51.100.2
#          10.0.1.1 br0                 br0 10.0.2.1           <- site LANs (bridges), private ranges
#         a1 .11    a2 .12              b1 .11                 <- client hosts
#
# Addresses exist only inside the lab's namespaces; inet has no default route, so nothing can leave.
# shellcheck shell=bash

LAB_SERVER_IP=203.0.113.10
LAB_SERVER_ALT_IP=203.0.113.11
LAB_INET_SRV_IP=203.0.113.1
declare -A LAB_WAN_IP=([a]=192.0.2.2 [b]=198.51.100.2)
declare -A LAB_WAN_GW=([a]=192.0.2.1 [b]=198.51.100.1)
declare -A LAB_LAN_NET=([a]=10.0.1 [b]=10.0.2)
declare -A LAB_NAT_MODE=()
LAB_HOSTS=()          # client host namespaces created, e.g. "a1 a2 b1"
LAB_NAMESPACES=()     # every namespace name created (full names)
LAB_PIDS=()           # every process started in the topology (killed by PID in lab_down / lab_cleanup)
LAB_EXTRA_PIDS=()     # helpers that live as long as the lab itself (killed by PID in lab_cleanup)
LAB_DIR=""            # scratch directory: logs, pid files
LAB_QUIET=${LAB_QUIET:-0}
# Debian's python3 (stdlib only); a pyenv shim on PATH costs seconds per start on a loaded machine.
LAB_PY=${LAB_PY:-$(command -v /usr/bin/python3 || command -v python3)}
LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

LAB_T0=${EPOCHREALTIME/./}
lab_now_ms() { echo $(( (${EPOCHREALTIME/./} - LAB_T0) / 1000 )); }  # ms since the library was loaded
lab_log() {
  [ "$LAB_QUIET" = 1 ] && return
  local ms; ms=$(lab_now_ms)
  printf 'lab %4d.%ds: %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
lab_die() { echo "lab: ERROR: $*" >&2; exit 1; }
lab_ns() { echo "$LAB-$1"; }                      # short name -> namespace name
lab_exec() { local n=$1; shift; ip netns exec "$(lab_ns "$n")" "$@"; }
lab_ipn() { local n=$1; shift; ip -n "$(lab_ns "$n")" "$@"; }

# Can this process make namespaces? (root, CAP_NET_ADMIN, a kernel with netns + veth + nftables.)
# Returns 0 if yes; prints the reason otherwise. Leaves nothing behind.
lab_can_run() {
  local probe="sblprobe$$"
  if [ "$(id -u)" -ne 0 ]; then echo "not root"; return 1; fi
  local t
  for t in ip nft sysctl; do command -v "$t" >/dev/null || { echo "$t not installed"; return 1; }; done
  if ! ip netns add "$probe" 2>/dev/null; then echo "ip netns add failed (no CAP_SYS_ADMIN / netns)"; return 1; fi
  local ok=0 why=""
  if ! ip -n "$probe" link add v0 type veth peer name v1 2>/dev/null; then why="veth unavailable"; ok=1
  elif ! ip netns exec "$probe" nft add table ip probe 2>/dev/null; then why="nftables unavailable"; ok=1
  fi
  ip netns del "$probe" 2>/dev/null
  [ $ok -eq 0 ] || echo "$why"
  return $ok
}

# Removes namespaces left by earlier labs that were killed with SIGKILL (their owner PID is gone).
lab_sweep_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^sbl[0-9]+-' || true); do
    pid=${ns#sbl}; pid=${pid%%-*}
    if ! kill -0 "$pid" 2>/dev/null; then
      lab_log "removing stale namespace $ns (owner pid $pid is gone)"
      lab_kill_ns_procs "$ns"
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

# Kills every process still running inside namespace $1 (only ever our own namespaces).
lab_kill_ns_procs() {
  local ns=$1 p
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
}

lab_init() {
  LAB="sbl$$"
  LAB_DIR=$(mktemp -d "/tmp/$LAB.XXXXXX")
  trap lab_cleanup EXIT
  trap 'lab_log "interrupted"; exit 130' INT
  trap 'lab_log "terminated"; exit 143' TERM
  lab_log "lab $LAB, scratch $LAB_DIR"
}

lab_cleanup() {
  local rc=$? p ns
  trap - EXIT INT TERM
  for p in "${LAB_PIDS[@]}" "${LAB_EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    for p in "${LAB_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  for p in "${LAB_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for ns in "${LAB_NAMESPACES[@]}"; do lab_kill_ns_procs "$ns"; done
  for ns in "${LAB_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  # Anything with our prefix that escaped the list (e.g. a namespace half-made when a command failed).
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB-" || true); do
    lab_kill_ns_procs "$ns"; ip netns del "$ns" 2>/dev/null || true
  done
  if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
    if [ "${LAB_KEEP_LOGS:-0}" = 1 ] || [ $rc -ne 0 ]; then lab_log "logs kept in $LAB_DIR"
    else rm -rf "$LAB_DIR"; fi
  fi
  local left
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -c "^$LAB-" || true)
  [ "$left" = 0 ] || echo "lab: WARNING: $left namespaces of $LAB could not be removed" >&2
  exit $rc
}

# Namespace set-up is batched: every `ip` or `sysctl` costs a fork and exec, which on a loaded 2-core
# machine is a tenth of a second each. lab_q queues an `ip` batch line for a namespace; lab_flush runs
# each namespace's queue as one `ip -n NS -batch`.
# Two queues: links are created (phase 1, lab_ql) in every namespace before any is configured (phase 2).
declare -A LAB_Q=() LAB_QL=()
lab_q() { local n=$1; shift; LAB_Q[$n]+="$*"$'\n'; }
lab_ql() { local n=$1; shift; LAB_QL[$n]+="$*"$'\n'; }
lab_flush() {
  local n
  for n in "$@"; do
    [ -n "${LAB_QL[$n]:-}" ] || continue
    printf '%s' "${LAB_QL[$n]}" | ip -n "$(lab_ns "$n")" -batch - || lab_die "ip batch (links) in $n failed"
    LAB_QL[$n]=""
  done
  for n in "$@"; do
    [ -n "${LAB_Q[$n]:-}" ] || continue
    printf '%s' "${LAB_Q[$n]}" | ip -n "$(lab_ns "$n")" -batch - || lab_die "ip batch in $n failed"
    LAB_Q[$n]=""
  done
}

lab_add_ns() {  # short-name [extra sysctl key=value...]
  local n=$1 ns; ns=$(lab_ns "$1"); shift
  ip netns add "$ns" || lab_die "cannot create namespace $ns"
  LAB_NAMESPACES+=("$ns")
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 "$@" ||
    lab_die "sysctl in $ns"
  lab_q "$n" link set lo up
}

# veth between two namespaces: lab_veth NS1 IF1 NS2 IF2 (names are local to each namespace). Queued.
lab_veth() {
  lab_ql "$1" link add "$2" type veth peer name "$4" netns "$(lab_ns "$3")"
  lab_q "$1" link set "$2" up
  lab_q "$3" link set "$4" up
}

# An "internet" link between inet and a site's NAT router. With LAB_IMPAIR="delay=MS loss=PCT" the link
# gets delay and loss both ways: tc netem where the kernel has it, otherwise the userspace wire (wire.py).
# The link itself is made at once (wire) or queued (veth); addresses are queued.
lab_internet_link() {  # site
  local s=$1 inet_if="s$1" mode
  mode=$(lab_impair_mode)
  if [ "$mode" = wire ]; then
    local delay loss
    delay=$(lab_impair_get delay); loss=$(lab_impair_get loss)
    local ready="$LAB_DIR/wire-$s.ready"
    "$LAB_PY" "$LAB_LIB_DIR/wire.py" --prefix "${LAB}w$s" --ns-a "$(lab_ns nat$s)" --if-a wan \
      --ns-b "$(lab_ns inet)" --if-b "$inet_if" --delay-ms "${delay:-0}" --loss-pct "${loss:-0}" \
      --ready-file "$ready" >"$LAB_DIR/wire-$s.log" 2>&1 &
    LAB_PIDS+=($!)
    lab_wait_file "$ready" 20 || lab_die "wire for site $s did not start: $(cat "$LAB_DIR/wire-$s.log")"
  else
    lab_veth "nat$s" wan inet "$inet_if"
  fi
  lab_q "nat$s" addr add "${LAB_WAN_IP[$s]}/24" dev wan
  lab_q inet addr add "${LAB_WAN_GW[$s]}/24" dev "$inet_if"
  lab_q "nat$s" route add default via "${LAB_WAN_GW[$s]}" dev wan
}

lab_netem() {  # site: after the links exist
  local args; args=$(lab_netem_args)
  lab_exec "nat$1" tc qdisc add dev wan root netem $args || lab_die "netem on nat$1"
  lab_exec inet tc qdisc add dev "s$1" root netem $args || lab_die "netem on inet"
}

lab_impair_get() { local kv; for kv in ${LAB_IMPAIR:-}; do [ "${kv%%=*}" = "$1" ] && echo "${kv#*=}"; done; }
lab_netem_args() {
  local d l out=""
  d=$(lab_impair_get delay); l=$(lab_impair_get loss)
  [ -n "$d" ] && out="delay ${d}ms"
  [ -n "$l" ] && out="$out loss ${l}%"
  echo "$out"
}
# none | netem | wire. netem is tried once per run in a throwaway namespace.
lab_impair_mode() {
  [ -z "${LAB_IMPAIR:-}" ] && { echo none; return; }
  if [ -z "${LAB_NETEM_OK:-}" ]; then
    local probe="$LAB-netem"
    LAB_NETEM_OK=0
    if ip netns add "$probe" 2>/dev/null; then
      ip -n "$probe" link add v0 type veth peer name v1 2>/dev/null &&
        ip netns exec "$probe" tc qdisc add dev v0 root netem delay 1ms 2>/dev/null && LAB_NETEM_OK=1
      ip netns del "$probe"
    fi
  fi
  if [ "$LAB_NETEM_OK" = 1 ]; then echo netem; else echo wire; fi
}

lab_wait_file() {  # file seconds
  local i n=$(($2 * 10))
  for ((i = 0; i < n; i++)); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

# Builds the whole topology. Hosts: list of client hosts to create (a1 a2 b1 ...).
lab_up() {
  local hosts=${1:-"a1 b1"} s h all
  lab_add_ns inet net.ipv4.ip_forward=1
  lab_add_ns srv
  for s in a b; do lab_add_ns "nat$s" net.ipv4.ip_forward=1; done
  for h in $hosts; do lab_add_ns "$h"; done
  # Links first (each made from one side), then addresses and routes.
  lab_veth inet srv srv eth0
  for s in a b; do
    lab_internet_link "$s"
    lab_ql "nat$s" link add br0 type bridge
    lab_q "nat$s" link set br0 up
    lab_q "nat$s" addr add "${LAB_LAN_NET[$s]}.1/24" dev br0
  done
  for h in $hosts; do lab_add_host "$h"; done
  lab_q inet addr add "$LAB_INET_SRV_IP/24" dev srv
  lab_q srv addr add "$LAB_SERVER_IP/24" dev eth0
  lab_q srv addr add "$LAB_SERVER_ALT_IP/24" dev eth0
  lab_q srv route add default via "$LAB_INET_SRV_IP"
  all="inet srv nata natb $hosts"
  lab_flush $all
  [ "$(lab_impair_mode)" = netem ] && for s in a b; do lab_netem "$s"; done
  for s in a b; do lab_set_nat "$s" "${LAB_NAT_MODE[$s]:-eim}"; done
  lab_log "topology up: server $LAB_SERVER_IP, site a ${LAB_NAT_MODE[a]:-eim}, site b ${LAB_NAT_MODE[b]:-eim}," \
    "hosts: $hosts, impairment: ${LAB_IMPAIR:-none} ($(lab_impair_mode))"
}

lab_add_host() {  # a1 | a2 | b1 ...: site letter + index (namespace made by lab_up)
  local h=$1 s=${1:0:1} i=${1:1}
  lab_veth "nat$s" "p$i" "$h" eth0
  lab_q "nat$s" link set "p$i" master br0
  lab_q "$h" addr add "${LAB_LAN_NET[$s]}.$((10 + i))/24" dev eth0
  lab_q "$h" route add default via "${LAB_LAN_NET[$s]}.1"
  LAB_HOSTS+=("$h")
}
lab_host_ip() { local s=${1:0:1} i=${1:1}; echo "${LAB_LAN_NET[$s]}.$((10 + i))"; }

# NAT behaviour of a site's router (replaces the previous rules):
#   eim      masquerade; Linux keeps the source port when it is free, so the mapping is endpoint-
#            independent (RFC 4787 EIM) and port-preserving; filtering admits only replies (conntrack).
#   sym      masquerade fully-random: a new random port for every 5-tuple = address-and-port-dependent
#            mapping ("symmetric NAT"); filtering admits only replies.
#   udpblock eim for TCP, every outbound UDP datagram dropped; TCP only to the server's signaling and
#            TURN TCP/TLS ports (LAB_TCP_PORTS).
lab_set_nat() {  # site mode
  local s=$1 mode=$2 masq="masquerade" extra=""
  case "$mode" in
    eim) ;;
    sym) masq="masquerade fully-random" ;;
    udpblock)
      extra="oifname \"wan\" meta l4proto udp counter drop
        oifname \"wan\" ip daddr $LAB_SERVER_IP tcp dport { ${LAB_TCP_PORTS:-8080, 3478, 5349} } accept
        oifname \"wan\" counter drop" ;;
    *) lab_die "unknown NAT mode '$mode' (eim|sym|udpblock)" ;;
  esac
  LAB_NAT_MODE[$s]=$mode
  lab_exec "nat$s" nft delete table ip lab 2>/dev/null || true
  lab_exec "nat$s" nft -f - <<EOF || lab_die "nft rules for site $s"
table ip lab {
  chain nat_postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" $masq
  }
  chain filter_forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" counter drop
    $extra
  }
  chain filter_input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" counter drop
  }
}
EOF
  # Connections tracked under the old rules keep their mappings; lab_up makes fresh namespaces, and a
  # mode changed mid-run only affects new flows (each call opens new ones).
}

# Starts a process inside a namespace, output to $LAB_DIR/<tag>.log; prints nothing, sets LAB_LAST_PID.
lab_spawn() {  # ns tag cmd...
  local n=$1 tag=$2; shift 2
  ip netns exec "$(lab_ns "$n")" "$@" >"$LAB_DIR/$tag.log" 2>&1 &
  LAB_LAST_PID=$!
  LAB_PIDS+=("$LAB_LAST_PID")
}
lab_logfile() { echo "$LAB_DIR/$1.log"; }

# Stops one process started by lab_spawn (TERM, then KILL after $2 seconds) and reaps it.
lab_stop() {  # pid [grace-seconds]
  local p=$1 g=${2:-3} i
  kill -TERM "$p" 2>/dev/null || return 0
  for ((i = 0; i < g * 10; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

# Waits until a TCP or UDP port is bound inside a namespace.
lab_wait_port() {  # ns proto(tcp|udp) port seconds
  local i n=$(($4 * 10)) flag=-t
  [ "$2" = udp ] && flag=-u
  for ((i = 0; i < n; i++)); do
    [ -n "$(lab_exec "$1" ss -Hln "$flag" "sport = :$3" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

# Tears the topology down but keeps the lab (trap, scratch dir) for the next lab_up.
lab_down() {
  local p ns
  for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${LAB_PIDS[@]}"; do lab_stop "$p" 2; done
  LAB_PIDS=()
  for ns in "${LAB_NAMESPACES[@]}"; do lab_kill_ns_procs "$ns"; ip netns del "$ns" 2>/dev/null || true; done
  LAB_NAMESPACES=(); LAB_HOSTS=()
}
