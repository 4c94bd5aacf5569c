#!/usr/bin/env bash
# Tox21: the GIN student without distillation and with each distillation form from the
# pre-trained reaction teacher, seed-major (every method gets seed 0 before any gets seed 1).
# Resumable: the example skips runs already in OUT/tox21.json.
#
#   EPOCHS=20 SEEDS="0 1 2" TEACHER=results/teacher/teacher OUT=results/distill scripts/distill_sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-20}
SEEDS=${SEEDS:-"0 1 2"}
TEACHER=${TEACHER:-results/teacher/teacher}
OUT=${OUT:-results/distill}
DATASET=${DATASET:-tox21}
FORMS=${FORMS:-"mse cosine contrastive relational"}
export MOLKD_DATA_DIR=${MOLKD_DATA_DIR:-../shared/data}
cargo build --release --example "$DATASET"
# A private copy, so rebuilding the workspace does not swap the binary mid-sweep.
bin=$(mktemp -d)/"$DATASET"
cp "target/release/examples/$DATASET" "$bin"
for seed in $SEEDS; do
  "$bin" --seeds "$seed" --epochs "$EPOCHS" --out "$OUT"
  for form in $FORMS; do
    "$bin" --seeds "$seed" --epochs "$EPOCHS" --out "$OUT" --distill "$TEACHER" --kd "$form"
  done
done
