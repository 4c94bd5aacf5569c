#!/usr/bin/env bash
# molkd (flex) against PyTorch Geometric on the 5 x 300 GIN student, measured in alternation:
# this VM's speed drifts by up to ~20 % over tens of minutes, so one molkd pass and one PyG
# pass per round, ROUNDS rounds, then the medians and the median of the per-round ratios.
# Run on an otherwise idle machine.
#
#   ROUNDS=4 MOLKD_DATA_DIR=../shared/data scripts/compare_pyg.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-4}
export MOLKD_DATA_DIR=${MOLKD_DATA_DIR:-../shared/data}
TARGET=${CARGO_TARGET_DIR:-target}
log=$(mktemp)
cargo build --release --bin molkd
for round in $(seq "$ROUNDS"); do
  echo "round $round / $ROUNDS" >&2
  cargo bench --bench message_passing -- 'student_(train_step|infer|fwd_bwd)_graphs/flex/' \
    --warm-up-time 2 --measurement-time 5 > /dev/null 2>&1
  # The bench wrote its molecules' SMILES; PyG gets molkd's featurisation of the same list.
  "$TARGET/release/molkd" featurize --scheme pretrain-gnns \
    --input target/bench_mp_sample.smi --output target/bench_mp_sample.jsonl 2> /dev/null
  for m in train_step infer fwd_bwd; do
    for n in 32 128 256 512; do
      python3 - "$TARGET/criterion/gin/student_${m}_graphs/flex_$n/new" "$m" "$n" >> "$log" <<'EOF'
import json, sys
d, measure, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
graphs = json.load(open(f"{d}/benchmark.json"))["throughput"]["Elements"]
seconds = json.load(open(f"{d}/estimates.json"))["median"]["point_estimate"] / 1e9
print("molkd", measure, n, round(graphs / seconds, 1))
EOF
    done
  done
  python3 scripts/bench_pyg.py target/bench_mp_sample.jsonl 2> /dev/null | python3 -c '
import json, sys
names = {"student_fwd_bwd_adam": "train_step", "student_fwd": "infer", "student_fwd_bwd": "fwd_bwd"}
for line in sys.stdin:
    d = json.loads(line)
    if d["measure"] in names:
        n = 512 if d["molecules"] > 256 else d["molecules"]
        print("pyg", names[d["measure"]], n, d["graphs_per_second"])
' >> "$log"
done
python3 - "$log" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, measure, n, value = line.split()
    runs[(who, measure, int(n))].append(float(value))
print("| step | molecules | molkd flex | PyG | flex / PyG (median of rounds) | per round |")
print("|---|---|---|---|---|---|")
for measure in ("infer", "train_step", "fwd_bwd"):
    for n in (32, 128, 256, 512):
        ours, theirs = runs[("molkd", measure, n)], runs[("pyg", measure, n)]
        ratios = [a / b for a, b in zip(ours, theirs)]
        print(f"| {measure} | {n} | {statistics.median(ours):,.0f} | {statistics.median(theirs):,.0f} "
              f"| {statistics.median(ratios):.2f} | {', '.join(f'{r:.2f}' for r in ratios)} |")
EOF
rm -f "$log"
