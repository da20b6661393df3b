#!/usr/bin/env python3
"""A second FEBRL-shaped list generator, written apart from `listlink generate`.

It shares nothing with the project's generator but the ten FEBRL column names: names come from
Faker's per-locale name lists (English, Irish, German, Dutch, French, Italian, Spanish and
Portuguese, with the frequencies Faker gives where it has them, otherwise a Zipf law), so
namesakes are as common as in a real population; addresses from Faker's Australian provider;
duplicates are corrupted the way GeCo and the FEBRL generator describe (keyboard typos,
phonetic spellings, nicknames, missing values, swapped name fields, day/month swaps, digit
slips, abbreviated street types, changed surnames), with their own probabilities.

    python bench/febrl_like.py --records 1000000 --seed 3 --out people.csv

Output columns: rec_id, given_name, surname, street_number, address_1, address_2, suburb,
postcode, state, date_of_birth (YYYYMMDD), soc_sec_id, truth (the person's number). The same
seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import random
import sys
import unicodedata
from pathlib import Path

LOCALES = ("en_GB", "en_US", "en_IE", "de_DE", "nl_NL", "fr_FR", "it_IT", "es_ES", "pt_PT")

# How many duplicates an original gets, and with what probability.
DUPLICATES = ((0, 0.52), (1, 0.26), (2, 0.11), (3, 0.07), (4, 0.04))
# How many fields a duplicate has changed.
CHANGES = ((1, 0.45), (2, 0.35), (3, 0.15), (4, 0.05))

NICKNAMES = {
    "william": ["bill", "will", "billy"], "robert": ["bob", "rob", "bobby"],
    "elizabeth": ["liz", "beth", "betty", "eliza"], "katherine": ["kate", "kathy", "katie"],
    "catherine": ["cathy", "kate"], "michael": ["mike", "mick"], "james": ["jim", "jimmy"],
    "richard": ["rick", "dick", "richie"], "thomas": ["tom", "tommy"], "joseph": ["joe", "joey"],
    "margaret": ["maggie", "peggy", "meg"], "jennifer": ["jen", "jenny"], "daniel": ["dan", "danny"],
    "christopher": ["chris"], "christine": ["chris", "tina"], "patricia": ["pat", "trish"],
    "anthony": ["tony"], "andrew": ["andy", "drew"], "alexander": ["alex", "sandy"],
    "benjamin": ["ben"], "samuel": ["sam"], "matthew": ["matt"], "nicholas": ["nick"],
    "jonathan": ["jon"], "susan": ["sue", "susie"], "rebecca": ["becky", "bec"],
    "deborah": ["deb", "debbie"], "victoria": ["vicky", "tori"], "edward": ["ed", "ted", "eddie"],
    "charles": ["charlie", "chuck"], "francis": ["frank"], "frances": ["fran"],
    "johannes": ["hans", "jan"], "giuseppe": ["beppe", "pino"], "francesco": ["franco"],
    "jose": ["pepe"], "francisco": ["paco", "pancho"], "margarethe": ["grete"],
}
PHONETIC = (("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("ie", "y"),
            ("y", "ie"), ("ll", "l"), ("tt", "t"), ("ss", "s"), ("ou", "u"), ("ei", "ie"),
            ("ae", "e"), ("mac", "mc"), ("mc", "mac"), ("th", "t"), ("z", "s"), ("sch", "sh"),
            ("w", "v"), ("ee", "i"), ("an", "en"), ("er", "a"))
STREET_TYPES = {"street": "st", "road": "rd", "avenue": "ave", "drive": "dr", "place": "pl",
                "crescent": "cres", "court": "ct", "parade": "pde", "terrace": "tce",
                "highway": "hwy", "lane": "ln", "close": "cl"}
KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def ascii_lower(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower().replace("'", "").strip()


def name_pool(attr: str) -> tuple[list[str], list[float]]:
    """Every locale's names, each weighted by its frequency in Faker or by a Zipf law."""
    weights: dict[str, float] = {}
    for loc in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        names = getattr(provider, attr, None)
        if not names or len(names) < 20:
            continue
        if hasattr(names, "items"):
            total = sum(names.values())
            items = [(n, w / total) for n, w in names.items()]
        else:
            # Faker's plain lists are alphabetical: a Zipf law over a fixed shuffle.
            shuffled = sorted(set(names), key=lambda n: hash_str(loc + n))
            z = [1.0 / (i + 1) ** 0.9 for i in range(len(shuffled))]
            total = sum(z)
            items = [(n, w / total) for n, w in zip(shuffled, z)]
        for n, w in items:
            n = ascii_lower(n)
            if n.isalpha() or all(p.isalpha() for p in n.replace("-", " ").split()):
                weights[n] = weights.get(n, 0.0) + w
    names = sorted(weights)
    return names, [weights[n] for n in names]


def hash_str(s: str) -> int:
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def places(rng: random.Random, n_streets: int, n_suburbs: int):
    from faker import Faker

    fake = Faker("en_AU")
    fake.seed_instance(rng.randrange(1 << 30))
    streets = sorted({ascii_lower(fake.street_name()) for _ in range(n_streets)})
    suburbs = []
    seen = set()
    for _ in range(n_suburbs):
        city = ascii_lower(fake.city())
        if city in seen:
            continue
        seen.add(city)
        suburbs.append((city, fake.postcode(), fake.state_abbr().lower()))
    suburbs.sort()
    return streets, suburbs


