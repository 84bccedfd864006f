"""A run's report: report.json (everything), summary.txt (for people) and
timeline.png (successful operations per second by workload, with the fault
windows shaded)."""

import json
import os


def outcome_of(op):
    if "outcome" in op:
        return op["outcome"]
    return "ok" if op.get("known") else "unknown"


def tally(ops):
    out = {}
    for op in ops:
        o = outcome_of(op)
        out[o] = out.get(o, 0) + 1
    return out


def write(out_dir, run, histories, faults, verdicts, crashes, t0_ns):
    summary = {
        "run": run,
        "operations": {name: tally(ops) for name, ops in histories.items()},
        "faults": faults,
        "crashes": crashes,
        "verdicts": verdicts,
        # Safety only: a cluster that did not come back (recovery) and harness
        # errors fail a run but are not violations of what the store promises.
        "violations": sum(len(v.get("violations", [])) for k, v in verdicts.items()
                          if k not in ("harness", "recovery")),
        "recovered": "recovery" not in verdicts,
    }
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(summary, f, indent=1)
    lines = ["chaos run: seed %d, %d s, %s, planted bug: %s" % (run["seed"], run["duration"], run["network"],
                                                             run["planted_bug"])]
    for name, t in summary["operations"].items():
        lines.append("  %-9s %s" % (name, ", ".join("%s %d" % kv for kv in sorted(t.items()))))
    lines.append("  faults    %d: %s" % (len(faults), ", ".join(sorted({f["kind"] for f in faults}))))
    for f in faults:
        lines.append("    %7.1f-%7.1f s  %-17s %s%s" % (f["start"], f["end"], f["kind"], f["detail"],
                                                       ("  ERROR: " + f["error"]) if f.get("error") else ""))
    if crashes:
        lines.append("  crashes   %s" % crashes)
    for name, v in verdicts.items():
        lines.append("  check %-9s %s" % (name, v["verdict"]))
        for bad in v.get("violations", [])[:10]:
            lines.append("    " + bad)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(text)
    timeline(out_dir, histories, faults, t0_ns)
    return summary, text


def timeline(out_dir, histories, faults, t0_ns):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(12, 4))
    end = 1
    for name, ops in histories.items():
        per_second = {}
        for op in ops:
            if outcome_of(op) == "ok" and "ret" in op:
                s = int((op["ret"] - t0_ns) / 1e9)
                per_second[s] = per_second.get(s, 0) + 1
        if per_second:
            end = max(end, max(per_second) + 1)
            xs = list(range(0, end))
            ax.plot(xs, [per_second.get(x, 0) for x in xs], label=name, linewidth=1)
    for f in faults:
        ax.axvspan(f["start"], f["end"], color="red", alpha=0.12)
        ax.text(f["start"], ax.get_ylim()[1] * 0.95, f["kind"], fontsize=6, rotation=90, va="top")
    ax.set_xlabel("seconds since the workloads started (shaded: a fault is active)")
    ax.set_ylabel("successful operations / s")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "timeline.png"), dpi=110)
    plt.close(fig)
