"""Load generator for bench/serve.sh: POST /api/match with one record per request (records
taken from the list, each looked up once), from N client threads on loopback; prints latency
percentiles and requests per second. Standard library only."""

import argparse
import csv
import http.client
import json
import statistics
import threading
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--list", required=True)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--clients", type=int, default=2)
    a = p.parse_args()
    host, port = a.addr.rsplit(":", 1)

    def conn():
        return http.client.HTTPConnection(host, int(port), timeout=600)

    c = conn()
    c.request("GET", "/api/csrf")
    token = json.loads(c.getresponse().read())["csrf_token"]
    queries = []
    with open(a.list, newline="", encoding="utf-8-sig") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i % 97 == 0:
                row.pop("rec_id", None)
                queries.append({k: v for k, v in row.items() if v and k not in ("truth",)})
            if len(queries) >= a.requests + 10:
                break
    headers = {"Content-Type": "application/json", "X-CSRF-Token": token}

    def one(c, record):
        body = json.dumps({"records": [record], "top": 3})
        t = time.perf_counter()
        c.request("POST", "/api/match", body=body, headers=headers)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"status {r.status}")
        return time.perf_counter() - t

    warm = conn()
    for q in queries[:3]:
        one(warm, q)
    work = queries[10 : 10 + a.requests]
    latencies = []
    lock = threading.Lock()
    cursor = [0]

    def client():
        c = conn()
        while True:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            if i >= len(work):
                return
            t = one(c, work[i])
            with lock:
                latencies.append(t)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    q = lambda x: latencies[min(len(latencies) - 1, int(x * len(latencies)))] * 1e3
    print(f"[serve] POST /api/match, one record, top 3: {len(latencies)} requests from {a.clients} clients")
    print(f"[serve] p50 {q(0.50):.1f} ms · p99 {q(0.99):.1f} ms · mean {statistics.mean(latencies) * 1e3:.1f} ms · {len(latencies) / elapsed:.1f} requests/s")
    print("[serve] aim: p99 < 10 ms, >= 1,000 requests/s; yente: no published figure found")


main()
