#!/usr/bin/env python3
"""ACTG 175 split between two parties, the data of the holistic layer's patient-record case.

ACTG 175 (Hammer et al., NEJM 1996) is a randomised trial of HIV treatments in 2,139 adults; the
`lifelines` package (MIT licence) ships it as lifelines/datasets/ACTG175.csv. This script reads
that file -- from an installed lifelines, from a lifelines wheel, or from a CSV path -- and writes
what each party of docs/holistic.md holds, with only the Python standard library:

    lab.csv      pidnum + the blood tests (CD4 and CD8 counts at baseline and week 20)
    clinic.csv   pidnum + the clinical record (demographics, history, treatment arm, Karnofsky)
    outcome.csv  pidnum, event (the trial's `cens`: 1 = AIDS-defining event, CD4 drop or death),
                 split (train 60 % / validation 20 % / test 20 %, stratified by event, seed 0)

`days` (time to event) is left out everywhere: it tells the outcome. `cd496` (week 96, missing for
39 % of patients) and its indicator `r` are left out too.

    python3 scripts/actg175_data.py --wheel .hddnn/cache/lifelines-0.30.3-py3-none-any.whl \
        --out .hddnn/data/actg175
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import zipfile

LAB = ["cd40", "cd420", "cd80", "cd820"]
CLINIC = ["age", "wtkg", "hemo", "homo", "drugs", "karnof", "oprior", "z30", "zprior", "preanti",
          "race", "gender", "str2", "strat", "symptom", "treat", "offtrt", "arms"]
KEY = "pidnum"
EVENT = "cens"
MEMBER = "lifelines/datasets/ACTG175.csv"


def read_rows(args: argparse.Namespace) -> list[dict[str, str]]:
    if args.csv:
        with open(args.csv, newline="") as f:
            return list(csv.DictReader(f))
    if args.wheel:
        with zipfile.ZipFile(args.wheel) as z:
            return list(csv.DictReader(io.TextIOWrapper(z.open(MEMBER), encoding="utf-8")))
    import lifelines  # noqa: PLC0415 -- only when neither file is given

    path = os.path.join(os.path.dirname(lifelines.__file__), "datasets", "ACTG175.csv")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def split_ids(rows: list[dict[str, str]], seed: int) -> dict[str, str]:
    """Stratified 60/20/20 split by event, reproducible (random.Random is stable across versions)."""
    rng = random.Random(seed)
    assignment: dict[str, str] = {}
    for event in ("0", "1"):
        ids = sorted((r[KEY] for r in rows if r[EVENT] == event), key=int)
        rng.shuffle(ids)
        n_train, n_val = round(len(ids) * 0.6), round(len(ids) * 0.2)
        for i, pid in enumerate(ids):
            assignment[pid] = "train" if i < n_train else "validation" if i < n_train + n_val else "test"
    return assignment


def write(path: str, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wheel", help="a lifelines wheel (pip download --no-deps lifelines==0.30.3)")
    p.add_argument("--csv", help="ACTG175.csv itself")
    p.add_argument("--out", default=".hddnn/data/actg175")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rows = read_rows(args)
    missing = [c for c in [KEY, EVENT] + LAB + CLINIC if c not in rows[0]]
    if missing:
        print(f"error: ACTG175.csv lacks columns {missing}", file=sys.stderr)
        return 1
    for r in rows:
        for c in LAB + CLINIC:
            if r[c] in ("", "NA"):
                print(f"error: patient {r[KEY]} has no {c}", file=sys.stderr)
                return 1
    os.makedirs(args.out, exist_ok=True)
    splits = split_ids(rows, args.seed)
    rows.sort(key=lambda r: int(r[KEY]))
    write(os.path.join(args.out, "lab.csv"), [KEY] + LAB, [[r[KEY]] + [r[c] for c in LAB] for r in rows])
    write(os.path.join(args.out, "clinic.csv"), [KEY] + CLINIC, [[r[KEY]] + [r[c] for c in CLINIC] for r in rows])
    write(os.path.join(args.out, "outcome.csv"), [KEY, "event", "split"],
          [[r[KEY], r[EVENT], splits[r[KEY]]] for r in rows])
    counts = {s: sum(1 for v in splits.values() if v == s) for s in ("train", "validation", "test")}
    events = sum(1 for r in rows if r[EVENT] == "1")
    print(f"actg175: {len(rows)} patients ({events} events), split {counts}, written to {args.out}/"
          f"{{lab,clinic,outcome}}.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
