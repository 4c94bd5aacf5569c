#!/usr/bin/env bash
# GIN without distillation on MoleculeNet sets, in parallel lanes of one thread each: at batch
# 32 a second rayon thread adds little, so two single-threaded processes on 2 cores finish
# ~1.5x more runs per hour than one process with two threads. Sets are dealt round-robin to
# the lanes; each lane runs its sets one after another. Resumable: the examples skip runs
# already in OUT/<set>.json and continue a cut-off run from its epoch checkpoint.
#
#   SETS="bbbp bace clintox sider" SEEDS=0..2 EPOCHS=100 LANES=2 scripts/baseline_sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SETS=${SETS:-"bbbp bace clintox sider tox21 toxcast hiv muv"}
SEEDS=${SEEDS:-0..2}
EPOCHS=${EPOCHS:-100}
LANES=${LANES:-$(nproc)}
OUT=${OUT:-results}
export MOLKD_DATA_DIR=${MOLKD_DATA_DIR:-../shared/data}
export RAYON_NUM_THREADS=1
read -r -a sets <<< "$SETS"
for set in "${sets[@]}"; do examples+=(--example "$set"); done
cargo build --release "${examples[@]}"
# Private copies, so rebuilding the workspace does not swap a binary mid-sweep.
bin=$(mktemp -d)
for set in "${sets[@]}"; do cp "target/release/examples/$set" "$bin/"; done
mkdir -p "$OUT/logs"
for ((lane = 0; lane < LANES; lane++)); do
  (
    for ((i = lane; i < ${#sets[@]}; i += LANES)); do
      set=${sets[i]}
      "$bin/$set" --seeds "$SEEDS" --epochs "$EPOCHS" --out "$OUT" >> "$OUT/logs/$set.log" 2>&1
    done
  ) &
done
wait
