"""Plots for docs/holistic.md from `hddnn holistic fit` and `hddnn holistic experiment` results.

    .venv-paper/bin/python scripts/holistic_plots.py docs/holistic/results docs/holistic
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(results, "experiment.json")) as f:
        exp = json.load(f)
    with open(os.path.join(results, "fusion.json")) as f:
        fit = json.load(f)

    # Placement: median latency by records, one line per policy, one panel per query.
    queries = sorted({r["query"] for r in exp["placement"]})
    fig, axes = plt.subplots(1, len(queries), figsize=(5.5 * len(queries), 4), sharey=True)
    for ax, q in zip(axes, queries):
        for policy, style in (("optimal", "o-"), ("at-data", "s--"), ("fastest-node", "^:")):
            rows = sorted((r for r in exp["placement"] if r["query"] == q and r["policy"] == policy), key=lambda r: r["records"])
            ax.plot([r["records"] for r in rows], [r["medianMs"] for r in rows], style, label=policy)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(q, fontsize=9)
        ax.set_xlabel("records in the query")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("measured latency, ms (median of 3)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "placement.png"), dpi=120)

    # Deadline: accuracy of the fusion chosen and measured latency against the deadline.
    rows = [r for r in exp["deadline"] if r.get("fusion")]
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [r.get("deadlineMs") or 600 for r in rows]
    ax.plot(xs, [r["testAccuracy"] for r in rows], "o-")
    for x, r in zip(xs, rows):
        ax.annotate(r["fusion"].replace("fmnist-", ""), (x, r["testAccuracy"]), fontsize=7, rotation=20,
                    xytext=(3, 4), textcoords="offset points")
    ax.set_xlabel("deadline, ms (600 = none)")
    ax.set_ylabel("accuracy on the query's test images")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "deadline.png"), dpi=120)

    # Fusion: test score of every model and fusion, per case.
    fig, axes = plt.subplots(1, len(fit["cases"]), figsize=(12, 4.5))
    for ax, case in zip(axes, fit["cases"]):
        rows = sorted(case["rows"], key=lambda r: r["test"].get("auc") or r["test"]["accuracy"])
        names = [r["fusion"].replace("fmnist-", "").replace("actg-", "") for r in rows]
        values = [r["test"].get("auc") or r["test"]["accuracy"] for r in rows]
        colors = ["tab:gray" if r["method"] == "single" else "tab:blue" for r in rows]
        if case.get("reference"):
            names.append("central (reference)")
            values.append(case["reference"]["test"].get("auc") or case["reference"]["test"]["accuracy"])
            colors.append("tab:orange")
        ax.barh(names, values, color=colors)
        ax.set_xlim(min(values) - 0.03, max(values) + 0.01)
        ax.set_title(case["title"] + (" (test AUC)" if rows[0]["test"].get("auc") else " (test accuracy)"), fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fusion.png"), dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
