#!/usr/bin/env python3
"""Markdown tables from the JSON lines of tools/bench/run-rome-bench.sh (BENCHMARKS.md, "ROME: seconds per edit").

Seconds per edit is each run's median; a row takes the median over its rounds and gives the range over rounds. The
ratio divides by the median of PyTorch's EasyEdit-style transcription. The loss and norm columns show that the
implementations made the same edit.

Usage: rome_table.py out/bench/rome-<time>.jsonl
"""

import json
import statistics
import sys

ORDER = ["easyedit", "optimized", "optimized-suffix", "emend"]
LABEL = {
    "easyedit": "PyTorch, EasyEdit's way (hooks on HF GPT2LMHeadModel, full forward and all logits each step)",
    "optimized": "PyTorch, resumed at the injection point, logits at scored positions",
    "optimized-suffix": "PyTorch, resumed at the injection point on the slots from the subject on",
    "emend": "Emend (`emend bench-rome`)",
}


def fmt(x, digits=2):
    return ("%%.%df" % digits) % x


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    meta = [r for r in rows if r["impl"] == "meta"]
    runs = [r for r in rows if r["impl"] != "meta"]
    world = [r for r in runs if r["impl"] == "emend" and "fact-world" in r["model"]]
    gpt = [r for r in runs if r not in world]
    by = {}
    for r in gpt:
        by.setdefault(r["variant"], []).append(r)
    if not gpt:
        sys.exit("rome_table: no GPT-2 runs in " + path)
    ref = gpt[0]
    start = next((m for m in meta if m.get("phase") == "start"), meta[0] if meta else {})
    end = next((m for m in meta if m.get("phase") == "end"), {})
    print("Model: %s, %d layers, d %d, vocabulary %d, %s parameters; ROME at layer %d, %d steps (early stop off), "
          "%d context templates, C = I; %d threads each." % (ref["model"], ref["layers"], ref["d_model"], ref["vocab"],
                                                             "{:,}".format(ref["params"]), ref["layer"], ref["steps"],
                                                             ref["templates"], ref["threads"]))
    print("Machine: %s, %s cores; OMP_WAIT_POLICY %s; load average %s at the start, %s at the end (CPU pressure "
          "avg10 %s%% / %s%%); commit %s; %s." % (
              start.get("cpu", "?"), start.get("cores", "?"), start.get("omp_wait_policy", "?"),
              start.get("loadavg_1m", "?"), end.get("loadavg_1m", "?"), start.get("cpu_pressure_some_avg10", "?"),
              end.get("cpu_pressure_some_avg10", "?"), start.get("commit", "?"), start.get("date", "?")))
    idle = [int(m["idle_pct_5s"]) for m in meta if m.get("phase") == "quiet" and m.get("idle_pct_5s", "?") != "?"]
    if idle:
        print("CPU idle in the 5 s before each run (--wait-quiet): %d%%–%d%% (median %d%%)." % (
            min(idle), max(idle), statistics.median(idle)))
    versions = sorted({r["version"] for r in gpt})
    print("Versions: " + "; ".join(versions) + ".")
    print()
    base = statistics.median(r["s_per_edit"] for r in by["easyedit"]) if "easyedit" in by else None
    print("| implementation | s/edit | range over rounds | ÷ PyTorch (EasyEdit's way) | first loss | final loss | ‖δ‖ | ‖Δ‖ |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for v in ORDER + sorted(set(by) - set(ORDER)):
        if v not in by:
            continue
        rs = by[v]
        med = statistics.median(r["s_per_edit"] for r in rs)
        lo, hi = min(r["s_per_edit"] for r in rs), max(r["s_per_edit"] for r in rs)
        ratio = "**%s**" % fmt(med / base) if base and v == "emend" else (fmt(med / base) if base else "–")
        last = rs[-1]
        print("| %s | %s | %s–%s (%d) | %s | %.6f | %.6f | %.5f | %.5f |" % (
            LABEL.get(v, v), fmt(med), fmt(lo), fmt(hi), len(rs), ratio, last["first_loss"], last["final_loss"],
            last["delta_norm"], last["update_norm"]))
    if "emend" in by:
        stages = by["emend"][-1].get("stage_s", {})
        print()
        print("Emend's stages in its last run (median s per edit): " +
              ", ".join("%s %s" % (k, fmt(v)) for k, v in stages.items()) + ".")
        if base:
            med = statistics.median(r["s_per_edit"] for r in by["emend"])
            verdict = "met" if med <= base / 2 else "not met"
            print("Target: Emend ≤ half of PyTorch's EasyEdit-style time (%s s here): %s (%s s)." % (
                fmt(base / 2), verdict, fmt(med)))
    for w in world:
        print()
        print("Fact-world (%s, %d layers, d %d, %s parameters), ROME at layer %d with the bundled params "
              "(C from the world's text, early stop %s): %s s per edit (median of %d edits over %d cases, range "
              "%s–%s; %.1f steps in the last), first edit %s s (context templates and statistics)." % (
                  w["model"], w["layers"], w["d_model"], "{:,}".format(w["params"]), w["layer"], w["early_stop"],
                  fmt(w["s_per_edit"], 3), w["iters"], w["requests"], fmt(w["s_min"], 3), fmt(w["s_max"], 3),
                  w["steps"], fmt(w["s_first_edit"])))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
