#!/usr/bin/env bash
# Runtime benchmark: Emend against PyTorch eager (HF transformers) in the same run on the same machine.
#
#   tools/bench/run-runtime-bench.sh                 # GPT-2-small shape, batch 8 x 64 tokens (BENCHMARKS.md)
#   tools/bench/run-runtime-bench.sh --layers 2 --d 64 --heads 4 --load-layers 3 --batch 2 --tokens 16 \
#       --warmup 1 --iters 2 --rounds 1 --load-iters 2                     # smoke test, under a minute
#
# Builds the CLI if needed (through ./emend), writes the random model if missing (make_random_gpt2.py), then for
# each round runs forward and fwd-bwd with PyTorch and Emend alternately (the order flips every round), then load
# once each, with the same thread count for both. The load runs use a second random model with one more layer
# (--load-layers 13: 526 MB, so that the checkpoint is >= 500 MB; GPT-2 small itself is 498 MB). Every result is one
# JSON line in out/bench/runtime-<time>.jsonl; the markdown tables (runtime_table.py) are printed and saved next to
# it as .md.
#
# Options (defaults in brackets):
#   --model DIR       an existing GPT-2 folder to use for every run instead of the random models (nothing is
#                     generated) [~/.cache/emend/bench/gpt2-random, or gpt2-random-<L>x<d>h<H>v<V> for other shapes]
#   --load-layers N   layers of the random load-test model, same width [13]
#   --layers N --d N --heads N --vocab N   random model shape [12, 768, 12, 50257]
#   --batch N --tokens N                  [8, 64]
#   --warmup N --iters N                  per run, forward and fwd-bwd [2, 10]
#   --rounds N                            alternating PyTorch/Emend rounds [3]
#   --load-iters N                        timed loads per load run (after 1 warm-up load) [5]
#   --threads N                           intra-op threads for both [nproc]
#   --attn sdpa|eager                     PyTorch attention implementation [sdpa, transformers' default]
#   --out FILE                            results file [out/bench/runtime-<time>.jsonl]
# Environment: EMEND_PYTHON (python with torch + transformers) [~/.cache/emend/pyenv/bin/python].
# EMEND_JAVA_OPTS is cleared so that Emend runs with the launcher's default JVM options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

layers=12 d=768 heads=12 vocab=50257 batch=8 tokens=64 warmup=2 iters=10 rounds=3 load_iters=5
load_layers=13 threads="$(nproc)" attn=sdpa model="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2" ;; --layers) layers="$2" ;; --d) d="$2" ;; --heads) heads="$2" ;; --vocab) vocab="$2" ;;
    --batch) batch="$2" ;; --tokens) tokens="$2" ;; --warmup) warmup="$2" ;; --iters) iters="$2" ;;
    --rounds) rounds="$2" ;; --load-iters) load_iters="$2" ;; --threads) threads="$2" ;; --attn) attn="$2" ;;
    --load-layers) load_layers="$2" ;; --out) out="$2" ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-runtime-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done

py="${EMEND_PYTHON:-$HOME/.cache/emend/pyenv/bin/python}"
if ! "$py" -c 'import torch, transformers' 2>/dev/null; then
  echo "run-runtime-bench: $py cannot import torch and transformers;" \
       "set EMEND_PYTHON or see tools/reference/README.md" >&2
  exit 2
fi
model_dir() {   # the cache folder of a random model with $1 layers
  if [ "$1/$d/$heads/$vocab" = "12/768/12/50257" ]; then
    echo "$HOME/.cache/emend/bench/gpt2-random"
  else
    echo "$HOME/.cache/emend/bench/gpt2-random-${1}x${d}h${heads}v${vocab}"
  fi
}
generate=yes
if [ -n "$model" ]; then
  generate=no load_model="$model"
else
  model="$(model_dir "$layers")" load_model="$(model_dir "$load_layers")"
fi
if [ -z "$out" ]; then
  mkdir -p out/bench
  out="out/bench/runtime-$(date +%Y%m%d-%H%M%S).jsonl"
fi
: > "$out"

unset EMEND_JAVA_OPTS
export OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

echo "run-runtime-bench: building the CLI if needed" >&2
./emend --version >/dev/null
if [ "$generate" = yes ]; then
  for spec in "$model:$layers" "$load_model:$load_layers"; do
    "$py" tools/bench/make_random_gpt2.py --out "${spec%:*}" --layers "${spec##*:}" --d "$d" --heads "$heads" \
        --vocab "$vocab" >/dev/null
  done
fi

load1="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
"$py" - "$out" "$cpu" "$(nproc)" "$threads" "$load1" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" <<'EOF'
import json, sys, datetime
out, cpu, cores, threads, load, commit = sys.argv[1:]
with open(out, "a") as f:
    f.write(json.dumps({"impl": "meta", "cpu": cpu or "?", "cores": int(cores), "threads": int(threads),
                        "loadavg_1m_at_start": load, "commit": commit,
                        "date": datetime.datetime.now().isoformat(timespec="seconds")}) + "\n")
EOF
case "$load1" in
  '?') ;;
  *) if awk "BEGIN{exit !($load1 > 0.5)}"; then
       echo "run-runtime-bench: warning: 1-minute load average is $load1; other jobs will distort the numbers" >&2
     fi ;;
esac

common=(--batch "$batch" --tokens "$tokens" --threads "$threads")
run_torch() { "$py" tools/bench/torch_runtime.py "${common[@]}" --attn "$attn" "$@" | tee -a "$out" >&2; }
run_emend() { ./emend bench-runtime "${common[@]}" "$@" | tee -a "$out" >&2; }

start=$(date +%s)
for r in $(seq 1 "$rounds"); do
  for mode in forward fwd-bwd; do
    echo "run-runtime-bench: round $r/$rounds, $mode" >&2
    if [ $((r % 2)) -eq 1 ]; then
      run_torch --model "$model" --mode "$mode" --warmup "$warmup" --iters "$iters"
      run_emend --model "$model" --mode "$mode" --warmup "$warmup" --iters "$iters"
    else
      run_emend --model "$model" --mode "$mode" --warmup "$warmup" --iters "$iters"
      run_torch --model "$model" --mode "$mode" --warmup "$warmup" --iters "$iters"
    fi
  done
done
echo "run-runtime-bench: load" >&2
# memory of the model itself: a 1 x 8 forward touches every weight page with activations of a few MB (the
# benchmark batch's logits alone, 8 x 64 x 50257 floats, are 98 MiB more, in either implementation)
"$py" tools/bench/torch_runtime.py --batch 1 --tokens 8 --threads "$threads" --attn "$attn" \
    --model "$load_model" --mode load --warmup 1 --iters "$load_iters" | tee -a "$out" >&2
./emend bench-runtime --batch 1 --tokens 8 --threads "$threads" \
    --model "$load_model" --mode load --warmup 1 --iters "$load_iters" | tee -a "$out" >&2
echo "run-runtime-bench: done in $(( $(date +%s) - start )) s; results in $out" >&2

"$py" tools/bench/runtime_table.py "$out" | tee "${out%.jsonl}.md"
