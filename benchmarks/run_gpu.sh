#!/usr/bin/env bash
# Everything a GPU machine should measure, each under its own time limit, most important first. Outputs go to
# $OUT (or the current folder) as bench_*.txt, aim_bench's folders as aim_bench*/. Run from the repository root:
#   bash benchmarks/run_gpu.sh                 # on a GPU machine, with wheels/ filled (see gpu_setup.sh)
#   bash benchmarks/run_gpu.sh --device cpu    # the same steps at the tiny preset and a few steps: checks the script
set -u
device=cuda; [ "${1:-}" = "--device" ] && device=${2:-cuda}
out=$(realpath "${OUT:-.}")
if [ "$device" = cuda ]; then source benchmarks/gpu_setup.sh; preset=base; bs=256; steps=200; runs=5; models=all
else preset=tiny; bs=64; steps=30; runs=3; models=mae,saim; fi
show() { echo "rc=$1"; grep -v -i warn "$2" | tail -n "${3:-30}"; }
aim_bench=(python benchmarks/aim.py aim_bench)   # the console script, installed or only on the path

echo "== 1. the cuda tests (nbdev_test --flags cuda on the notebooks that have them)"
if [ "$device" = cuda ] && python -c "import nbdev" 2>/dev/null; then
  timeout 300 nbdev_test --flags cuda --path nbs --n_workers 4 > "$out/bench_cuda_tests.txt" 2>&1; show $? "$out/bench_cuda_tests.txt" 15
else echo "skipped: needs a GPU and nbdev (add nbdev's wheels to wheels/, see gpu_setup.sh)"; fi

echo "== 2. aim_bench --preset $preset --device $device: the recipes' steps ($models), eager, then MAE's and SAIM's compiled"
timeout 400 "${aim_bench[@]}" --preset "$preset" --device "$device" --batch "$bs" --runs "$runs" --models "$models" --out "$out/aim_bench" > "$out/bench_models.txt" 2>&1
show $? "$out/bench_models.txt" 40
timeout 400 "${aim_bench[@]}" --preset "$preset" --device "$device" --batch "$bs" --runs "$runs" --compile --models mae,saim \
  --out "$out/aim_bench-compiled" > "$out/bench_models_compiled.txt" 2>&1
show $? "$out/bench_models_compiled.txt" 20

echo "== 3. aim_pretrain's own loop, $steps steps of $bs synthetic images, MAE and SAIM, eager and compiled, next to aim_bench"
timeout 600 python benchmarks/loop.py --devices "$device" --preset "$preset" --bs "$bs" --steps "$steps" \
  --bench "$out/aim_bench" --out "$out/loop" > "$out/bench_loop.txt" 2>&1
show $? "$out/bench_loop.txt" 12

echo "== 4. the teachers' step costs"
(cd benchmarks && timeout 80 python teachers.py --devices "$device" > "$out/bench_teachers.txt" 2>&1); show $? "$out/bench_teachers.txt" 25
