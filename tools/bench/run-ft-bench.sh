#!/usr/bin/env bash
# Fine-tuning editors' speed benchmark: seconds per FT-L, FT-M, LoRA and AdaLoRA edit, Emend against a plain-PyTorch
# transcription of EasyEdit's steps, in the same run on the same machine (BENCHMARKS.md, "Fine-tuning editors:
# seconds per edit").
#
#   tools/bench/run-ft-bench.sh --wait-quiet 60            # GPT-2-small shape and fact-world, 1 thread, 2 rounds
#   tools/bench/run-ft-bench.sh --layers 2 --d 64 --heads 4 --rounds 1 --iters 1 --warmup 0 --world-cases 2
#                                                          # smoke test, about a minute
#
# Builds the CLI if needed (through ./emend) and writes the random GPT-2 if missing (make_random_gpt2.py). Then, for
# each round and method, runs one fresh process per implementation, PyTorch first in odd rounds and Emend first in
# even ones:
#   pytorch   tools/reference/ft_speed_reference.py (EasyEdit's ft_main.py / lora_main.py on HF transformers + PEFT)
#   emend     ./emend bench-edit
# each with --warmup untimed and --iters timed edits of the same request (tools/bench/rome/case.json: LeBron James ->
# football), params tools/bench/ft/gpt2-small-<METHOD>.yaml (EasyEdit's gpt2-xl values), FT's loss threshold off on
# both sides (--no-early-stop: every step taken, all num_steps epochs; LoRA has none). Then the same on the bundled
# fact-world model with its bundled params (emend-core/src/main/resources/hparams/<METHOD>/fact-world.yaml), cycling
# through the first --world-cases cases of its modification benchmark (one warm-up edit, --world-cases timed).
# Every result is one JSON line in out/bench/ft-<time>.jsonl; the table (ft_table.py) is printed and saved next to it
# as .md.
#
# Options (defaults in brackets):
#   --model DIR          a GPT-2 folder to use instead of the random model [~/.cache/emend/bench/gpt2-random]
#   --layers N --d N --heads N --vocab N   random model shape [12, 768, 12, 50257]
#   --methods LIST       comma-separated [FT-L,FT-M,LoRA,AdaLoRA]; a method M needs tools/bench/ft/gpt2-small-M.yaml
#                        and hparams/M/fact-world.yaml, and ft_speed_reference.py's transcription of it
#   --warmup N --iters N untimed and timed edits per run [1, 3]
#   --rounds N           rounds [2]
#   --threads N          intra-op threads for every run (also OMP_NUM_THREADS, MKL_NUM_THREADS) [1: on a shared
#                        machine one thread per side is disturbed least by other jobs]
#   --world-cases N      fact-world cases, each edited once, timed (0 to skip) [10]
#   --wait-policy P      OMP_WAIT_POLICY for every run: PASSIVE, ACTIVE, or default (unset) [default]
#   --wait-quiet N       before each run, wait up to N seconds for the CPU to be quiet (at least 90% idle over 5 s,
#                        from /proc/stat), then run anyway; the idle share is recorded [0: don't wait]
#   --out FILE           results file [out/bench/ft-<time>.jsonl]
# Environment: EMEND_PYTHON (python with torch, transformers, peft, pyyaml) [~/.cache/emend/pyenv/bin/python].
# EMEND_JAVA_OPTS is cleared so that Emend runs with the launcher's default JVM options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

layers=12 d=768 heads=12 vocab=50257 warmup=1 iters=3 rounds=2 threads=1 model="" out="" methods="FT-L,FT-M,LoRA,AdaLoRA"
world_cases=10 wait_policy=default wait_quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2" ;; --layers) layers="$2" ;; --d) d="$2" ;; --heads) heads="$2" ;; --vocab) vocab="$2" ;;
    --methods) methods="$2" ;; --warmup) warmup="$2" ;; --iters) iters="$2" ;; --rounds) rounds="$2" ;;
    --threads) threads="$2" ;; --world-cases) world_cases="$2" ;; --out) out="$2" ;;
    --wait-policy) wait_policy="$2" ;; --wait-quiet) wait_quiet="$2" ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-ft-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done

py="${EMEND_PYTHON:-$HOME/.cache/emend/pyenv/bin/python}"
if ! "$py" -c 'import torch, transformers, peft, yaml' 2>/dev/null; then
  echo "run-ft-bench: $py cannot import torch, transformers, peft and yaml;" \
       "set EMEND_PYTHON or see tools/reference/README.md" >&2
  exit 2
fi
IFS=, read -r -a method_list <<< "$methods"
for m in "${method_list[@]}"; do
  for f in "tools/bench/ft/gpt2-small-$m.yaml" "emend-core/src/main/resources/hparams/$m/fact-world.yaml"; do
    [ -f "$f" ] || { echo "run-ft-bench: $m needs $f" >&2; exit 2; }
  done
done
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
  out="out/bench/ft-$(date +%Y%m%d-%H%M%S).jsonl"
fi
: > "$out"
case=tools/bench/rome/case.json

bench_name=run-ft-bench
source "$root/tools/bench/bench-lib.sh"
bench_env
meta start
warn_load

run_one() {   # run_one <pytorch|emend> <method> <model> <params> <warmup> <iters> <request args...>
  local impl="$1" m="$2" dir="$3" params="$4" w="$5" n="$6"
  shift 6
  quiet
  if [ "$impl" = pytorch ]; then
    "$py" tools/reference/ft_speed_reference.py --model "$dir" --method "$m" --params "$params" "$@" \
        --no-early-stop --warmup "$w" --iters "$n" --threads "$threads" | tee -a "$out" >&2
  else
    ./emend bench-edit --model "$dir" --method "$m" --hparams "$params" "$@" --no-early-stop --warmup "$w" \
        --iters "$n" --threads "$threads" | tee -a "$out" >&2
  fi
}
pair() {   # pair <round> <method> <model> <params> <warmup> <iters> <request args...>: both, order by round
  if [ $(($1 % 2)) -eq 1 ]; then
    run_one pytorch "${@:2}"; run_one emend "${@:2}"
  else
    run_one emend "${@:2}"; run_one pytorch "${@:2}"
  fi
}

start=$(date +%s)
for r in $(seq 1 "$rounds"); do
  for m in "${method_list[@]}"; do
    echo "run-ft-bench: round $r/$rounds, $m on $(basename "$model") (load $(load1))" >&2
    pair "$r" "$m" "$model" "tools/bench/ft/gpt2-small-$m.yaml" "$warmup" "$iters" --case "$case"
  done
done
if [ "$world_cases" -gt 0 ]; then
  for r in $(seq 1 "$rounds"); do
    for m in "${method_list[@]}"; do
      echo "run-ft-bench: round $r/$rounds, $m on fact-world (load $(load1))" >&2
      pair "$r" "$m" models/fact-world "emend-core/src/main/resources/hparams/$m/fact-world.yaml" 1 "$world_cases" \
          --cases "$world_cases"
    done
  done
fi
meta end
echo "run-ft-bench: done in $(( $(date +%s) - start )) s; results in $out" >&2

"$py" tools/bench/ft_table.py "$out" | tee "${out%.jsonl}.md"
