#!/usr/bin/env python3
"""Real names, names only: find Hebrew-script names of real people (Wikidata labels of every
origin) among the Latin names of the whole file, and the reverse. listlink beside two peers run on
the same queries in the same script: any_ascii + rapidfuzz token_sort_ratio (top 50 by that
score), and nomenklatura's logic-v2 reranking those 50 (when the venv has it).

The file's rows are split by a hash of their id into a tuning half and a reporting half; each
figure is printed for both, so a gain that shows only on the half tuned on is seen for what it
is. A top candidate is right when it is the query's own row or a namesake (the same name on the
roster's side: the file has exact duplicates, which are different people of one name).

Usage: bench/realnames.py [--queries 1000] [--half tune|report|both] [--direction he2en|en2he|both]
(bench/realnames.sh builds listlink and the peers' venv, and runs this)."""
import argparse, csv, hashlib, json, math, os, random, subprocess, sys, time
from collections import defaultdict


def read(path):
    with open(path, newline='', encoding='utf-8-sig') as f:
        return list(csv.DictReader(f))


def write(path, header, rows):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def half_of(row_id):
    return 'tune' if hashlib.sha256(row_id.encode()).digest()[0] % 2 == 0 else 'report'


def f1(tp, found, queries):
    p = tp / found if found else 0.0
    r = tp / queries if queries else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def reliability(scored, bins=10):
    """scored: (probability, right) for every candidate listed. Returns the expected
    calibration error and the table rows (band, pairs, mean p, share right)."""
    table = []
    ece = 0.0
    n = len(scored)
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, r) for p, r in scored if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if not inside:
            continue
        mean_p = sum(p for p, _ in inside) / len(inside)
        share = sum(r for _, r in inside) / len(inside)
        ece += len(inside) / n * abs(mean_p - share)
        table.append((f'{lo:.1f}-{hi:.1f}', len(inside), mean_p, share))
    return ece, table


