#!/usr/bin/env bash
# Teacher pre-training ablation: the same encoder, data and budget under each reaction loss.
# Writes results/ablation/<loss>/report.{json,md} and prints a Markdown table.
#
#   MOLKD_DATA_DIR=../shared/data scripts/teacher_ablation.sh [extra pretrain_teacher flags]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example pretrain_teacher
for loss in molr yield-weighted yield-adaptive-margin yield-regression info-nce; do
  target/release/examples/pretrain_teacher --loss "$loss" --out "results/ablation/$loss" \
    --max-train "${MAX_TRAIN:-30000}" --epochs "${EPOCHS:-3}" --max-test "${MAX_TEST:-5000}" \
    --eval-size 1000 "$@" >/dev/null
done
python3 - <<'PY'
import json
print("| loss | test MRR | Hit@1 | Hit@3 | Hit@10 | yield Spearman | untrained MRR |")
print("|---|---|---|---|---|---|---|")
for loss in ["molr", "yield-weighted", "yield-adaptive-margin", "yield-regression", "info-nce"]:
    r = json.load(open(f"results/ablation/{loss}/report.json"))
    t, u = r["test_trained"], r["test_untrained"]
    s = t["yield_spearman"]
    print(f"| {loss} | {t['retrieval']['mrr']:.4f} | {t['retrieval']['hit_at_1']:.4f} | "
          f"{t['retrieval']['hit_at_3']:.4f} | {t['retrieval']['hit_at_10']:.4f} | "
          f"{'–' if s is None else f'{s:.4f}'} | {u['retrieval']['mrr']:.4f} |")
PY
