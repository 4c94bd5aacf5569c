#!/usr/bin/env python3
"""RDKit reference outputs that molkd's tests compare against.

Subcommands
  features  INPUT OUTPUT   OGB features (ogb.utils.features vocabularies) of one SMILES per line,
                           as JSON lines in the format of `molkd featurize --scheme ogb`.
  split     --csv FILE --smiles-column COL --output OUT
                           pretrain-gnns `scaffold_split` (80/10/10) of a MoleculeNet CSV, with rows
                           RDKit cannot parse excluded; writes 0-based data-row numbers as JSON.
  time      INPUT          RDKit + Python time to parse and featurise INPUT (molecules/s, one core).
  relations INPUT OUTPUT   Per molecule (one SMILES per line): `Chem.GetDistanceMatrix` as "spd"
                           (-1 across fragments) and, for every pair i < j in one fragment,
                           `Chem.GetShortestPath(mol, i, j)` as "paths" (atom lists), JSON lines.

Needs `pip install rdkit pandas`.
"""
import argparse
import json
import sys
import time

from rdkit import Chem, RDLogger
from rdkit.Chem.Scaffolds import MurckoScaffold

RDLogger.DisableLog("rdApp.*")

# Category lists of ogb.utils.features (the last entry of each open list is "misc").
ATOMIC_NUM = list(range(1, 119)) + ["misc"]
CHIRALITY = ["CHI_UNSPECIFIED", "CHI_TETRAHEDRAL_CW", "CHI_TETRAHEDRAL_CCW", "CHI_OTHER", "misc"]
DEGREE = list(range(11)) + ["misc"]
CHARGE = list(range(-5, 6)) + ["misc"]
NUM_HS = list(range(9)) + ["misc"]
RADICALS = list(range(5)) + ["misc"]
HYBRIDIZATION = ["SP", "SP2", "SP3", "SP3D", "SP3D2", "misc"]
BOND_TYPE = ["SINGLE", "DOUBLE", "TRIPLE", "AROMATIC", "misc"]
BOND_STEREO = ["STEREONONE", "STEREOZ", "STEREOE", "STEREOCIS", "STEREOTRANS", "STEREOANY"]


def index_or_misc(values, value):
    try:
        return values.index(value)
    except ValueError:
        return len(values) - 1


def atom_features(atom):
    return [
        index_or_misc(ATOMIC_NUM, atom.GetAtomicNum()),
        CHIRALITY.index(str(atom.GetChiralTag())) if str(atom.GetChiralTag()) in CHIRALITY else 4,
        index_or_misc(DEGREE, atom.GetTotalDegree()),
        index_or_misc(CHARGE, atom.GetFormalCharge()),
        index_or_misc(NUM_HS, atom.GetTotalNumHs()),
        index_or_misc(RADICALS, atom.GetNumRadicalElectrons()),
        index_or_misc(HYBRIDIZATION, str(atom.GetHybridization())),
        int(atom.GetIsAromatic()),
        int(atom.IsInRing()),
    ]


def bond_features(bond):
    return [
        index_or_misc(BOND_TYPE, str(bond.GetBondType())),
        BOND_STEREO.index(str(bond.GetStereo())),
        int(bond.GetIsConjugated()),
    ]


def graph_record(smiles):
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return {"smiles": smiles, "error": "RDKit could not parse"}
    atoms = [atom_features(a) for a in mol.GetAtoms()]
    bonds = [[b.GetBeginAtomIdx(), b.GetEndAtomIdx()] + bond_features(b) for b in mol.GetBonds()]
    return {"smiles": smiles, "atoms": atoms, "bonds": bonds}


def read_smiles(path):
    with open(path) as f:
        return [line.split()[0] for line in f if line.split()]


def cmd_features(args):
    with open(args.output, "w") as out:
        for s in read_smiles(args.input):
            out.write(json.dumps(graph_record(s)) + "\n")


def scaffold_split(smiles_list, frac_train=0.8, frac_valid=0.1):
    """pretrain-gnns chem/splitters.py scaffold_split, on positions 0..n-1."""
    all_scaffolds = {}
    for i, s in enumerate(smiles_list):
        scaffold = MurckoScaffold.MurckoScaffoldSmiles(smiles=s, includeChirality=True)
        all_scaffolds.setdefault(scaffold, []).append(i)
    all_scaffolds = {k: sorted(v) for k, v in all_scaffolds.items()}
    sets = [v for (_, v) in sorted(all_scaffolds.items(), key=lambda x: (len(x[1]), x[1][0]), reverse=True)]
    train_cutoff = frac_train * len(smiles_list)
    valid_cutoff = (frac_train + frac_valid) * len(smiles_list)
    train, valid, test = [], [], []
    for s in sets:
        if len(train) + len(s) > train_cutoff:
            if len(train) + len(valid) + len(s) > valid_cutoff:
                test.extend(s)
            else:
                valid.extend(s)
        else:
            train.extend(s)
    return train, valid, test


def cmd_split(args):
    import pandas as pd

    df = pd.read_csv(args.csv)
    rows, smiles = [], []
    for row, s in enumerate(df[args.smiles_column]):
        if isinstance(s, str) and Chem.MolFromSmiles(s) is not None:
            rows.append(row)
            smiles.append(s)
    train, valid, test = scaffold_split(smiles)
    out = {k: [rows[i] for i in v] for k, v in (("train", train), ("valid", valid), ("test", test))}
    with open(args.output, "w") as f:
        json.dump(out, f)


def cmd_time(args):
    smiles = read_smiles(args.input)
    start = time.perf_counter()
    n = sum(1 for s in smiles if "error" not in graph_record(s))
    elapsed = time.perf_counter() - start
    print(json.dumps({"molecules": len(smiles), "parsed": n, "seconds": elapsed,
                      "molecules_per_second": len(smiles) / elapsed}))


def cmd_relations(args):
    with open(args.output, "w") as out:
        for s in read_smiles(args.input):
            mol = Chem.MolFromSmiles(s)
            if mol is None:
                out.write(json.dumps({"smiles": s, "error": "RDKit could not parse"}) + "\n")
                continue
            dm = Chem.GetDistanceMatrix(mol)
            n = mol.GetNumAtoms()
            # RDKit marks pairs in different fragments with a large value (1e8).
            spd = [[int(d) if d < 1e6 else -1 for d in row] for row in dm]
            paths = {}
            for i in range(n):
                for j in range(i + 1, n):
                    if spd[i][j] > 0:
                        paths[f"{i},{j}"] = list(Chem.GetShortestPath(mol, i, j))
            out.write(json.dumps({"smiles": s, "spd": spd, "paths": paths}) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features")
    f.add_argument("input")
    f.add_argument("output")
    f.set_defaults(func=cmd_features)
    s = sub.add_parser("split")
    s.add_argument("--csv", required=True)
    s.add_argument("--smiles-column", required=True)
    s.add_argument("--output", required=True)
    s.set_defaults(func=cmd_split)
    r = sub.add_parser("relations")
    r.add_argument("input")
    r.add_argument("output")
    r.set_defaults(func=cmd_relations)
    t = sub.add_parser("time")
    t.add_argument("input")
    t.set_defaults(func=cmd_time)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
