#!/usr/bin/env python3
"""Writes molecules with 3D geometries from an SDF (e.g. PCQM4Mv2's `pcqm4m-v2-train.sdf`) in the
layout of `qm9_full.csv.gz`, so `molkd pretrain-blend --data OUT.csv.gz` and `examples/qm9.rs` read
them: columns Index, SMILES, Elements, XYZ_Ang, HOMO_LUMO_gap_au.

The SMILES is RDKit's canonical SMILES of the heavy atoms and Elements / XYZ_Ang list the heavy
atoms in the SMILES' atom order (`_smilesAtomOutputOrder`), which is the order molkd's loader
checks geometries against. The gap comes from a label CSV whose rows line up with the SDF's
molecules (PCQM4Mv2's `data.csv.gz`: column `homolumogap`, eV; its first 3,378,606 rows are the
training molecules of the SDF), converted to hartree as QM9 stores it.

Usage:
  sdf_to_qm9_csv.py --sdf pcqm4m-v2-train.sdf --labels data.csv.gz --output pcqm4mv2_3d.csv.gz

Molecules RDKit cannot read, or with no gap label, are reported by their SDF index and left out
(the output's Index column keeps each molecule's SDF index). Needs `pip install rdkit pandas`.
"""
import argparse
import csv
import gzip
import json
import math
import os
import sys

import pandas as pd
from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
HARTREE_EV = 27.211386245988


def convert(mol):
    """(smiles, elements, xyz) of a molecule with a conformer, heavy atoms in SMILES order."""
    heavy = Chem.RemoveHs(mol)
    smiles = Chem.MolToSmiles(heavy)
    order = json.loads(heavy.GetProp("_smilesAtomOutputOrder").replace(",]", "]"))
    conf = heavy.GetConformer()
    elements = [heavy.GetAtomWithIdx(i).GetSymbol() for i in order]
    xyz = []
    for i in order:
        p = conf.GetAtomPosition(i)
        xyz.append([round(p.x, 6), round(p.y, 6), round(p.z, 6)])
    return smiles, elements, xyz


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdf", required=True)
    parser.add_argument("--labels", required=True, help="CSV with one gap per SDF molecule")
    parser.add_argument("--gap-column", default="homolumogap", help="its gap column (eV)")
    parser.add_argument("--output", required=True, help="CSV, gzipped when it ends in .gz")
    parser.add_argument("--limit", type=int, help="convert only the first N molecules")
    args = parser.parse_args()

    labels = pd.read_csv(args.labels)
    if args.gap_column not in labels.columns:
        sys.exit(f"{args.labels}: no column `{args.gap_column}`")
    gaps = labels[args.gap_column].to_numpy()

    tmp = args.output + ".part"
    opener = gzip.open if args.output.endswith(".gz") else open
    written = skipped = 0
    with opener(tmp, "wt", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Index", "SMILES", "Elements", "XYZ_Ang", "HOMO_LUMO_gap_au"])
        supplier = Chem.SDMolSupplier(args.sdf, removeHs=False)
        for index, mol in enumerate(supplier):
            if args.limit is not None and index >= args.limit:
                break
            if mol is None or mol.GetNumConformers() == 0:
                print(f"SDF molecule {index}: RDKit cannot read it; left out", file=sys.stderr)
                skipped += 1
                continue
            if index >= len(gaps) or not math.isfinite(gaps[index]):
                print(f"SDF molecule {index}: no gap label; left out", file=sys.stderr)
                skipped += 1
                continue
            smiles, elements, xyz = convert(mol)
            out.writerow([index, smiles, repr(elements), json.dumps(xyz),
                          gaps[index] / HARTREE_EV])
            written += 1
    os.replace(tmp, args.output)
    print(f"{args.output}: {written} molecules, {skipped} left out", file=sys.stderr)


if __name__ == "__main__":
    main()
