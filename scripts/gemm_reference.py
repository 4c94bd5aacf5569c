#!/usr/bin/env python3
"""GFLOP/s of the student's three matmul shapes in numpy (OpenBLAS wheels) and torch (MKL).

The 5 x 300 GIN student on a 128-molecule batch (~3,200 atoms) multiplies these shapes in
its forward and backward passes; compare with burn-flex's gemm in docs/performance.md.

    OMP_NUM_THREADS=2 python3 scripts/gemm_reference.py
"""
import time

import numpy as np
import torch

SHAPES = [(3200, 300, 600), (3200, 600, 300), (300, 3200, 600)]
REPEATS = 50


def gflops(matmul, a, b, m, k, n):
    for _ in range(3):
        matmul(a, b)
    start = time.perf_counter()
    for _ in range(REPEATS):
        matmul(a, b)
    seconds = (time.perf_counter() - start) / REPEATS
    return 2 * m * k * n / seconds / 1e9


def main():
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    print("| m × k × n | numpy GFLOP/s | torch GFLOP/s |")
    print("|---|---|---|")
    for m, k, n in SHAPES:
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        npy = gflops(np.matmul, a, b, m, k, n)
        tch = gflops(torch.matmul, torch.from_numpy(a), torch.from_numpy(b), m, k, n)
        print(f"| {m} × {k} × {n} | {npy:.0f} | {tch:.0f} |")


if __name__ == "__main__":
    main()
