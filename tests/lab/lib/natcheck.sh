# NAT behaviour checks with tools nobody on this project wrote: coturn's `turnserver` as an RFC 5780 STUN
# server in the public segment, `turnutils_natdiscovery` in the client sites. Before any WebRTC runs, the
# lab proves that each NAT mode does what its name says (RFC 4787 / RFC 5780 terms).
# shellcheck shell=bash

# Starts coturn as a STUN-only RFC 5780 server on both server addresses (ports 3478 and 3479).
nat_start_coturn() {
  lab_spawn srv coturn-stun turnserver -n --stun-only --no-cli --no-tls --no-dtls \
    -L "$LAB_SERVER_IP" -L "$LAB_SERVER_ALT_IP" --listening-port 3478 --alt-listening-port 3479 \
    --log-file stdout --simple-log --pidfile "$LAB_DIR/coturn.pid" --db "$LAB_DIR/coturn.db" \
    --no-software-attribute
  LAB_LAST_COTURN=$LAB_LAST_PID
  lab_wait_port srv udp 3478 10 && lab_wait_port srv tcp 3478 10
}

# natdiscovery's verdicts, one per line, e.g. "mapping=EIM preserved=yes filtering=APDF".
nat_discover() {  # host server-ip port
  local out map="none" filt="none" preserved="no" lport rport
  out=$(timeout 30 ip netns exec "$(lab_ns "$1")" turnutils_natdiscovery -m -f -p "$3" "$2" 2>&1)
  echo "$out" >"$LAB_DIR/natdiscovery-$1.log"
  case "$out" in
    *"Endpoint Independent Mapping"*) map=EIM ;;
    *"Address and Port Dependent Mapping"*) map=APDM ;;
    *"Address Dependent Mapping"*) map=ADM ;;
  esac
  case "$out" in
    *"Endpoint Independent Filtering"*) filt=EIF ;;
    *"Address and Port Dependent Filtering"*) filt=APDF ;;
    *"Address Dependent Filtering"*) filt=ADF ;;
  esac
  # Port preservation: in the mapping test's first response, the reflexive port equals the local port.
  rport=$(echo "$out" | grep -m1 'UDP reflexive addr' | sed -E 's/.*:([0-9]+)$/\1/')
  lport=$(echo "$out" | grep -m1 'Local addr' | sed -E 's/.*:([0-9]+)$/\1/')
  [ -n "$rport" ] && [ "$rport" = "$lport" ] && preserved=yes
  echo "mapping=$map preserved=$preserved filtering=$filt"
}

# Checks site a = eim and site b = sym with natdiscovery, then site b = udpblock with the probes.
# Records one result row per check.
nat_check_all() {
  local t0 ra rb
  LAB_NAT_MODE[a]=eim; LAB_NAT_MODE[b]=sym
  lab_up "a1 b1"
  if ! nat_start_coturn; then
    result_row "NAT check" "coturn" FAIL "-" "-" "-" "coturn turnserver did not start: $(tail -3 "$(lab_logfile coturn-stun)")"
    lab_down; return
  fi
  t0=$(date +%s)
  nat_discover a1 "$LAB_SERVER_IP" 3478 >"$LAB_DIR/nat-a" &
  local pa=$!
  nat_discover b1 "$LAB_SERVER_IP" 3478 >"$LAB_DIR/nat-b" &
  local pb=$!
  wait $pa $pb
  ra=$(cat "$LAB_DIR/nat-a"); rb=$(cat "$LAB_DIR/nat-b")
  lab_log "natdiscovery site a (eim): $ra; site b (sym): $rb ($(( $(date +%s) - t0 )) s)"
  if [[ "$ra" == "mapping=EIM preserved=yes"* ]]; then
    result_row "NAT a: port-preserving" "eim" PASS "-" "-" "natdiscovery: $ra" ""
  else
    result_row "NAT a: port-preserving" "eim" FAIL "-" "-" "natdiscovery: $ra" "expected EIM, port preserved"
  fi
  if [[ "$rb" == mapping=APDM* || "$rb" == mapping=ADM* ]] && [[ "$rb" == *"preserved=no"* ]]; then
    result_row "NAT b: symmetric" "sym" PASS "-" "-" "natdiscovery: $rb" ""
  else
    result_row "NAT b: symmetric" "sym" FAIL "-" "-" "natdiscovery: $rb" "expected APDM/ADM with random ports"
  fi
  nat_check_udpblock
  lab_set_nat b sym  # back to symmetric for the signalbox comparison
  nat_check_signalbox_5780 "$ra" "$rb"
  lab_log "NAT checks done"; lab_down; lab_log "down"
}

