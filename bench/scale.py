#!/usr/bin/env python3
"""Dedupe FEBRL-like lists of 10k to 10M records with listlink and Splink 5; print one table.

Run through bench/scale.sh, which creates the venv and builds listlink.

For each size:
  1. `listlink generate --kind febrl --records N` writes people.csv (FEBRL's ten columns,
     rec_id, truth), the same bytes on every machine;
  2. listlink dedupes it with crates/listlink-core/tests/fixtures/febrl-settings.toml (every FEBRL column compared,
     five blocking rules), under /usr/bin/time for its peak RSS; stage seconds come from
     report.json;
  3. Splink 5 (DuckDB) dedupes the same file in a child process of this script, with the same
     comparisons on the same columns and the same blocking rules, trained as its tutorials
     recommend (prior from deterministic rules, u from random pairs, EM on blocked pairs);
  4. both are scored pairwise against the truth column: pairs with match probability >= 0.5.

Splink is skipped above --splink-max records (default 1M); the table says so. Up to
--repeat-max records (default 1M) each tool runs --repeat times (default 2) in a row and the
fastest run is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

THRESHOLD = 0.5
HERE = Path(__file__).resolve().parent
SETTINGS = HERE.parent / "crates/listlink-core/tests/fixtures/febrl-settings.toml"


def log(msg: str) -> None:
    print(f"[scale] {msg}", file=sys.stderr, flush=True)


def parse_size(s: str) -> int:
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1], 1)
    return int(float(s[:-1] if s[-1] in "km" else s) * mult)


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS in bytes, process)."""
    stats = Path(os.environ.get("TMPDIR", "/tmp")) / f"scale-time-{os.getpid()}.txt"
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(stats), *cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    seconds = time.perf_counter() - t0
    rss = int(stats.read_text().strip().splitlines()[-1]) * 1024 if stats.exists() else 0
    stats.unlink(missing_ok=True)
    return seconds, rss, proc


# ---------------------------------------------------------------- truth


def truth_of(people: Path):
    """rec_id -> truth (int), and the number of true pairs."""
    import pandas as pd

    df = pd.read_csv(people, usecols=["rec_id", "truth"], dtype={"rec_id": str, "truth": "int64"})
    sizes = df["truth"].value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    return df.set_index("rec_id")["truth"], true_pairs


def score(left, right, truth, true_pairs: int) -> dict:
    """Pairwise precision/recall/F1 of predicted pairs (two id sequences)."""
    import pandas as pd

    left = pd.Series(left, dtype=str)
    right = pd.Series(right, dtype=str)
    keep = left != right
    left, right = left[keep], right[keep]
    # Each unordered pair once.
    lo = left.where(left < right, right)
    hi = right.where(left < right, left)
    pairs = pd.DataFrame({"l": lo.values, "r": hi.values}).drop_duplicates()
    tl = truth.reindex(pairs["l"]).to_numpy()
    tr = truth.reindex(pairs["r"]).to_numpy()
    tp = int((tl == tr).sum())
    predicted = len(pairs)
    p = tp / predicted if predicted else 0.0
    r = tp / true_pairs if true_pairs else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "predicted": predicted, "true_pairs": true_pairs}


# ---------------------------------------------------------------- listlink


def run_listlink(binary: Path, people: Path, out: Path, threads: int | None,
                 inferred: bool) -> dict:
    if out.exists():
        shutil.rmtree(out)
    cmd = [str(binary), "dedupe", str(people), "--out", str(out)]
    if not inferred:
        cmd += ["--settings", str(SETTINGS)]
    if threads:
        cmd += ["--threads", str(threads)]
    log("running " + " ".join(cmd))
    seconds, rss, proc = timed(cmd)
    if proc.returncode != 0:
        raise RuntimeError(f"listlink exited {proc.returncode}\n{proc.stderr}")
    report = json.loads((out / "report.json").read_text())
    s = report["seconds"]
    stages = {
        "load": s["ingest"] + s["prepare"],
        "block": s["blocking"],
        "train": s["estimate_u"] + s["count_patterns"] + s["em"],
        "score": s["score"],
        "cluster+write": s["cluster"] + s["write"],
    }
    candidates = report["counts"]["candidate_pairs"]
    return {
        "seconds": seconds,
        "rss": rss,
        "candidate_pairs": candidates,
        "stages": stages,
        # Pairs compared and scored per second: every candidate pair is compared once (while
        # counting patterns for EM, or while scoring when there are too many to keep) and
        # scored once.
        "pairs_per_second": candidates / (s["count_patterns"] + s["score"])
        if s["count_patterns"] + s["score"] > 0 else None,
        "pairs_file": str(out / "pairs.csv"),
    }


