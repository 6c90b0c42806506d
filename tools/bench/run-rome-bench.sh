#!/usr/bin/env bash
# ROME speed benchmark: seconds per edit, Emend against plain-PyTorch transcriptions of EasyEdit's ROME, in the same
# run on the same machine (BENCHMARKS.md, "ROME: seconds per edit").
#
#   tools/bench/run-rome-bench.sh                       # GPT-2-small shape, layer 5, 20 steps, 21 templates, C = I
#   tools/bench/run-rome-bench.sh --layers 2 --d 64 --heads 4 --layer 1 --rounds 1 --iters 1 --warmup 0 \
#       --world-iters 2                                 # smoke test, under a minute
#
# Builds the CLI if needed (through ./emend) and writes the random GPT-2 if missing (make_random_gpt2.py). Then, for
# each round, runs one fresh process per implementation, the order reversed every other round:
#   pytorch easyedit          tools/reference/rome_speed_reference.py --variant easyedit (hooks on HF GPT2LMHeadModel,
#                             a full forward with logits at every position per step: what EasyEdit does)
#   pytorch optimized         the same arithmetic resumed at the injection point, logits at scored positions only
#   pytorch optimized-suffix  also only the slots from each row's subject token on (what Emend does)
#   emend                     ./emend bench-rome
# each with --warmup untimed and --iters timed edits, every edit the same request (tools/bench/rome/case.json: ROME's
# LeBron James -> football with 21 fixed context templates; params tools/bench/rome/gpt2-small.yaml; early stopping
# off on both sides). Last, Emend on the bundled fact-world model with its bundled ROME params (layer 0, C from the
# world's text, ROME's early stop at 0.05), cycling through the first --world-iters cases of its modification
# benchmark. Every result is one JSON line in out/bench/rome-<time>.jsonl; the table (rome_table.py) is printed and
# saved next to it as .md.
#
# Options (defaults in brackets):
#   --model DIR          a GPT-2 folder to use instead of the random model [~/.cache/emend/bench/gpt2-random]
#   --layers N --d N --heads N --vocab N   random model shape [12, 768, 12, 50257]
#   --layer N            the edited layer (writes a params file next to the results if not 5) [5]
#   --warmup N --iters N untimed and timed edits per run [1, 3]
#   --rounds N           rounds [2]
#   --threads N          intra-op threads for every run (also OMP_NUM_THREADS, MKL_NUM_THREADS) [nproc]
#   --variants LIST      PyTorch variants, comma-separated [easyedit,optimized,optimized-suffix]
#   --world-iters N      timed fact-world edits (0 to skip) [20]
#   --wait-policy P      OMP_WAIT_POLICY for every run: PASSIVE, ACTIVE, or default (unset: libgomp's own, which
#                        spins a while at each barrier). Both libtorch builds use libgomp. On an idle machine the
#                        default is fastest (PASSIVE: Emend +27%); while other jobs share the cores, spinning threads
#                        slowed the optimised runs' smaller ops 3-60 times and PASSIVE keeps them measurable
#                        (BENCHMARKS.md) [default]
#   --wait-quiet N       before each run, wait up to N seconds for the CPU to be quiet (at least 90% idle over 5 s,
#                        from /proc/stat), then run anyway [0: don't wait]
#   --out FILE           results file [out/bench/rome-<time>.jsonl]
# Environment: EMEND_PYTHON (python with torch + transformers + pyyaml) [~/.cache/emend/pyenv/bin/python].
# EMEND_JAVA_OPTS is cleared so that Emend runs with the launcher's default JVM options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

