#!/usr/bin/env bash
# The GPU check (examples/gpu_check.rs): correctness of molkd's segment kernels and of the GIN
# student against flex, then throughput, burn's select/select_assign path ("old") against
# molkd's segment kernels ("new"): the message-passing micro-bench (E = 10k and 80k, D = 300)
# and training molecules/s of the GIN 5 x 300 student at batch 32, 256 and 1,024.
#
# A fresh GPU machine with only the driver should spend its time measuring, not compiling, so
# the binary is built beforehand, with a slice of real molecules next to it:
#
#   scripts/gpu_check.sh --build        # here: target/gpu-check/{gpu_check.gz,molecules.csv}
#   scripts/gpu_check.sh [ARGS]         # there (ARGS go to the binary: --device wgpu|vulkan,
#                                       # --steps N, --out FILE); builds first if needed
#
# With the device tool, carry target/gpu-check (~24 MB: the stripped binary, gzipped).
# MOLKD_GPU_FEATURES overrides the build's features (default: wgpu with WGSL shaders, burn's
# kernel fusion and autotuning, as a GPU user would build and as the 1,450 molecules/s baseline
# on an H100 was measured; `vulkan,burn/fusion,burn/autotune` adds SPIR-V shaders and
# `--device vulkan`, which Mesa's lavapipe crashes on while compiling burn's own reduce kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/gpu-check
FEATURES=${MOLKD_GPU_FEATURES:-wgpu,burn/fusion,burn/autotune}
TARGET=${CARGO_TARGET_DIR:-target}

build() {
  cargo build --release --example gpu_check --features "$FEATURES"
  mkdir -p "$OUT"
  cp "$TARGET/release/examples/gpu_check" "$OUT/gpu_check"
  strip "$OUT/gpu_check" 2>/dev/null || true
  gzip -9 -f "$OUT/gpu_check"
  # Real molecules: the first rows of each MoleculeNet set (2,000 in all), SMILES only.
  local data=${MOLKD_DATA_DIR:-../shared/data}
  if [ -d "$data/moleculenet" ]; then
    python3 - "$data/moleculenet" "$OUT/molecules.csv" <<'EOF'
import csv, glob, gzip, io, sys
src, dst = sys.argv[1], sys.argv[2]
rows = []
files = sorted(glob.glob(f"{src}/*.csv") + glob.glob(f"{src}/*.csv.gz"))
per_file = max(1, 2000 // max(1, len(files)))
for path in files:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        reader = csv.DictReader(f)
        column = next((c for c in reader.fieldnames or [] if c.lower() in ("smiles", "mol")), None)
        if column is None:
            continue
        rows.extend(r[column] for _, r in zip(range(per_file), reader))
with open(dst, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["smiles"])
    w.writerows([s] for s in rows)
print(f"{len(rows)} molecules from {len(files)} files -> {dst}", file=sys.stderr)
EOF
  fi
  du -sh "$OUT"
}

if [ "${1:-}" = "--build" ]; then
  build
  exit 0
fi
if [ ! -x "$OUT/gpu_check" ]; then
  [ -f "$OUT/gpu_check.gz" ] || build
  gzip -dkf "$OUT/gpu_check.gz"
  chmod +x "$OUT/gpu_check"
fi
args=()
if [ -f "$OUT/molecules.csv" ]; then
  args+=(--data "$OUT/molecules.csv")
fi
exec "$OUT/gpu_check" "${args[@]}" "$@"
