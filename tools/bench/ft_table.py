#!/usr/bin/env python3
"""Markdown tables from the JSON lines of tools/bench/run-ft-bench.sh (BENCHMARKS.md, "Fine-tuning editors: seconds
per edit").

Seconds per edit is each run's median; a row takes the median over its rounds and gives the range over rounds. The
ratio is Emend's median over PyTorch's. The loss and norm columns show that both sides made the same edit: the first
step's loss (the model before any step) must agree within 1e-4, the last step's loss and ‖Δ‖ follow from every step.

Usage: ft_table.py out/bench/ft-<time>.jsonl
"""

import json
import statistics
import sys

FIRST_LOSS_TOLERANCE = 1e-4


def fmt(x, digits=2):
    return ("%%.%df" % digits) % x


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    meta = [r for r in rows if r["impl"] == "meta"]
    runs = [r for r in rows if r["impl"] != "meta"]
    if not runs:
        sys.exit("ft_table: no runs in " + path)
    start = next((m for m in meta if m.get("phase") == "start"), meta[0] if meta else {})
    end = next((m for m in meta if m.get("phase") == "end"), {})
    print("Machine: %s, %s cores; %s thread(s) per run; OMP_WAIT_POLICY %s; load average %s at the start, %s at the "
          "end (CPU pressure avg10 %s%% / %s%%); commit %s; %s." % (
              start.get("cpu", "?"), start.get("cores", "?"), start.get("threads", "?"),
              start.get("omp_wait_policy", "?"), start.get("loadavg_1m", "?"), end.get("loadavg_1m", "?"),
              start.get("cpu_pressure_some_avg10", "?"), end.get("cpu_pressure_some_avg10", "?"),
              start.get("commit", "?"), start.get("date", "?")))
    idle = [int(m["idle_pct_5s"]) for m in meta if m.get("phase") == "quiet" and m.get("idle_pct_5s", "?") != "?"]
    if idle:
        print("CPU idle in the 5 s before each run (--wait-quiet): %d%%–%d%% (median %d%%)." % (
            min(idle), max(idle), statistics.median(idle)))
    print("Versions: " + "; ".join(sorted({r["version"] for r in runs})) + ".")
    models = []
    for r in runs:
        if r["model"] not in models:
            models.append(r["model"])
    bad = []
    for model in models:
        rs = [r for r in runs if r["model"] == model]
        ref = rs[0]
        print()
        print("**%s** (%d layers, d %d, vocabulary %d, %s parameters; %d request(s) per run, %d warm-up + %d timed "
              "edits; FT's loss threshold off on both sides):" % (
                  model, ref["layers"], ref["d_model"], ref["vocab"], "{:,}".format(ref["params"]), ref["requests"],
                  ref["warmup"], ref["iters"]))
        print()
        print("| method | params | steps | PyTorch s/edit (range, runs) | Emend s/edit (range, runs) | **Emend ÷ PyTorch** "
              "| first loss PyTorch / Emend | last loss PyTorch / Emend | ‖Δ‖ PyTorch / Emend |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        methods = []
        for r in rs:
            if r["method"] not in methods:
                methods.append(r["method"])
        for m in methods:
            by = {impl: [r for r in rs if r["method"] == m and r["impl"] == impl] for impl in ("pytorch", "emend")}
            cells, med = [], {}
            for impl in ("pytorch", "emend"):
                xs = [r["s_per_edit"] for r in by[impl]]
                if xs:
                    med[impl] = statistics.median(xs)
                    cells.append("%s (%s–%s, %d)" % (fmt(med[impl]), fmt(min(xs)), fmt(max(xs)), len(xs)))
                else:
                    cells.append("–")
            ratio = "**%s**" % fmt(med["emend"] / med["pytorch"]) if len(med) == 2 else "–"
            p, e = (by["pytorch"][-1] if by["pytorch"] else None), (by["emend"][-1] if by["emend"] else None)
            if p and e:
                diff = abs(p["first_loss"] - e["first_loss"])
                if diff > FIRST_LOSS_TOLERANCE or p["steps"] != e["steps"]:
                    bad.append("%s on %s: first loss differs by %.2g, steps %d / %d" % (
                        m, model, diff, p["steps"], e["steps"]))
                losses = ["%.6f / %.6f" % (p[k], e[k]) for k in ("first_loss", "final_loss")]
                norms = "%.5f / %.5f" % (p["update_norm"], e["update_norm"])
            else:
                losses, norms = ["–", "–"], "–"
            src = (e or p)["hparams"]
            print("| %s | `%s` | %d | %s | %s | %s | %s | %s | %s |" % (
                m, src, (e or p)["steps"], cells[0], cells[1], ratio, losses[0], losses[1], norms))
    print()
    if bad:
        print("**The two sides did not compute the same edit:** " + "; ".join(bad) + ".")
        return 1
    print("First-step losses agree within %g on every row, with the same number of steps." % FIRST_LOSS_TOLERANCE)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
