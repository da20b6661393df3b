#!/usr/bin/env python3
"""Cross-script find benchmark: listlink (and a plain any_ascii + Jaro-Winkler baseline) on the
project's generated lists, with pairwise precision / recall / F1 per script pairing at one global
threshold, blocking recall, and calibration (expected calibration error with a reliability table of
the pairs listlink scored, p >= pairs_min_probability). Usage: bench/crossscript.py [--consular N] [--roster-only M]
[--seed S]... (see bench/crossscript.sh, which builds listlink and sets up the baseline's venv)."""
import argparse, csv, json, os, subprocess, sys, time
from collections import defaultdict

from realnames import reliability

def read(path):
    with open(path, newline='', encoding='utf-8-sig') as f:
        return list(csv.DictReader(f))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', default=os.environ.get('LISTLINK_BIN', 'target/release/listlink'))
    ap.add_argument('--consular', type=int, default=300)
    ap.add_argument('--roster-only', type=int, default=4500)
    ap.add_argument('--seed', type=int, action='append')
    ap.add_argument('--out', default='target/bench-data/crossscript')
    ap.add_argument('--threshold', type=float, default=0.5)
    ap.add_argument('--baseline', action='store_true', help='also run the any_ascii + Jaro-Winkler baseline')
    ap.add_argument('--mixed-origins', action='store_true', help='people of several origins, each written natively where its lists would')
    args = ap.parse_args()
    seeds = args.seed or [7, 11]
    results = []
    calibration = []
    for seed in seeds:
        d = os.path.join(args.out, f'seed{seed}')
        os.makedirs(d, exist_ok=True)
        subprocess.run([args.bin, 'generate', '--out', d, '--seed', str(seed), '--consular', str(args.consular),
                        '--roster-only', str(args.roster_only)] + (['--mixed-origins'] if args.mixed_origins else []),
                       check=True, stdout=subprocess.DEVNULL)
        out = os.path.join(d, 'out')
        t0 = time.time()
        subprocess.run([args.bin, 'find', '--list', os.path.join(d, 'consular.csv'), '--roster', os.path.join(d, 'roster.csv'),
                        '--as-of', '2026-01-01', '--out', out], check=True, stdout=subprocess.DEVNULL)
        secs = time.time() - t0
        report = json.load(open(os.path.join(out, 'report.json')))
        # Blocking recall: the same run with every candidate pair written (the inferred
        # settings, with pairs_min_probability = 0).
        settings = open(os.path.join(out, 'settings.toml')).read().replace('pairs_min_probability = 0.01', 'pairs_min_probability = 0.0')
        every = os.path.join(d, 'every-pair')
        os.makedirs(every, exist_ok=True)
        with open(os.path.join(every, 'settings.toml'), 'w') as f:
            f.write(settings)
        subprocess.run([args.bin, 'find', '--list', os.path.join(d, 'consular.csv'), '--roster', os.path.join(d, 'roster.csv'),
                        '--settings', os.path.join(every, 'settings.toml'), '--out', every], check=True, stdout=subprocess.DEVNULL)
        candidates_all = {((p['left_source'], p['left_id']), (p['right_source'], p['right_id'])) for p in read(os.path.join(every, 'pairs.csv'))}
        consular = read(os.path.join(d, 'consular.csv'))
        roster = read(os.path.join(d, 'roster.csv'))
        qrec = {('consular', r['id']): r for r in consular}
        rrec = {(r['source'], r['record_id']): r for r in roster}
        by_truth = defaultdict(list)
        for k, r in rrec.items():
            by_truth[r['truth']].append(k)
        truth_pairs = set()
        for qk, q in qrec.items():
            for rk in by_truth.get(q['truth'], []):
                truth_pairs.add((qk, rk))
        scored = {}
        for p in read(os.path.join(out, 'pairs.csv')):
            scored[((p['left_source'], p['left_id']), (p['right_source'], p['right_id']))] = float(p['match_probability'])
        ece, table = reliability([(p, pair in truth_pairs) for pair, p in scored.items()])
        calibration.append((seed, ece, table))
        tables = [('listlink', scored)]
        if args.baseline:
            tables.append(('baseline', baseline(qrec, rrec)))
        for tool, sc in tables:
            stats = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
            for (qk, rk), p in sc.items():
                if p < args.threshold:
                    continue
                key = (qrec[qk]['script'], rrec[rk]['script'])
                if (qk, rk) in truth_pairs:
                    stats[key][0] += 1
                else:
                    stats[key][1] += 1
            for (qk, rk) in truth_pairs:
                if sc.get((qk, rk), 0.0) < args.threshold:
                    stats[(qrec[qk]['script'], rrec[rk]['script'])][2] += 1
            candidates = sum(1 for pair in truth_pairs if pair in candidates_all) if tool == 'listlink' else None
            for key in sorted(stats):
                tp, fp, fn = stats[key]
                p = tp / (tp + fp) if tp + fp else 1.0
                r = tp / (tp + fn) if tp + fn else 1.0
                f1 = 2 * p * r / (p + r) if p + r else 0.0
                results.append(dict(seed=seed, tool=tool, pairing=f'{key[0]}-{key[1]}', tp=tp, fp=fp, fn=fn, precision=p, recall=r, f1=f1))
            tot = [sum(v[i] for v in stats.values()) for i in range(3)]
            p = tot[0] / (tot[0] + tot[1]) if tot[0] + tot[1] else 1.0
            r = tot[0] / (tot[0] + tot[2]) if tot[0] + tot[2] else 1.0
            results.append(dict(seed=seed, tool=tool, pairing='ALL', tp=tot[0], fp=tot[1], fn=tot[2], precision=p, recall=r,
                                f1=2 * p * r / (p + r) if p + r else 0.0,
                                seconds=secs if tool == 'listlink' else None,
                                names_per_second=(report['rows_accepted'] / report['seconds']['prepare']) if tool == 'listlink' and report['seconds']['prepare'] > 0 else None,
                                blocking_recall=(candidates / len(truth_pairs)) if candidates is not None else None,
                                records=report['rows_accepted'], candidate_pairs=report['counts']['candidate_pairs']))
    print(f"{'seed':>4}  {'tool':<9} {'pairing':<18} {'tp':>5} {'fp':>5} {'fn':>5}  {'prec':>6}  {'recall':>6}  {'F1':>6}")
    for r in results:
        extra = ''
        if r['pairing'] == 'ALL' and r.get('seconds') is not None:
            extra = (f"  blocking recall {r['blocking_recall']:.4f}, {r['candidate_pairs']} candidate pairs, {r['records']} records, "
                     f"{r['seconds']:.1f}s, {r['names_per_second']:.0f} records prepared/s")
        print(f"{r['seed']:>4}  {r['tool']:<9} {r['pairing']:<18} {r['tp']:>5} {r['fp']:>5} {r['fn']:>5}  {r['precision']:.4f}  {r['recall']:.4f}  {r['f1']:.4f}{extra}")
    for seed, ece, table in calibration:
        print(f"\nreliability, listlink, seed {seed} (pairs scored): expected calibration error {ece:.3f}")
        print(f"  {'band':9} {'pairs':>6} {'mean p':>7} {'right':>7}")
        for band, n, mp, share in table:
            print(f"  {band:9} {n:6d} {mp:7.3f} {share:7.3f}")
    json.dump(results, open(os.path.join(args.out, 'results.json'), 'w'), indent=1)

def baseline(qrec, rrec):
    """The plain approach: any_ascii of the whole name (tokens sorted, so order does not matter),
    Jaro-Winkler between query and roster, a match when it reaches 0.9 (reported as probability
    1.0 / 0.0 so the same 0.5 threshold applies)."""
    from anyascii import anyascii
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cdist
    import numpy as np
    def name(r):
        parts = [r.get('full_name') or '', r.get('given_name') or r.get('first_name') or '', r.get('surname') or r.get('last_name') or '']
        return ' '.join(sorted(anyascii(' '.join(parts)).lower().replace(',', ' ').split()))
    qk, rk = list(qrec), list(rrec)
    scores = cdist([name(qrec[k]) for k in qk], [name(rrec[k]) for k in rk], scorer=JaroWinkler.similarity, workers=-1)
    out = {}
    for i, j in zip(*np.nonzero(scores >= 0.9)):
        out[(qk[i], rk[j])] = 1.0
    return out

if __name__ == '__main__':
    main()