def predicted_pairs(res: dict):
    """The pairs a run predicts (probability >= THRESHOLD), read back from its output file."""
    import pandas as pd

    path = Path(res.pop("pairs_file"))
    if path.suffix == ".parquet":
        pred = pd.read_parquet(path)
        pred = pred[pred["match_probability"] >= THRESHOLD]
        return pred["rec_id_l"].astype(str).to_numpy(), pred["rec_id_r"].astype(str).to_numpy()
    pairs = pd.read_csv(path, usecols=["left_id", "right_id", "match_probability"],
                        dtype={"left_id": str, "right_id": str})
    pairs = pairs[pairs["match_probability"] >= THRESHOLD]
    return pairs["left_id"].to_numpy(), pairs["right_id"].to_numpy()


# ---------------------------------------------------------------- splink (child process)


def splink_worker(people: Path, out: Path) -> None:
    """Runs Splink on people.csv; writes predictions (parquet) and stage seconds (JSON)."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    con = duckdb.connect()
    # Every column as text, empty as NULL (an empty string would count as agreement).
    con.execute(
        "create table people as select * from read_csv(?, all_varchar=true, header=true)",
        [str(people)],
    )
    db_api = DuckDBAPI(connection=con)
    t_load = time.perf_counter()
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "address_1"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.LevenshteinAtThresholds("street_number", [1]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("address_1", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("address_2", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("suburb", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.LevenshteinAtThresholds("postcode", [1]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("state"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ],
    )
    linker = Linker(db_api.register("people"), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("date_of_birth"), block_on("given_name", "surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    t_train = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=THRESHOLD)
    t_predict = time.perf_counter()
    candidates = None
    con.execute(
        f"copy (select rec_id_l, rec_id_r, match_probability from {pred.physical_name}) "
        "to ? (format parquet)",
        [str(out / "splink-pairs.parquet")],
    )
    t_done = time.perf_counter()
    # Count the candidate pairs Splink compares (the blocked pairs, each once).
    try:
        from splink.blocking_analysis import count_comparisons_from_blocking_rules

        counts = count_comparisons_from_blocking_rules(
            db_api.register("people"),
            blocking_rules=settings.blocking_rules_to_generate_predictions,
            link_type="dedupe_only",
            unique_id_column_name="rec_id",
            record_sample_proportion=1.0,
        )
        candidates = int(counts[-1]["cumulative_comparison_count"])
    except Exception as e:  # the count is for the table only
        log(f"splink: could not count blocked pairs: {e}")
    (out / "splink-stages.json").write_text(json.dumps({
        "load": t_load - t0,
        "train": t_train - t_load,
        "predict": t_predict - t_train,
        "write": t_done - t_predict,
        "candidate_pairs": candidates,
    }))


def run_splink(venv_python: str, people: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [venv_python, str(Path(__file__).resolve()), "--splink-worker", str(people), str(out)]
    log(f"running splink on {people}")
    seconds, rss, proc = timed(cmd)
    if proc.returncode != 0:
        raise RuntimeError(f"splink exited {proc.returncode}\n{proc.stderr[-3000:]}")
    stages = json.loads((out / "splink-stages.json").read_text())
    candidates = stages.pop("candidate_pairs")
    return {
        # From reading the CSV to the predictions written: without Python's start-up and
        # imports, and without the blocked-pair count made afterwards for the table.
        "seconds": sum(stages.values()),
        "process_seconds": seconds,
        "rss": rss,
        "candidate_pairs": candidates,
        "stages": stages,
        "pairs_per_second": candidates / stages["predict"] if candidates and stages["predict"] else None,
        "pairs_file": str(out / "splink-pairs.parquet"),
    }


# ---------------------------------------------------------------- table


def fmt_rows(rows: list[dict]) -> str:
    head = (f"{'records':>9} {'tool':<9} {'cand.pairs':>12} {'seconds':>8} {'stages (s)':<58} "
            f"{'pairs/s':>11} {'peak RSS':>9} {'F1':>7}")
    out = [head, "-" * len(head)]
    for r in rows:
        if "skipped" in r:
            out.append(f"{r['records']:>9} {r['tool']:<9} {'—':>12} skipped: {r['skipped']}")
            continue
        if "error" in r:
            out.append(f"{r['records']:>9} {r['tool']:<9} ERROR {r['error'].splitlines()[0][:80]}")
            continue
        stages = " ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        pps = f"{r['pairs_per_second'] / 1e6:.1f}M" if r.get("pairs_per_second") else "—"
        cand = f"{r['candidate_pairs']:,}" if r.get("candidate_pairs") is not None else "—"
        out.append(
            f"{r['records']:>9,} {r['tool']:<9} {cand:>12} {r['seconds']:>8.1f} {stages:<58} "
            f"{pps:>11} {r['rss'] / 2**20:>7.0f}MB {r['f1']:>7.4f}"
        )
    return "\n".join(out)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--splink-worker":
        splink_worker(Path(sys.argv[2]), Path(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k,1m,10m", help="comma-separated record counts")
    ap.add_argument("--splink-max", default="1m", help="skip Splink above this many records")
    ap.add_argument("--only", choices=("listlink", "splink"))
    ap.add_argument("--threads", type=int, help="listlink --threads")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--generator", choices=("listlink", "febrl-like"), default="listlink",
                    help="the project's generator, or bench/febrl_like.py written apart from it")
    ap.add_argument("--inferred", action="store_true",
                    help="listlink without a settings file: columns, comparisons and blocking "
                         "inferred (Splink keeps its tutorial-style rules)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs per tool and size, the fastest reported (default 2)")
    ap.add_argument("--repeat-max", default="1m",
                    help="repeat only up to this many records (default 1m)")
    ap.add_argument("--data", default=os.environ.get("BENCH_DATA", "target/bench-data"))
    ap.add_argument("--listlink-bin", default=os.environ.get("LISTLINK_BIN", "target/release/listlink"))
    ap.add_argument("--venv-python", default=sys.executable)
    args = ap.parse_args()

    binary = Path(args.listlink_bin).resolve()
    # Each generator's lists in their own folder, so neither overwrites the other's.
    root = Path(args.data).resolve() / ("scale" if args.generator == "listlink" else "scale-febrl-like")
    splink_max = parse_size(args.splink_max)
    rows = []
    for size in [parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        folder = root / label(size)
        people = folder / "people.csv"
        stamp = folder / "generated-with"
        if not people.exists() or not stamp.exists() or stamp.read_text() != f"seed={args.seed}":
            log(f"generating {size:,} records with the {args.generator} generator")
            if args.generator == "listlink":
                subprocess.run([str(binary), "generate", "--kind", "febrl", "--records", str(size),
                                "--seed", str(args.seed), "--out", str(folder)], check=True,
                               stdout=subprocess.DEVNULL)
            else:
                subprocess.run([args.venv_python, str(HERE / "febrl_like.py"), "--records",
                                str(size), "--seed", str(args.seed), "--out", str(people)],
                               check=True)
            stamp.write_text(f"seed={args.seed}")
        # The tools run first, while this script holds nothing big; scoring comes after.
        done = []
        for tool in ("listlink", "splink"):
            if args.only and tool != args.only:
                continue
            row = {"records": size, "tool": tool}
            if tool == "splink" and size > splink_max:
                row["skipped"] = f"above --splink-max {label(splink_max)}"
                rows.append(row)
                continue
            try:
                # Each tool runs `repeat` times in a row (sizes up to --repeat-max); the fastest
                # run is reported, so neither is measured cold while the other is warm.
                runs = args.repeat if size <= parse_size(args.repeat_max) else 1
                res = None
                for _ in range(max(runs, 1)):
                    if tool == "listlink":
                        r = run_listlink(binary, people, folder / "listlink-out", args.threads,
                                         args.inferred)
                    else:
                        r = run_splink(args.venv_python, people, folder / "splink-out")
                    if res is None or r["seconds"] < res["seconds"]:
                        res = r
                res["runs"] = max(runs, 1)
                row.update(res)
                done.append(row)
                log(f"{size:,} {tool}: {res['seconds']:.1f}s RSS {res['rss'] / 2**20:.0f}MB")
            except Exception as e:  # keep going; report in the table
                row["error"] = str(e)
                log(f"{size:,} {tool} FAILED: {e}")
            rows.append(row)
        if done:
            truth, true_pairs = truth_of(people)
            for row in done:
                row.update(score(*predicted_pairs(row), truth, true_pairs))
                log(f"{size:,} {row['tool']}: F1 {row['f1']:.4f}")
            del truth
        print(fmt_rows(rows), flush=True)

    print()
    print(fmt_rows(rows))
    print()
    for size in sorted({r["records"] for r in rows}):
        by = {r["tool"]: r for r in rows if r["records"] == size and "seconds" in r}
        if "listlink" in by and "splink" in by:
            l, s = by["listlink"], by["splink"]
            print(f"{size:>11,} records: Splink/listlink time {s['seconds'] / l['seconds']:.1f}x, "
                  f"memory {s['rss'] / max(l['rss'], 1):.1f}x; F1 listlink {l['f1']:.4f} vs "
                  f"Splink {s['f1']:.4f}")
    meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "seed": args.seed,
            "generator": args.generator, "listlink_settings": "inferred" if args.inferred
            else str(SETTINGS.relative_to(HERE.parent))}
    try:
        import duckdb
        import splink

        meta.update(splink=splink.__version__, duckdb=duckdb.__version__)
    except ImportError:
        pass
    result = root / ("scale_results_inferred.json" if args.inferred else "scale_results.json")
    result.write_text(json.dumps({"rows": rows, "meta": meta}, indent=2, default=str) + "\n")
    log(f"wrote {result}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
