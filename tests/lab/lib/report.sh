# Result rows of a lab run and the table printed at its end (also written into docs/nat-traversal.md by
# `tests/lab/run --update-docs`). A row: scenario, NAT modes, result (PASS | FAIL | SKIPPED), selected
# pair(s), time to connected, media checks, note. Rows are kept in $LAB_DIR/results.tsv.
# shellcheck shell=bash

RESULT_FILE=""

result_row() {  # scenario nat result pair time checks note
  [ -n "$RESULT_FILE" ] || RESULT_FILE="$LAB_DIR/results.tsv"
  local f
  local -a cols=("$@")
  for f in 0 1 2 3 4 5 6; do cols[$f]=${cols[$f]:--}; cols[$f]=${cols[$f]//$'\t'/ }; cols[$f]=${cols[$f]//$'\n'/ }; done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${cols[@]}" >>"$RESULT_FILE"
  local mark="PASS"
  [ "$3" = FAIL ] && mark="FAIL"
  [ "$3" = SKIPPED ] && mark="SKIPPED"
  echo "lab: [$mark] $1 ($2): pair ${cols[3]}, connected ${cols[4]}, ${cols[5]}${7:+ — $7}" >&2
}

# Counts: prints "pass fail skipped".
result_counts() {
  [ -f "$RESULT_FILE" ] || { echo "0 0 0"; return; }
  awk -F'\t' '{ if ($3=="PASS") p++; else if ($3=="FAIL") f++; else if ($3=="SKIPPED") s++ }
    END { printf "%d %d %d\n", p, f, s }' "$RESULT_FILE"
}

# The table as Markdown (it reads fine in a terminal too).
result_table_md() {
  echo "| scenario | NAT (site a / site b) | result | selected pair (a / b) | time to connected | media and checks | note |"
  echo "|---|---|---|---|---|---|---|"
  [ -f "$RESULT_FILE" ] || return 0
  awk -F'\t' '{ gsub(/\|/, "\\|"); printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' \
    "$RESULT_FILE"
}

# Replaces the part of a Markdown file between two marker lines (<!-- NAME-results:begin/end -->) with a
# table and the run's context.
result_update_doc() {  # file context-line [name table-function]
  local doc=$1 context=$2 name=${3:-lab} table=${4:-result_table_md} tmp
  grep -q "^<!-- $name-results:begin -->\$" "$doc" && grep -q "^<!-- $name-results:end -->\$" "$doc" ||
    { echo "lab: $doc has no $name-results markers; not updated" >&2; return 1; }
  tmp=$(mktemp)
  {
    sed -n "1,/^<!-- $name-results:begin -->\$/p" "$doc"
    echo
    echo "$context"
    echo
    "$table"
    echo
    sed -n "/^<!-- $name-results:end -->\$/,\$p" "$doc"
  } >"$tmp"
  cat "$tmp" >"$doc"
  rm -f "$tmp"
}
