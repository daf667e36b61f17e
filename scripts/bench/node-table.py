#!/usr/bin/env python3
"""Helpers of scripts/bench-node: judge one `tether bench fanout --json` run, and render the results table.

Usage:
  node-table.py verdict FILE P99_LIMIT_US
      Prints "pass" when the run is sustainable: every publication acknowledged, none skipped or failed,
      nothing lost, no subscriber disconnected, and latency p99 below P99_LIMIT_US; otherwise "fail: REASON".
  node-table.py table RESULTS_DIR P99_LIMIT_US
      Reads RESULTS_DIR/runs.txt (lines "SUBSCRIBERS RATE ROLE FILE", ROLE = best | over | fixed |
      saturate) and
      RESULTS_DIR/idle.json (`tether bench node-idle --json`, optional); prints one markdown table.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def verdict(report, p99_limit_us):
    if report is None:
        return "fail: no report (the bench failed)"
    problems = []
    if report.get("failed", 0):
        problems.append(f"{report['failed']} connections failed to open")
    if report.get("publish_failed", 0):
        problems.append(f"{report['publish_failed']} publishes failed")
    if report.get("skipped", 0):
        problems.append(f"{report['skipped']} publications skipped (publisher backlog)")
    if report.get("lost", 0):
        problems.append(f"{report['lost']} lost")
    if report.get("disconnected", 0):
        problems.append(f"{report['disconnected']} disconnected")
    p99 = report.get("latency_us", {}).get("p99", 0)
    if p99 >= p99_limit_us:
        problems.append(f"p99 {p99 / 1000:.1f} ms")
    return "pass" if not problems else "fail: " + ", ".join(problems)


def fmt(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ms(us):
    return f"{us / 1000:.1f}" if us < 10_000 else f"{us / 1000:.0f}"


def other_load(path):
    try:
        with open(path + ".other") as f:
            return f"{float(f.read()) * 100:.0f}%"
    except (OSError, ValueError):
        return "—"


def table(results, p99_limit_us):
    rows = []
    with open(f"{results}/runs.txt") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                rows.append(parts)
    out = [
        "| subscribers | channels | publications/s | deliveries/s | node CPU | deliveries/s per core"
        " | latency p50 / p99 / p99.9 ms | lost / dup / out of order | KiB per idle connection | other load on the node's CPU | run |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    labels = {
        "best": "highest rate sustained (p99 < limit)",
        "over": "not sustained",
        "fixed": "fixed rate",
        "saturate": "fixed high rate, latency limit ignored",
    }
    for subscribers, rate, role, path in rows:
        r = load(path)
        if r is None:
            out.append(f"| {int(subscribers):,} | — | {int(rate):,} | — | — | — | — | — | — | — | {labels.get(role, role)}: the bench failed |")
            continue
        lat = r["latency_us"]
        cpu = r.get("node_cpu_utilisation")
        per_core = r.get("deliveries_per_cpu_second")
        note = labels.get(role, role)
        if role in ("over", "saturate", "fixed"):
            problems = verdict(r, p99_limit_us).removeprefix("fail: ").removeprefix("pass")
            if problems:
                note += f" ({problems})"
        gen = r.get("generator_cpu_utilisation")
        if gen is not None and gen >= 0.9:
            note += f"; load generator at {gen * 100:.0f}% of its core"
        out.append(
            f"| {r['subscribers']:,} | {r['channels']} | {fmt(r['published_per_second'])} | {fmt(r['deliveries_per_second'])}"
            f" | {fmt(cpu * 100 if cpu is not None else None)}% | {fmt(per_core)}"
            f" | {ms(lat['p50'])} / {ms(lat['p99'])} / {ms(lat['p999'])}"
            f" | {r['lost']} / {r['duplicates']} / {r['out_of_order']} | — | {other_load(path)} | {note} |"
        )
    idle = load(f"{results}/idle.json")
    if idle is not None:
        per = idle.get("kib_per_connection")
        out.append(
            f"| {idle['opened']:,} idle | {idle['channels']} | — | — | — | — | — | — | {fmt(per, 1)}"
            f" | — | node-idle: {idle.get('open_at_end', 0):,} still open after {idle.get('hold_seconds', 0):.0f} s |"
        )
    return "\n".join(out)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "verdict":
        print(verdict(load(sys.argv[2]), float(sys.argv[3])))
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        print(table(sys.argv[2], float(sys.argv[3])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