# The same discovery against signalbox's own RFC 5780 support must reach the same verdicts as coturn.
nat_check_signalbox_5780() {  # coturn's verdict for site a, for site b
  local name="signalbox RFC 5780 vs coturn" nat="eim / sym" sa sb
  if [ ! -x "${SIGNALBOX_BIN:-}" ]; then
    result_row "$name" "$nat" FAIL "-" "-" "-" "signalbox not built"; return
  fi
  if ! server_has_option stun-alt-address; then
    result_row "$name" "$nat" FAIL "-" "-" "-" "signalbox did not accept --stun-alt-address"; return
  fi
  lab_stop "$LAB_LAST_COTURN" 3
  local open=()
  server_has_option auth && open=(--auth none)  # no signaling is used here; a non-loopback listen needs it
  lab_spawn srv sb-5780 "$SIGNALBOX_BIN" --listen "$LAB_SERVER_IP:8080" --no-turn "${open[@]}" \
    --stun-listen "$LAB_SERVER_IP:3478" --stun-alt-address "$LAB_SERVER_ALT_IP:3479"
  local pid=$LAB_LAST_PID
  if ! lab_wait_port srv udp 3478 10; then
    result_row "$name" "$nat" FAIL "-" "-" "-" "signalbox did not start: $(tail -2 "$(lab_logfile sb-5780)" | tr '\n' ' ')"
    lab_stop "$pid"; return
  fi
  nat_discover a1 "$LAB_SERVER_IP" 3478 >"$LAB_DIR/nat-sa" &
  local p1=$!
  nat_discover b1 "$LAB_SERVER_IP" 3478 >"$LAB_DIR/nat-sb" &
  wait $p1 $!
  sa=$(cat "$LAB_DIR/nat-sa"); sb=$(cat "$LAB_DIR/nat-sb")
  lab_stop "$pid"
  if [ "$sa" = "$1" ] && [ "$sb" = "$2" ]; then
    result_row "$name" "$nat" PASS "-" "-" "same verdicts: a $sa; b $sb" ""
  else
    result_row "$name" "$nat" FAIL "-" "-" "signalbox: a $sa; b $sb" "coturn said: a $1; b $2"
  fi
}

nat_check_udpblock() {
  local u t blocked ctl
  lab_set_nat b udpblock
  u=$(PROBE_TIMEOUT=2 lab_exec b1 "$LAB_PY" "$LAB_LIB_DIR/probe.py" stun-udp "$LAB_SERVER_IP" 3478)
  t=$(lab_exec b1 "$LAB_PY" "$LAB_LIB_DIR/probe.py" stun-tcp "$LAB_SERVER_IP" 3478)
  blocked=$(PROBE_TIMEOUT=2 lab_exec b1 "$LAB_PY" "$LAB_LIB_DIR/probe.py" tcp "$LAB_SERVER_IP" 9)
  ctl=$(lab_exec a1 "$LAB_PY" "$LAB_LIB_DIR/probe.py" tcp "$LAB_SERVER_IP" 9)
  local detail="STUN/UDP: $u; STUN/TCP 3478: $t; TCP to port 9: $blocked (site a: $ctl)"
  lab_log "udpblock site b: $detail"
  if [ "$u" = timeout ] && [[ "$t" == "mapped ${LAB_WAN_IP[b]}:"* ]] && [ "$blocked" = timeout ] &&
    [ "$ctl" = refused ]; then
    result_row "NAT b: UDP blocked" "udpblock" PASS "-" "-" "$detail" ""
  else
    result_row "NAT b: UDP blocked" "udpblock" FAIL "-" "-" "$detail" "expected UDP timeout, TCP 3478 mapped"
  fi
}
