#!/usr/bin/python3
"""Sums the report.json files under a folder (make chaos's runs): runs,
minutes of faults, operations, faults and violations, for docs/TESTING.md."""

import glob
import json
import os
import sys


def main(folder):
    runs = minutes = ops = faults = violations = failed = unrecovered = crashes = 0
    kinds = {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "report.json"), recursive=True)):
        with open(path) as f:
            r = json.load(f)
        runs += 1
        # The schedule runs past --duration until every kind has had a turn.
        minutes += max([r["run"]["duration"]] + [f["end"] for f in r["faults"]]) / 60.0
        ops += sum(sum(t.values()) for t in r["operations"].values())
        faults += len(r["faults"])
        for x in r["faults"]:
            kinds[x["kind"]] = kinds.get(x["kind"], 0) + 1
        unrecovered += 0 if r["verdicts"].get("recovery") is None else 1
        crashes += len(r["crashes"])
        violations += sum(len(v.get("violations", [])) for k, v in r["verdicts"].items()
                          if k not in ("harness", "recovery"))
        bad = r["violations"] or r["crashes"] or any(v["verdict"] != "ok" for v in r["verdicts"].values())
        failed += 1 if bad else 0
        print("%-50s seed %-11d %s" % (os.path.dirname(path), r["run"]["seed"], "FAILED" if bad else "ok"))
    print("runs %d, minutes of faults %.1f, operations %d, faults %d, safety violations %d, "
          "runs not recovered after healing %d, unexpected member exits %d, failed runs %d" %
          (runs, minutes, ops, faults, violations, unrecovered, crashes, failed))
    print("faults by kind: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "test-output/chaos"))