layers=12 d=768 heads=12 vocab=50257 layer=5 warmup=1 iters=3 rounds=2 threads="$(nproc)" model="" out=""
variants="easyedit,optimized,optimized-suffix" world_iters=20 wait_policy=default wait_quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2" ;; --layers) layers="$2" ;; --d) d="$2" ;; --heads) heads="$2" ;; --vocab) vocab="$2" ;;
    --layer) layer="$2" ;; --warmup) warmup="$2" ;; --iters) iters="$2" ;; --rounds) rounds="$2" ;;
    --threads) threads="$2" ;; --variants) variants="$2" ;; --world-iters) world_iters="$2" ;; --out) out="$2" ;;
    --wait-policy) wait_policy="$2" ;; --wait-quiet) wait_quiet="$2" ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-rome-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done

py="${EMEND_PYTHON:-$HOME/.cache/emend/pyenv/bin/python}"
if ! "$py" -c 'import torch, transformers, yaml' 2>/dev/null; then
  echo "run-rome-bench: $py cannot import torch, transformers and yaml;" \
       "set EMEND_PYTHON or see tools/reference/README.md" >&2
  exit 2
fi
if [ -z "$model" ]; then
  if [ "$layers/$d/$heads/$vocab" = "12/768/12/50257" ]; then
    model="$HOME/.cache/emend/bench/gpt2-random"
  else
    model="$HOME/.cache/emend/bench/gpt2-random-${layers}x${d}h${heads}v${vocab}"
  fi
  "$py" tools/bench/make_random_gpt2.py --out "$model" --layers "$layers" --d "$d" --heads "$heads" \
      --vocab "$vocab" >/dev/null
fi
if [ -z "$out" ]; then
  mkdir -p out/bench
  out="out/bench/rome-$(date +%Y%m%d-%H%M%S).jsonl"
fi
: > "$out"
params=tools/bench/rome/gpt2-small.yaml
if [ "$layer" != 5 ]; then
  params="${out%.jsonl}-params.yaml"
  sed -e "s/^layers: \[5\]/layers: [$layer]/" -e "s/^v_loss_layer: 11/v_loss_layer: $(( $("$py" -c \
      "import json,sys; print(json.load(open(sys.argv[1]))['n_layer'])" "$model/config.json") - 1 ))/" \
      tools/bench/rome/gpt2-small.yaml > "$params"
fi
case=tools/bench/rome/case.json

bench_name=run-rome-bench
source "$root/tools/bench/bench-lib.sh"
bench_env
meta start
warn_load

run_torch() {   # run_torch <variant>
  quiet
  local v="$1" extra=()
  if [ "$v" = optimized-suffix ]; then v=optimized extra=(--suffix); fi
  "$py" tools/reference/rome_speed_reference.py --model "$model" --case "$case" --params "$params" --variant "$v" \
      "${extra[@]}" --warmup "$warmup" --iters "$iters" --threads "$threads" | tee -a "$out" >&2
}
run_emend() {
  quiet
  ./emend bench-rome --model "$model" --hparams "$params" --case "$case" --no-early-stop --warmup "$warmup" \
      --iters "$iters" --threads "$threads" | tee -a "$out" >&2
}

IFS=, read -r -a torch_variants <<< "$variants"
start=$(date +%s)
for r in $(seq 1 "$rounds"); do
  echo "run-rome-bench: round $r/$rounds (load $(load1))" >&2
  if [ $((r % 2)) -eq 1 ]; then
    for v in "${torch_variants[@]}"; do run_torch "$v"; done
    run_emend
  else
    run_emend
    for ((i = ${#torch_variants[@]} - 1; i >= 0; i--)); do run_torch "${torch_variants[i]}"; done
  fi
done
if [ "$world_iters" -gt 0 ]; then
  quiet
  echo "run-rome-bench: fact-world (load $(load1))" >&2
  ./emend bench-rome --model models/fact-world --cases "$world_iters" --warmup 1 --iters "$world_iters" \
      --threads "$threads" | tee -a "$out" >&2
fi
meta end
echo "run-rome-bench: done in $(( $(date +%s) - start )) s; results in $out" >&2

"$py" tools/bench/rome_table.py "$out" | tee "${out%.jsonl}.md"
