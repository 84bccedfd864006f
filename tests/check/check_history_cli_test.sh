#!/usr/bin/env bash
# cairn-check-history on tiny histories: the verdict line and the exit
# status (0 ok, 1 violation, 3 bad input) that the chaos harness relies on.
# Usage: check_history_cli_test.sh <cairn-check-history> <work dir>
set -euo pipefail
tool=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs the tool; sets $status and $out (stdout) and $err (stderr).
run() {
  set +e
  "$tool" "$@" >out.txt 2>err.txt
  status=$?
  set -e
  out=$(cat out.txt)
  err=$(cat err.txt)
}

# Linearizable: a put, a concurrent read that may see either value, a cas
# whose outcome is unknown, and a later read that sees it applied.
cat >ok.jsonl <<'JSON'
{"client": 0, "kind": "put", "key": "x", "value": "a", "call": 0, "ret": 10}
{"client": 1, "kind": "put", "key": "x", "value": "b", "call": 20, "ret": 40}
{"client": 2, "kind": "get", "key": "x", "call": 25, "ret": 30, "found": true, "output": "a"}

{"client": 0, "kind": "cas", "key": "x", "expected": "b", "value": "c", "call": 50, "known": false}
{"client": 2, "kind": "get", "key": "x", "call": 60, "ret": 70, "found": true, "output": "c", "note": "ignored"}
{"client": 1, "kind": "get", "key": "y", "call": 0, "ret": 5, "found": false}
JSON
run ok.jsonl
[[ $status == 0 ]] || fail "ok history: exit $status: $out $err"
[[ $out == "verdict: ok" ]] || fail "ok history printed: $out"
[[ $err == *"6 operations (1 with unknown outcome) on 2 keys"* ]] || fail "ok history stats: $err"
# The same from standard input, with the budget given both ways.
set +e
"$tool" --time-budget-seconds 5 - <ok.jsonl >/dev/null 2>&1
[[ $? == 0 ]] || fail "stdin: not ok"
"$tool" --time-budget-seconds=0 ok.jsonl >/dev/null 2>&1
[[ $? == 0 ]] || fail "--time-budget-seconds=0: not ok"
set -e

# A lost write: b's put was acknowledged, yet a later read sees a.
cat >violation.jsonl <<'JSON'
{"client": 0, "kind": "put", "key": "x", "value": "a", "call": 0, "ret": 10}
{"client": 1, "kind": "put", "key": "x", "value": "b", "call": 20, "ret": 30}
{"client": 2, "kind": "get", "key": "x", "call": 40, "ret": 50, "found": true, "output": "a"}
JSON
run violation.jsonl
[[ $status == 1 ]] || fail "violating history: exit $status: $out $err"
[[ $(head -n1 out.txt) == "verdict: violation" ]] || fail "violating history printed: $out"
[[ $(sed -n 2p out.txt) == 'key: "x"' ]] || fail "violating history names no key: $out"
[[ $out == *'client 2 get("x")'* ]] || fail "violating history does not explain: $out"

# Bad input names the line.
printf '%s\n' '{"kind": "put", "key": "x", "call": 0, "ret": 1}' '' '{"kind": "append"}' >bad.jsonl
run bad.jsonl
[[ $status == 3 ]] || fail "bad input: exit $status"
[[ $err == *"bad.jsonl: line 3: \"kind\" must be one of"* ]] || fail "bad input message: $err"
[[ -z $out ]] || fail "bad input printed a verdict: $out"
run missing.jsonl
[[ $status == 3 ]] || fail "missing file: exit $status"
run --time-budget-seconds soon ok.jsonl
[[ $status == 3 ]] || fail "bad budget: exit $status"
run --frobnicate ok.jsonl
[[ $status == 3 ]] || fail "unknown option: exit $status"
run
[[ $status == 3 ]] || fail "no file: exit $status"
run --help
[[ $status == 0 && $out == usage:* ]] || fail "--help: exit $status: $out"
echo "check_history_cli: ok"
