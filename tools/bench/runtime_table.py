#!/usr/bin/env python3
"""Turn the JSON lines of run-runtime-bench.sh into the markdown tables of BENCHMARKS.md.

Throughput: per implementation and mode, the median over rounds of each run's median iteration time; the ratio is
Emend tokens/s over PyTorch tokens/s (target >= 0.9), with the range of the per-round ratios in brackets. Memory:
the load runs' resident set after a forward pass that touched every weight, against the checkpoint size (target:
RSS <= file + 300 MiB, and no heap copy of the weights). A last table checks that both ran the same computation:
the same random ids give the same loss and gradient norm.

Usage: runtime_table.py out/bench/runtime-<time>.jsonl
"""

import json
import statistics
import sys

SPEED_TARGET = 0.9
RSS_SLACK_MIB = 300.0


def read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return ("{:,.%df}" % digits).format(v)
    return "{:,}".format(v)


def verdict(ok):
    return "✅ met" if ok else "❌ not met"


def no_copy(e):
    """Neither the JVM heap nor native anonymous memory holds a copy of the mapped weights."""
    heap, anon, size = e.get("heap_used_mib"), e.get("rss_anon_mib"), e.get("file_mib")
    return None not in (heap, anon, size) and heap < size / 4 and anon < size


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: runtime_table.py RESULTS.jsonl")
    rows = read(argv[1])
    meta = next((r for r in rows if r.get("impl") == "meta"), {})
    runs = [r for r in rows if r.get("impl") in ("emend", "pytorch")]
    if not runs:
        sys.exit("runtime_table: %s holds no results" % argv[1])
    first = runs[0]
    lines = []
    lines.append("Model: random GPT-2, %d layers, d %d, vocabulary %s, %s parameters; batch %d x %d tokens; "
                 "%d threads each." % (first["layers"], first["d_model"], fmt(first["vocab"]), fmt(first["params"]),
                                       first["batch"], first["tokens"], first["threads"]))
    if meta:
        lines.append("Machine: %s, %d cores; 1-minute load average at start %s; commit %s; %s." % (
            meta.get("cpu"), meta.get("cores"), meta.get("loadavg_1m_at_start"), meta.get("commit"), meta.get("date")))
    versions = {r["impl"]: r["version"] for r in runs}
    attention = {r["impl"]: r["attention"] for r in runs}
    lines.append("Versions: Emend: %s (attention %s). PyTorch: %s (attention %s)." % (
        versions.get("emend", "–"), attention.get("emend", "–"), versions.get("pytorch", "–"),
        attention.get("pytorch", "–")))
    lines.append("")

    lines.append("| mode | PyTorch ms/iter | Emend ms/iter | PyTorch tokens/s | Emend tokens/s | Emend / PyTorch "
                 "| target ≥ %.1f |" % SPEED_TARGET)
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for mode in ("forward", "fwd-bwd"):
        per = {impl: [r for r in runs if r["impl"] == impl and r["mode"] == mode] for impl in ("pytorch", "emend")}
        if not per["pytorch"] or not per["emend"]:
            continue
        ms = {impl: statistics.median(r["ms_per_iter"] for r in per[impl]) for impl in per}
        tps = {impl: first["batch"] * first["tokens"] / (ms[impl] / 1000.0) for impl in per}
        ratio = tps["emend"] / tps["pytorch"]
        rounds = [p["ms_per_iter"] / e["ms_per_iter"] for p, e in zip(per["pytorch"], per["emend"])]
        spread = " (%.2f–%.2f over %d rounds)" % (min(rounds), max(rounds), len(rounds)) if len(rounds) > 1 else ""
        lines.append("| %s | %s | %s | %s | %s | **%.2f**%s | %s |" % (
            mode, fmt(ms["pytorch"]), fmt(ms["emend"]), fmt(tps["pytorch"], 0), fmt(tps["emend"], 0), ratio,
            spread, verdict(ratio >= SPEED_TARGET)))
    lines.append("")

    loads = {r["impl"]: r for r in runs if r["mode"] == "load"}
    if loads:
        r = next(iter(loads.values()))
        lines.append("Load test checkpoint: %d layers, d %d, %s parameters, safetensors %s MiB (%s MB)." % (
            r["layers"], r["d_model"], fmt(r["params"]), fmt(r["file_mib"]), fmt(r["file_mib"] * 1.048576)))
        lines.append("")
        lines.append("| load | load ms | tokenizer alone ms | first load ms | checkpoint MiB | RSS before MiB "
                     "| RSS after load MiB | RSS after a 1×8 forward MiB | of which anonymous / file MiB | peak RSS MiB "
                     "| RSS − checkpoint MiB | JVM heap used MiB |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for impl, name in (("emend", "Emend"), ("pytorch", "PyTorch")):
            r = loads.get(impl)
            if r:
                cells = [fmt(r.get(k)) for k in ("load_ms", "tokenizer_ms", "load_ms_first", "file_mib",
                                                     "rss_base_mib", "rss_load_mib", "rss_mib")]
                cells.append("%s / %s" % (fmt(r.get("rss_anon_mib")), fmt(r.get("rss_file_mib"))))
                cells += [fmt(r.get(k)) for k in ("hwm_mib", "rss_minus_file_mib", "heap_used_mib")]
                lines.append("| %s | %s |" % (name, " | ".join(cells)))
        e = loads.get("emend")
        if e:
            lines.append("")
            over = e.get("rss_minus_file_mib")
            lines.append("Emend resident memory after a 1×8 forward pass (every weight page touched): checkpoint + %s MiB (target ≤ + %d MiB): %s. "
                         "No copy of the weights (JVM heap in use %s MiB < checkpoint / 4 and anonymous memory %s MiB "
                         "< checkpoint %s MiB; a copy would add the checkpoint's size to one of them): %s." % (
                             fmt(over), RSS_SLACK_MIB, verdict(over is not None and over <= RSS_SLACK_MIB),
                             fmt(e.get("heap_used_mib")), fmt(e.get("rss_anon_mib")), fmt(e.get("file_mib")),
                             verdict(no_copy(e))))
        lines.append("")

    lines.append("| same computation | PyTorch | Emend |")
    lines.append("| --- | ---: | ---: |")
    for mode, key, label in (("forward", "checksum", "forward: sum of logits"),
                             ("fwd-bwd", "loss", "fwd-bwd: mean cross-entropy"),
                             ("fwd-bwd", "grad_norm", "fwd-bwd: gradient L2 norm")):
        vals = {impl: next((r[key] for r in runs if r["impl"] == impl and r["mode"] == mode), None)
                for impl in ("pytorch", "emend")}
        if vals["pytorch"] is not None or vals["emend"] is not None:
            lines.append("| %s | %s | %s |" % (label, fmt(vals["pytorch"], 6), fmt(vals["emend"], 6)))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