def run_listlink(binary, d, queries, roster, qcol, rcol, names_of):
    """Runs listlink find; returns per query (status, [(candidate id, probability, band)])."""
    qpath, rpath = os.path.join(d, 'queries.csv'), os.path.join(d, 'roster.csv')
    write(qpath, ['id', 'full_name'], [(r['id'], r[qcol]) for r in queries])
    write(rpath, ['id', 'full_name'], [(r['id'], r[rcol]) for r in roster])
    out = os.path.join(d, 'out')
    t0 = time.time()
    subprocess.run([binary, 'find', '--list', qpath, '--roster', rpath, '--top', '5', '--out', out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.time() - t0
    found = defaultdict(list)
    status = {}
    for x in read(os.path.join(out, 'found.csv')):
        status[x['query_id']] = x['status']
        if x['candidate_id']:
            found[x['query_id']].append((x['candidate_id'], float(x['match_probability'] or 0), x['candidate_band']))
    # Blocking recall: the same settings with every candidate pair written.
    settings = open(os.path.join(out, 'settings.toml')).read()
    settings = settings.replace('pairs_min_probability = 0.01', 'pairs_min_probability = 0.0')
    every = os.path.join(d, 'every')
    os.makedirs(every, exist_ok=True)
    with open(os.path.join(every, 'settings.toml'), 'w') as f:
        f.write(settings)
    subprocess.run([binary, 'find', '--list', qpath, '--roster', rpath, '--settings',
                    os.path.join(every, 'settings.toml'), '--out', os.path.join(every, 'out')],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pairs = defaultdict(set)
    for p in read(os.path.join(every, 'out', 'pairs.csv')):
        if p['left_source'] == 'queries':
            pairs[p['left_id']].add(p['right_id'])
        else:
            pairs[p['right_id']].add(p['left_id'])
    return status, found, pairs, seconds


def right(qid, cid, names_of):
    return cid == qid or names_of.get(cid) == names_of.get(qid)


def peers(queries, roster, qcol, rcol, names_of, with_nomenklatura):
    from anyascii import anyascii as any_ascii
    from rapidfuzz import fuzz, process
    keys = [any_ascii(r[rcol]).lower() for r in roster]
    ids = [r['id'] for r in roster]
    base = {}
    t0 = time.time()
    for q in queries:
        hits = process.extract(any_ascii(q[qcol]).lower(), keys, scorer=fuzz.token_sort_ratio, limit=50)
        base[q['id']] = [(ids[i], score / 100.0) for _, score, i in hits]
    base_seconds = time.time() - t0
    nk = None
    nk_seconds = None
    if with_nomenklatura:
        try:
            nk, nk_seconds = nomenklatura_rerank(queries, roster, qcol, rcol, base)
        except Exception as e:  # the peer is optional: say why it is missing
            print(f'[realnames] nomenklatura not run: {type(e).__name__}: {e}', file=sys.stderr)
    return base, base_seconds, nk, nk_seconds


def nomenklatura_rerank(queries, roster, qcol, rcol, base):
    """OpenSanctions' matcher (yente's default, logic-v2) on each query's 50 baseline candidates,
    names only, with its default configuration."""
    from followthemoney import Dataset, StatementEntity
    from nomenklatura.matching import LogicV2
    from nomenklatura.matching.types import ScoringConfig
    dataset = Dataset.make({'name': 'realnames', 'title': 'realnames'})
    config = ScoringConfig.defaults()
    by_id = {r['id']: r for r in roster}

    def entity(eid, name):
        return StatementEntity.from_data(dataset, {'id': eid, 'schema': 'Person', 'properties': {'name': [name]}})

    out = {}
    t0 = time.time()
    for q in queries:
        qe = entity('q' + q['id'], q[qcol])
        scored = [(cid, float(LogicV2.compare(qe, entity(cid, by_id[cid][rcol]), config).score))
                  for cid, _ in base[q['id']]]
        scored.sort(key=lambda x: -x[1])
        out[q['id']] = scored
    return out, time.time() - t0


def score_ranked(ranked, queries, names_of, threshold):
    """First-rank accuracy, and found P/R/F1 at the threshold (the top candidate only)."""
    first = tp = found = 0
    for q in queries:
        cands = ranked.get(q['id'], [])
        if cands and right(q['id'], cands[0][0], names_of):
            first += 1
        if cands and cands[0][1] >= threshold:
            found += 1
            tp += right(q['id'], cands[0][0], names_of)
    return first / len(queries), f1(tp, found, len(queries))


def best_threshold(ranked, queries, names_of):
    best = (0.0, 0.5)
    for t in [x / 100 for x in range(30, 100)]:
        _, (_, _, f) = score_ranked(ranked, queries, names_of, t)
        best = max(best, (f, t))
    return best[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', default=os.environ.get('LISTLINK_BIN', 'target/release/listlink'))
    ap.add_argument('--data', default=os.environ.get('REALNAMES', os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data', 'he_en_wikidata_dev.csv')))
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--half', default='both', choices=['tune', 'report', 'both'])
    ap.add_argument('--direction', default='both', choices=['he2en', 'en2he', 'both'])
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', default='target/bench-data/realnames')
    ap.add_argument('--peers', action='store_true', help='also run the any_ascii + rapidfuzz and nomenklatura peers')
    ap.add_argument('--errors', type=int, default=0, help='print this many wrong answers per run (tuning half only)')
    args = ap.parse_args()
    rows = read(args.data)
    halves = ['tune', 'report'] if args.half == 'both' else [args.half]
    directions = ['he2en', 'en2he'] if args.direction == 'both' else [args.direction]
    results = []
    for half in halves:
        pool = [r for r in rows if half_of(r['id']) == half]
        queries = random.Random(args.seed).sample(pool, min(args.queries, len(pool)))
        for direction in directions:
            qcol, rcol = ('hebrew', 'latin') if direction == 'he2en' else ('latin', 'hebrew')
            names_of = {r['id']: r[rcol] for r in rows}
            d = os.path.join(args.out, f'{half}-{direction}')
            os.makedirs(d, exist_ok=True)
            status, found, pairs, seconds = run_listlink(args.bin, d, queries, rows, qcol, rcol, names_of)
            first = sum(1 for q in queries if found.get(q['id']) and right(q['id'], found[q['id']][0][0], names_of))
            listed_found = [(q['id'], c) for q in queries for c in found.get(q['id'], []) if c[2] == 'found']
            tp_pairs = sum(1 for qid, c in listed_found if right(qid, c[0], names_of))
            recalled = sum(1 for q in queries if any(c[2] == 'found' and right(q['id'], c[0], names_of) for c in found.get(q['id'], [])))
            p = tp_pairs / len(listed_found) if listed_found else 0.0
            r = recalled / len(queries)
            f = 2 * p * r / (p + r) if p + r else 0.0
            ece, table = reliability([(c[1], right(q['id'], c[0], names_of)) for q in queries for c in found.get(q['id'], [])])
            blocked = sum(1 for q in queries if any(right(q['id'], c, names_of) for c in pairs.get(q['id'], ())))
            row = {'half': half, 'direction': direction, 'tool': 'listlink', 'first': first / len(queries),
                   'precision': p, 'recall': r, 'f1': f, 'ece': ece, 'blocking_recall': blocked / len(queries),
                   'seconds': seconds, 'reliability': table}
            results.append(row)
            if args.errors and half == 'tune':
                shown = 0
                for q in queries:
                    c = found.get(q['id'], [])
                    ok = c and right(q['id'], c[0][0], names_of)
                    if not ok and shown < args.errors:
                        shown += 1
                        top = f"{names_of.get(c[0][0])} p={c[0][1]:.2f}" if c else '-'
                        print(f"  [{direction}] {q[qcol]}  want {names_of[q['id']]}  got {top}  ({status.get(q['id'])})")
            if args.peers:
                base, bs, nk, ns = peers(queries, rows, qcol, rcol, names_of, True)
                for tool, ranked, secs in [('any_ascii+token_sort_ratio', base, bs), ('nomenklatura logic-v2', nk, ns)]:
                    if ranked is None:
                        continue
                    # The threshold of F1 is chosen on the tuning half's queries and applied to both.
                    # (Without the tuning half in this run, it is chosen on the half shown.)
                    key = (tool, direction)
                    if half == 'tune' or key not in thresholds:
                        thresholds[key] = best_threshold(ranked, queries, names_of)
                    t = thresholds[key]
                    fr, (pp, rr, ff) = score_ranked(ranked, queries, names_of, t)
                    results.append({'half': half, 'direction': direction, 'tool': f'{tool} (t={t:.2f})', 'first': fr,
                                    'precision': pp, 'recall': rr, 'f1': ff, 'ece': None, 'blocking_recall': None,
                                    'seconds': secs, 'reliability': None})
    print(f"\n{'half':7} {'direction':9} {'tool':40} {'first':>6} {'P':>6} {'R':>6} {'F1':>6} {'ECE':>6} {'block':>6} {'s':>6}")
    for x in results:
        fmt = lambda v: '-' if v is None else f'{v:.3f}'
        print(f"{x['half']:7} {x['direction']:9} {x['tool']:40} {fmt(x['first']):>6} {fmt(x['precision']):>6} {fmt(x['recall']):>6} {fmt(x['f1']):>6} {fmt(x['ece']):>6} {fmt(x['blocking_recall']):>6} {x['seconds']:6.1f}")
    for x in results:
        if x['reliability']:
            print(f"\nreliability, listlink, {x['half']} {x['direction']} (candidates listed in found.csv):")
            print(f"  {'band':9} {'pairs':>6} {'mean p':>7} {'right':>7}")
            for band, n, mp, share in x['reliability']:
                print(f"  {band:9} {n:6d} {mp:7.3f} {share:7.3f}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)


thresholds = {}

if __name__ == '__main__':
    main()
