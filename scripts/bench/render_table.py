#!/usr/bin/env python3
"""Render the bench-gateway results as one markdown table.

Usage: render_table.py RESULTS_DIR TARGET...

For each target, RESULTS_DIR holds (files may be missing when a step failed):
  TARGET-closed.json, TARGET-rate.json, TARGET-idle.json   output of `tether bench ... --json`
  TARGET-closed.cpu, TARGET-rate.cpu                       CPU seconds the proxy used during that run
  TARGET-idle.rss                                          "<rss KiB before> <rss KiB after>" of the proxy
CPU per message divides the proxy's CPU time by every echo of the run (warm-up + measurement + drain);
one echo is two relayed messages (client→server and back). Added latency is the target's p99 minus
the direct p99 at the same fixed rate.
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_numbers(path):
    try:
        with open(path) as f:
            return [float(x) for x in f.read().split()]
    except (OSError, ValueError):
        return None


def fmt(value, digits=0):
    if value is None:
        return "—"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def main():
    results, targets = sys.argv[1], sys.argv[2:]
    rows = []
    direct_p99 = None
    rate = None
    for target in targets:
        base = os.path.join(results, target)
        closed = load(base + "-closed.json")
        fixed = load(base + "-rate.json")
        idle = load(base + "-idle.json")
        if fixed is not None:
            rate = fixed["rate"]
        p99 = fixed["rtt_us"]["p99"] if fixed else None
        if target == "direct":
            direct_p99 = p99

        def cpu_per_message(run, kind):
            if run is None or target == "direct":
                return None
            cpu = read_numbers(f"{base}-{kind}.cpu")
            echoes = run["warmup_received"] + run["received_total"]
            if not cpu or echoes == 0:
                return None
            return cpu[0] * 1e6 / echoes

        rss = read_numbers(base + "-idle.rss")
        per_conn = None
        if rss and idle and idle.get("opened"):
            per_conn = (rss[1] - rss[0]) / idle["opened"]
        rows.append({
            "target": target,
            "closed": closed["messages_per_second"] if closed else None,
            "p50": fixed["rtt_us"]["p50"] if fixed else None,
            "p99": p99,
            "p999": fixed["rtt_us"]["p999"] if fixed else None,
            "cpu_closed": cpu_per_message(closed, "closed"),
            "cpu_rate": cpu_per_message(fixed, "rate"),
            "idle": f'{idle["opened"]}/{idle["requested"]}' if idle else None,
            "kib": per_conn,
            "problems": sum((r or {}).get(k, 0) for r in (closed, fixed) for k in ("errors", "mismatched", "disconnected", "unanswered")),
        })

    rate_text = f"{rate:,} msg/s" if rate else "fixed rate"
    print(f"| target | closed-loop echo msg/s | p50 / p99 / p99.9 RTT µs @ {rate_text} | p99 added vs direct µs "
          f"| proxy CPU µs per echo (closed loop) | proxy CPU µs per echo (@ fixed rate) | idle conns opened "
          f"| proxy KiB per idle conn | errors |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        added = None
        if r["p99"] is not None and direct_p99 is not None and r["target"] != "direct":
            added = r["p99"] - direct_p99
        rtt = "—" if r["p50"] is None else f'{r["p50"]} / {r["p99"]} / {r["p999"]}'
        kib = fmt(r["kib"], 1)
        if r["target"] == "direct" and r["kib"] is not None:
            kib += " (echo server)"
        print(f'| {r["target"]} | {fmt(r["closed"])} | {rtt} | {fmt(added)} | {fmt(r["cpu_closed"], 2)} '
              f'| {fmt(r["cpu_rate"], 2)} | {r["idle"] or "—"} | {kib} | {r["problems"]} |')


if __name__ == "__main__":
    main()
