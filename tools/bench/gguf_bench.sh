#!/usr/bin/env bash
# GGUF load time and greedy generation speed (KV cache), Emend vs transformers, on one GGUF file.
#
# Emend is timed through the CLI, so the JVM start is included; generation speed is taken from the difference
# between a run of N+1 new tokens and a run of 1, so load, prompt and JVM start cancel out:
#   tokens/s = N / (t(N+1 tokens) - t(1 token)).
# transformers is timed inside Python: from_pretrained(dir, gguf_file=..., dtype=float32) for the load, then
# generate(max_new_tokens=min_new_tokens=N+1, do_sample=False, use_cache=True) minus a 1-token generate.
# Each measurement is the median of REPS runs. Prints a Markdown table for BENCHMARKS.md.
#
# Usage: tools/bench/gguf_bench.sh [GGUF] [N] [REPS]
#   GGUF  default ~/.cache/emend/models/SmolLM2-135M-Instruct.Q4_1.gguf (tools/models/fetch-smollm2.sh)
#   N     new tokens timed (default 64; use 4 for a smoke run)
#   REPS  repetitions per measurement (default 3)
# Env: PY (default ~/.cache/emend/pyenv/bin/python), EMEND_JAVA_OPTS (passed to ./emend), THREADS (torch threads
#      for both, default: all cores).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
gguf="${1:-$HOME/.cache/emend/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
n="${2:-64}"
reps="${3:-3}"
py="${PY:-$HOME/.cache/emend/pyenv/bin/python}"
prompt="The capital of France is"
[ -f "$gguf" ] || { echo "gguf_bench: $gguf not found; run tools/models/fetch-smollm2.sh" >&2; exit 1; }
if [ -n "${THREADS:-}" ]; then export OMP_NUM_THREADS="$THREADS"; fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN {print e - s}'; }

"$root/emend" --help >/dev/null # build once, outside the timings
emend_info=$(for _ in $(seq "$reps"); do seconds "$root/emend" info --model "$gguf"; done | median)
emend_one=$(for _ in $(seq "$reps"); do seconds "$root/emend" generate --model "$gguf" --prompt "$prompt" --max-new-tokens 1; done | median)
emend_n=$(for _ in $(seq "$reps"); do seconds "$root/emend" generate --model "$gguf" --prompt "$prompt" --max-new-tokens $((n + 1)); done | median)
emend_tps=$(awk -v n="$n" -v a="$emend_n" -v b="$emend_one" 'BEGIN {print n / (a - b)}')

read -r hf_load hf_tps < <("$py" - "$gguf" "$n" "$reps" "$prompt" 2>/dev/null <<'PY'
import statistics, sys, time
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
gguf, n, reps, prompt = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
loads = []
for _ in range(reps):
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()
    loads.append(time.perf_counter() - t)
tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
ids = tok(prompt, return_tensors="pt").input_ids
def gen(k):
    t = time.perf_counter()
    with torch.no_grad():
        model.generate(ids, max_new_tokens=k, min_new_tokens=k, do_sample=False, use_cache=True)
    return time.perf_counter() - t
gen(2)  # warm-up
one = statistics.median(gen(1) for _ in range(reps))
many = statistics.median(gen(n + 1) for _ in range(reps))
print(statistics.median(loads), n / (many - one))
PY
)

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "GGUF benchmark: $(basename "$gguf"), $n tokens, median of $reps, $(nproc) cores ($cpu), load avg $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| measurement | Emend | transformers |"
echo "| --- | --- | --- |"
printf "| GGUF load (Emend: whole \`emend info\` process incl. JVM start; transformers: from_pretrained) | %.2f s | %.2f s |\n" "$emend_info" "$hf_load"
printf "| greedy generation, fp32, KV cache | %.1f tokens/s | %.1f tokens/s |\n" "$emend_tps" "$hf_tps"
