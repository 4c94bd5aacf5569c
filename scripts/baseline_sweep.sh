#!/usr/bin/env bash
# GIN without distillation on MoleculeNet sets, in parallel lanes of one thread each: at batch
# 32 a second rayon thread adds little, so two single-threaded processes on 2 cores finish
# ~1.5x more runs per hour than one process with two threads. Each (set, seed) pair is one run;
# runs are dealt round-robin to the lanes, so the seeds of one long set (HIV, MUV) run side by
# side. Resumable: the examples skip runs already in OUT/<set>.json and continue a cut-off run
# from its epoch checkpoint, so running the same command again picks up where it stopped.
#
#   SETS="bbbp bace clintox sider" SEEDS=0..2 EPOCHS=100 LANES=2 scripts/baseline_sweep.sh
#   SEEDS: an inclusive range (0..2 or 0..=2) or a list (0,1,2 or "0 1 2").
#   LANES may exceed the cores: when the runs left are few and long (HIV, MUV), one lane per run
#   keeps every core busy until the last one ends, instead of one core finishing it alone.
#   RAYON_NUM_THREADS (default 1) is each lane's thread count: LANES=1 RAYON_NUM_THREADS=2
#   for a single run that must end soonest (~1.15x a one-thread lane on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
SETS=${SETS:-"bbbp bace clintox sider tox21 toxcast hiv muv"}
SEEDS=${SEEDS:-0..2}
EPOCHS=${EPOCHS:-100}
LANES=${LANES:-$(nproc)}
OUT=${OUT:-results}
export MOLKD_DATA_DIR=${MOLKD_DATA_DIR:-../shared/data}
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-1}
read -r -a sets <<< "$SETS"
if [[ $SEEDS =~ ^([0-9]+)\.\.=?([0-9]+)$ ]]; then
  seeds=($(seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"))
else
  read -r -a seeds <<< "${SEEDS//,/ }"
fi
runs=()
for set in "${sets[@]}"; do
  for seed in "${seeds[@]}"; do runs+=("$set $seed"); done
done
for set in "${sets[@]}"; do examples+=(--example "$set"); done
cargo build --release "${examples[@]}"
# Private copies, so rebuilding the workspace does not swap a binary mid-sweep.
bin=$(mktemp -d)
for set in "${sets[@]}"; do cp "target/release/examples/$set" "$bin/"; done
mkdir -p "$OUT/logs"
for ((lane = 0; lane < LANES; lane++)); do
  (
    for ((i = lane; i < ${#runs[@]}; i += LANES)); do
      read -r set seed <<< "${runs[i]}"
      "$bin/$set" --seeds "$seed" --epochs "$EPOCHS" --out "$OUT" >> "$OUT/logs/$set-s$seed.log" 2>&1
    done
  ) &
done
wait
