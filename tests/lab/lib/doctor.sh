# The connectivity doctor in the lab (issue 16): in the topologies of the call scenarios, against the same
# signalbox, `signalbox-client --doctor` and the /doctor page in Chromium run from a client site, and
# their verdicts are held against what the real call there did. Rows go to $LAB_DIR/doctor.tsv and to
# the doctor table of docs/nat-traversal.md (`tests/lab/run --update-docs`); a mismatch fails the run.
# Needs lab.sh, report.sh and scenarios.sh (SERVER_URL, LAB_SERVER_IP, want, scen_missing).
# shellcheck shell=bash

DOCTOR_FILE=""
DOCTOR_TIMEOUT=${DOCTOR_TIMEOUT:-90}  # seconds for one doctor run (the page's checks are bounded by 8 s each)

# Starts one doctor ("native" or "browser") on a host; LAB_LAST_PID is its process.
doctor_start() {  # kind host tag
  local kind=$1 h=$2 tag=$3
  if [ "$kind" = native ]; then
    lab_spawn "$h" "$tag" "$SIGNALBOX_CLIENT_BIN" --doctor --doctor-json --doctor-no-send --insecure \
      --server "$SERVER_URL"
  else
    lab_spawn "$h" "$tag" node "$LAB_LIB_DIR/browser-doctor.mjs" --url "http://$LAB_SERVER_IP:$SIGNAL_PORT" \
      --timeout "$DOCTOR_TIMEOUT" --ignore-certificate-errors --screenshot "$LAB_DIR/$tag.png"
  fi
}

# Waits for a doctor started by doctor_start (bounded) and prints "CODE|SEVERITY|TEXT" of its verdict, or
# "none|-|why" when it produced no report. The JSON report stays in the tag's .json file.
doctor_finish() {  # pid tag
  local pid=$1 tag=$2 json="$LAB_DIR/$2.json" i
  for ((i = 0; i < (DOCTOR_TIMEOUT + 10) * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  lab_stop "$pid" 2
  grep -m1 '^{' "$(lab_logfile "$tag")" >"$json" 2>/dev/null
  "$LAB_PY" - "$json" <<'PY'
import json, sys
try:
    v = json.load(open(sys.argv[1]))["verdict"]
    print(f'{v["code"]}|{v["severity"]}|{v["text"]}')
except Exception as e:
    print(f"none|-|no report ({type(e).__name__})")
PY
}

# What a scenario's call did, from its row in results.tsv: connected (with the pair), did not connect (the
# failure scenario asserts that), or why it was not run.
doctor_call_outcome() {  # row-name
  awk -F'\t' -v n="$1" '$1 == n { r = $3; p = $4; note = $7 }
    END {
      if (r == "") print n ": not run";
      else if (r == "SKIPPED") print n ": not run (" note ")";
      else if (r == "FAIL") print n ": the scenario FAILED (" note ")";
      else if (p == "none / none") print n ": did not connect";
      else print n ": connected, " p;
    }' "$RESULT_FILE" 2>/dev/null
}

# One row: the doctor's verdict against what the call did. PASS when the verdict code is one of `expect`.
doctor_row() {  # scenario nat call-row-name kind verdict("CODE|SEVERITY|TEXT") expect(space-separated codes)
  [ -n "$DOCTOR_FILE" ] || DOCTOR_FILE="$LAB_DIR/doctor.tsv"
  local code severity text result
  IFS='|' read -r code severity text <<<"$5"
  result=FAIL
  [[ " $6 " == *" $code "* ]] && result=PASS
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(doctor_call_outcome "$3")" "$4" "$code" "$text" "$result" \
    >>"$DOCTOR_FILE"
  echo "lab: [$result] doctor $4 in '$1': $code ($text); expected one of: $6" >&2
}

# Runs the native and the Chromium doctor on `host` and writes one row per scenario in `rows`, each
# "scenario|nat|native call row|Chromium call row|expected native codes|expected browser codes" (a call
# row names the row of results.tsv whose outcome the verdict is held against).
doctor_scenarios() {  # id host rows...
  local id=$1 h=$2; shift 2
  want "d$id" || want doctor || return 0
  local native="none|-|signalbox-client not built" browser="none|-|Chromium or node missing" r pn="" pb=""
  # Side by side: the native doctor mostly waits for answers that do not come, Chromium mostly starts.
  [ -z "$(scen_missing native)" ] && doctor_start native "$h" "doctor-$id-native" && pn=$LAB_LAST_PID
  [ -z "$(scen_missing browser)" ] && doctor_start browser "$h" "doctor-$id-chromium" && pb=$LAB_LAST_PID
  [ -n "$pn" ] && native=$(doctor_finish "$pn" "doctor-$id-native")
  [ -n "$pb" ] && browser=$(doctor_finish "$pb" "doctor-$id-chromium")
  for r in "$@"; do
    local scenario nat cn cb en eb
    IFS='|' read -r scenario nat cn cb en eb <<<"$r"
    doctor_row "$scenario" "$nat" "$cn" native "$native" "$en"
    doctor_row "$scenario" "$nat" "$cb" Chromium "$browser" "$eb"
  done
}

doctor_table_md() {
  echo "| scenario | NAT (site a / site b) | the real call | doctor | verdict | what it says | matches |"
  echo "|---|---|---|---|---|---|---|"
  [ -f "${DOCTOR_FILE:-/nonexistent}" ] || return 0
  awk -F'\t' '{ gsub(/\|/, "\\|"); printf "| %s | %s | %s | %s | `%s` | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' \
    "$DOCTOR_FILE"
}

doctor_counts() {  # prints "pass fail"
  [ -f "${DOCTOR_FILE:-/nonexistent}" ] || { echo "0 0"; return; }
  awk -F'\t' '{ if ($7 == "PASS") p++; else f++ } END { printf "%d %d\n", p, f }' "$DOCTOR_FILE"
}
