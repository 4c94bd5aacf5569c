#!/usr/bin/env python3
"""PyTorch Geometric timing of the same GIN layer and 5 x 300 student molkd benchmarks.

The molecules are molkd's own featurisation of the bench's SMILES, so both sides see the same
graphs (pretrain-gnns features: atom type / chirality, bond type / direction):

    MOLKD_DATA_DIR=../shared/data cargo bench --bench message_passing -- gin   # writes the sample
    ./target/release/molkd featurize --scheme pretrain-gnns \\
        --input target/bench_mp_sample.smi --output target/bench_mp_sample.jsonl
    python3 scripts/bench_pyg.py target/bench_mp_sample.jsonl

Needs `pip install torch torch_geometric`. Prints one JSON line per measurement (graphs/s).
"""
import json
import sys
import time

import torch
from torch import nn
from torch_geometric.data import Batch, Data
from torch_geometric.nn import MessagePassing, global_mean_pool
from torch_geometric.utils import add_self_loops

HIDDEN = 300


class GINConv(MessagePassing):
    """pretrain-gnns chem/model.py GINConv: x_j + edge embedding, sum, MLP, self-loops type 4."""

    def __init__(self, dim):
        super().__init__(aggr="add")
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.edge_embedding1 = nn.Embedding(6, dim)
        self.edge_embedding2 = nn.Embedding(3, dim)
        nn.init.xavier_uniform_(self.edge_embedding1.weight)
        nn.init.xavier_uniform_(self.edge_embedding2.weight)

    def forward(self, x, edge_index, edge_attr):
        edge_index, _ = add_self_loops(edge_index, num_nodes=x.size(0))
        loops = torch.zeros(x.size(0), 2, dtype=edge_attr.dtype)
        loops[:, 0] = 4
        edge_attr = torch.cat((edge_attr, loops), 0)
        e = self.edge_embedding1(edge_attr[:, 0]) + self.edge_embedding2(edge_attr[:, 1])
        return self.propagate(edge_index, x=x, edge_attr=e)

    def message(self, x_j, edge_attr):
        return x_j + edge_attr

    def update(self, aggr_out):
        return self.mlp(aggr_out)


class Student(nn.Module):
    """pretrain-gnns GNN (5 x 300, BatchNorm, ReLU but after the last, dropout 0.5, JK last),
    mean readout, linear head."""

    def __init__(self, layers=5, dim=HIDDEN, tasks=12):
        super().__init__()
        self.x1 = nn.Embedding(120, dim)
        self.x2 = nn.Embedding(3, dim)
        nn.init.xavier_uniform_(self.x1.weight)
        nn.init.xavier_uniform_(self.x2.weight)
        self.convs = nn.ModuleList([GINConv(dim) for _ in range(layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(dim) for _ in range(layers)])
        self.head = nn.Linear(dim, tasks)

    def forward(self, data):
        h = self.x1(data.x[:, 0]) + self.x2(data.x[:, 1])
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = norm(conv(h, data.edge_index, data.edge_attr))
            if i < len(self.convs) - 1:
                h = torch.relu(h)
            h = nn.functional.dropout(h, 0.5, self.training)
        return self.head(global_mean_pool(h, data.batch))


def load(path):
    graphs = []
    for line in open(path):
        rec = json.loads(line)
        if "error" in rec:
            continue
        x = torch.tensor(rec["atoms"], dtype=torch.long)
        src, dst, attr = [], [], []
        for i, j, b0, b1 in rec["bonds"]:
            src += [i, j]
            dst += [j, i]
            attr += [[b0, b1], [b0, b1]]
        edge_index = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)
        edge_attr = torch.tensor(attr, dtype=torch.long).reshape(-1, 2)
        graphs.append(Data(x=x, edge_index=edge_index, edge_attr=edge_attr))
    return graphs


def timed(fn, graphs, min_seconds=2.0):
    fn()  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        fn()
        n += 1
    return graphs * n / (time.perf_counter() - start)


def main():
    graphs = load(sys.argv[1])
    torch.manual_seed(0)
    layer = GINConv(HIDDEN)
    student = Student()
    student.train()
    adam = torch.optim.Adam(student.parameters(), lr=1e-3)
    for size in (32, 128, 256, 512):
        batch = Batch.from_data_list(graphs[:size])
        g = batch.num_graphs
        x = torch.randn(batch.num_nodes, HIDDEN, requires_grad=True)

        def layer_step():
            layer(x, batch.edge_index, batch.edge_attr).sum().backward()

        def forward():
            with torch.no_grad():
                student(batch)

        def forward_backward():
            student(batch).sum().backward()

        def train_step():
            adam.zero_grad()
            student(batch).sum().backward()
            adam.step()

        for name, fn in (
            ("layer_fwd_bwd", layer_step),
            ("student_fwd", forward),
            ("student_fwd_bwd", forward_backward),
            ("student_fwd_bwd_adam", train_step),
        ):
            print(json.dumps({"framework": "pyg", "torch": torch.__version__, "threads": torch.get_num_threads(),
                              "measure": name, "molecules": g, "graphs_per_second": round(timed(fn, g), 1)}))


if __name__ == "__main__":
    main()
