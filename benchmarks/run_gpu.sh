#!/usr/bin/env bash
# Every benchmark on a GPU machine, each under its own time limit, most important first; the outputs go
# to $OUT (or the current folder) as bench_*.txt. Run from the repository root with wheels/ filled
# (see gpu_setup.sh): `bash benchmarks/run_gpu.sh`.
source benchmarks/gpu_setup.sh
out=$(realpath "${OUT:-.}")
cd benchmarks
run() {   # run LIMIT NAME SCRIPT ARGS...: one benchmark on CUDA, its output saved and shown
  local limit=$1 name=$2; shift 2
  echo "== $name: $* (limit ${limit}s)"
  timeout "$limit" python "$@" --devices cuda > "$out/bench_$name.txt" 2>&1
  echo "rc=$?"; grep -v -i warn "$out/bench_$name.txt" | tail -n 25
}
run 150 mim mim_models.py --presets base tiny --models mae milan semmae
run 170 ar ar_models.py --presets base tiny
run 120 mim_compiled mim_models.py --presets base --models mae --compile --runs 10
run 80 teachers teachers.py
