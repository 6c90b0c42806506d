# Shared by tools/bench/run-rome-bench.sh and run-ft-bench.sh (sourced): the thread and wait-policy environment, the
# CLI build, the machine-load lines and the wait for a quiet CPU. The caller sets py (python), out (results file), threads, wait_policy and wait_quiet (seconds) and a
# name for its messages in bench_name.

bench_env() {   # threads and OMP wait policy for every run, then the CLI built once before any timing
  unset EMEND_JAVA_OPTS
  export OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
  case "$wait_policy" in
    default) unset OMP_WAIT_POLICY ;;
    PASSIVE|ACTIVE) export OMP_WAIT_POLICY="$wait_policy" ;;
    *) echo "$bench_name: --wait-policy must be PASSIVE, ACTIVE or default" >&2; exit 2 ;;
  esac
  echo "$bench_name: building the CLI if needed" >&2
  ./emend --version >/dev/null
}
load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'; }
cpu_some() { sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || echo '?'; }
meta() {   # meta <phase> [idle%]: one line with the machine's load
  local cores
  cores="$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"   # nproc alone honours OMP_NUM_THREADS
  "$py" - "$out" "$1" "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)" "$cores" "$threads" \
      "$(load1)" "$(cpu_some)" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" "$wait_policy" "${2:-?}" <<'PY'
import json, sys, datetime
out, phase, cpu, cores, threads, load, pressure, commit, policy, idle = sys.argv[1:]
with open(out, "a") as f:
    f.write(json.dumps({"impl": "meta", "phase": phase, "cpu": cpu or "?", "cores": int(cores),
                        "threads": int(threads), "omp_wait_policy": policy, "loadavg_1m": load,
                        "cpu_pressure_some_avg10": pressure, "idle_pct_5s": idle, "commit": commit,
                        "date": datetime.datetime.now().isoformat(timespec="seconds")}) + "\n")
PY
}
warn_load() {
  case "$(load1)" in
    '?') ;;
    *) if awk "BEGIN{exit !($(load1) > 0.5)}"; then
         echo "$bench_name: warning: 1-minute load average is $(load1); other jobs will distort the numbers" >&2
       fi ;;
  esac
}
idle_pct() {   # percent of CPU time idle over the next 5 s, all cores (/proc/stat)
  local a b
  a=($(head -n1 /proc/stat)); sleep 5; b=($(head -n1 /proc/stat))
  awk -v i=$(( b[4] + b[5] - a[4] - a[5] )) \
      -v t=$(( (b[1]+b[2]+b[3]+b[4]+b[5]+b[6]+b[7]+b[8]) - (a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7]+a[8]) )) \
      'BEGIN { printf "%.0f", (t > 0 ? 100 * i / t : 0) }'
}
quiet() {   # waits for a quiet CPU (at least 90% idle over 5 s), at most wait_quiet seconds; records the idle share
  [ "$wait_quiet" -gt 0 ] && [ -r /proc/stat ] || return 0
  local waited=0 idle
  idle="$(idle_pct)"
  while [ "$waited" -lt "$wait_quiet" ] && [ "$idle" -lt 90 ]; do
    waited=$((waited + 5))
    idle="$(idle_pct)"
  done
  echo "$bench_name: waited ${waited} s for a quiet CPU; ${idle}% idle, load $(load1)" >&2
  meta quiet "$idle"
}
