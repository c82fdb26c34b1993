#!/usr/bin/env bash
# Every benchmark on a GPU machine, each under its own time limit, most important first; the outputs go
# to $OUT (or the current folder) as bench_*.txt, and aim_bench's files to $OUT/aim_bench. Run from the repository root with wheels/ filled
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
echo "== aim_bench: every recipe's model, ViT-B/16 and tiny, fast path against the public formulation"
timeout 400 python -c "from aim_nb.bench import aim_bench; aim_bench(device='cuda', out='$out/aim_bench')" > "$out/bench_models.txt" 2>&1; echo "rc=$?"
grep -v -i warn "$out/bench_models.txt" | tail -n 40
run 80 teachers teachers.py