def original(rng, given, surname, streets, suburbs) -> dict:
    suburb, postcode, state = rng.choice(suburbs)
    year = rng.randint(1925, 2008)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
    return {
        "given_name": given(),
        "surname": surname(),
        "street_number": str(int(rng.paretovariate(1.3))) if rng.random() < 0.95 else "",
        "address_1": rng.choice(streets),
        "address_2": (rng.choice(["unit ", "flat ", "apartment ", "level "]) + str(rng.randint(1, 40))
                      if rng.random() < 0.15 else ""),
        "suburb": suburb,
        "postcode": postcode,
        "state": state,
        "date_of_birth": f"{year:04d}{month:02d}{day:02d}" if rng.random() < 0.97 else "",
        "soc_sec_id": str(rng.randint(1_000_000, 9_999_999)),
    }


def typo(rng, s: str) -> str:
    if not s:
        return s
    i = rng.randrange(len(s))
    kind = rng.random()
    if kind < 0.3:  # a neighbouring key
        for row in KEYBOARD:
            j = row.find(s[i])
            if j >= 0:
                near = [row[k] for k in (j - 1, j + 1) if 0 <= k < len(row)]
                return s[:i] + rng.choice(near) + s[i + 1:]
        return s[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + s[i + 1:]
    if kind < 0.55 and len(s) > 2:  # a letter dropped
        return s[:i] + s[i + 1:]
    if kind < 0.8:  # a letter doubled or inserted
        return s[:i] + (s[i] if rng.random() < 0.5 else rng.choice("aeinorst")) + s[i:]
    if i + 1 < len(s):  # two letters swapped
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s


def phonetic(rng, s: str) -> str:
    options = [(a, b) for a, b in PHONETIC if a in s]
    if not options:
        return typo(rng, s)
    a, b = rng.choice(options)
    at = [i for i in range(len(s)) if s.startswith(a, i)]
    i = rng.choice(at)
    return s[:i] + b + s[i + len(a):]


def digit_slip(rng, s: str) -> str:
    if not s:
        return s
    i = rng.randrange(len(s))
    if rng.random() < 0.5 and i + 1 < len(s):
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + str(rng.randrange(10)) + s[i + 1:]


def corrupt(rng, rec: dict, surname) -> dict:
    r = dict(rec)
    n = pick(rng, CHANGES)
    for _ in range(n):
        field = rng.choices(
            ["given_name", "surname", "street_number", "address_1", "address_2", "suburb",
             "postcode", "state", "date_of_birth", "soc_sec_id", "swap"],
            weights=[20, 20, 6, 10, 4, 8, 7, 2, 12, 7, 4],
        )[0]
        if field == "swap":
            r["given_name"], r["surname"] = r["surname"], r["given_name"]
            continue
        v = r[field]
        u = rng.random()
        if u < 0.12:
            r[field] = ""
        elif field == "given_name" and v in NICKNAMES and u < 0.45:
            r[field] = rng.choice(NICKNAMES[v])
        elif field == "surname" and u < 0.16:
            r[field] = surname()  # married, or another surname altogether
        elif field in ("given_name", "surname", "suburb"):
            r[field] = phonetic(rng, v) if u < 0.4 else typo(rng, v)
        elif field == "address_1":
            words = v.split()
            if words and words[-1] in STREET_TYPES and u < 0.5:
                words[-1] = STREET_TYPES[words[-1]]
                r[field] = " ".join(words)
            else:
                r[field] = typo(rng, v)
        elif field == "date_of_birth" and len(v) == 8:
            if u < 0.4 and int(v[6:]) <= 12:
                r[field] = v[:4] + v[6:] + v[4:6]
            elif u < 0.6:
                r[field] = f"{int(v[:4]) + rng.choice((-1, 1)):04d}" + v[4:]
            else:
                r[field] = digit_slip(rng, v)
        elif field in ("street_number", "postcode", "soc_sec_id"):
            r[field] = digit_slip(rng, v)
        elif field == "state":
            r[field] = rng.choice(["nsw", "vic", "qld", "wa", "sa", "tas", "act", "nt"])
        else:
            r[field] = typo(rng, v)
    return r


def pick(rng, table) -> int:
    u = rng.random()
    for value, p in table:
        u -= p
        if u < 0:
            return value
    return table[-1][0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    given_names, given_w = name_pool("first_names")
    surnames, surname_w = name_pool("last_names")
    streets, suburbs = places(rng, max(2_000, min(args.records // 20, 60_000)),
                              max(500, min(args.records // 100, 12_000)))
    print(f"[febrl-like] {len(given_names)} given names, {len(surnames)} surnames, "
          f"{len(streets)} streets, {len(suburbs)} suburbs", file=sys.stderr)
    given_cum = cumulative(given_w)
    surname_cum = cumulative(surname_w)

    def given():
        return rng.choices(given_names, cum_weights=given_cum)[0]

    def surname():
        return rng.choices(surnames, cum_weights=surname_cum)[0]

    rows = []
    person = 0
    while len(rows) < args.records:
        rec = original(rng, given, surname, streets, suburbs)
        rows.append((f"rec-{person}-org", rec, person))
        for d in range(pick(rng, DUPLICATES)):
            if len(rows) >= args.records:
                break
            rows.append((f"rec-{person}-dup-{d}", corrupt(rng, rec, surname), person))
        person += 1
    rng.shuffle(rows)
    columns = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb",
               "postcode", "state", "date_of_birth", "soc_sec_id"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["rec_id", *columns, "truth"])
        for rec_id, rec, truth in rows:
            w.writerow([rec_id, *(rec[c] for c in columns), truth])
    print(f"[febrl-like] wrote {len(rows)} records of {person} people to {args.out}",
          file=sys.stderr)
    return 0


def cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


if __name__ == "__main__":
    sys.exit(main())
