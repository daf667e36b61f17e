#!/usr/bin/env python3
"""Check an Autobahn|Testsuite fuzzingclient report and compare agents case by case.

Usage: compare.py INDEX_JSON... [--reference AGENT] [--agents A,B,...]

Each INDEX_JSON is a report's index.json, {agent: {case_id: {"behavior", "behaviorClose", "duration",
...}}}; several are merged (one per agent when agents ran in separate wstest processes).
Prints, per agent, the count of cases per behavior, the time spent per case group (the case id's first
number), then every problem. A problem is:
  * a case whose behavior or behaviorClose is FAILED, for any agent, except a known deviation of the
    reference echo server (KNOWN_DEVIATIONS below) with exactly the recorded outcome;
  * a case whose (behavior, behaviorClose) for an agent differs from the reference agent's
    (default reference: "direct"), or a case that one of them lacks; in the ECHO_RACE_CASES, OK and
    NON-STRICT count as the same behavior.
Exit status: 0 when there is no problem, 1 otherwise, 2 when a report cannot be read or lacks an agent.
"""
import argparse
import json
import sys
from collections import Counter, defaultdict

BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]

# Cases the reference echo server (scripts/autobahn/echo_server.py, Autobahn's own library) is known to
# fail, with the exact outcome: (behavior, behaviorClose, remoteCloseCode) -> why. A FAILED case with
# exactly this outcome is reported but not counted as a problem; any other agent must still match the
# reference on it. Empty: the reference server passes every case, so any FAILED fails the run.
KNOWN_DEVIATIONS: dict = {}


def case_key(case_id: str):
    """Sort "9.10.2" after "9.2.1": compare the dotted parts as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in case_id.split("."))


def group_of(case_id: str) -> str:
    return case_id.split(".")[0]


def summary_table(report: dict, agents: list) -> str:
    counts = {agent: Counter(result["behavior"] for result in report[agent].values()) for agent in agents}
    closes = {agent: Counter(result["behaviorClose"] for result in report[agent].values()) for agent in agents}
    extra = sorted({b for c in counts.values() for b in c} - set(BEHAVIORS))
    columns = BEHAVIORS + extra
    width = max(len("agent"), *(len(a) for a in agents))
    lines = [
        f"{'agent':<{width}}  " + "  ".join(f"{c:>13}" for c in columns) + f"  {'total':>5}  close≠OK",
    ]
    for agent in agents:
        not_ok_close = sum(n for b, n in closes[agent].items() if b not in ("OK", "INFORMATIONAL"))
        lines.append(
            f"{agent:<{width}}  "
            + "  ".join(f"{counts[agent].get(c, 0):>13}" for c in columns)
            + f"  {len(report[agent]):>5}  {not_ok_close:>8}"
        )
    return "\n".join(lines)


def duration_table(report: dict, agents: list) -> str:
    """Seconds spent per case group and agent (wstest's per-case 'duration' is in milliseconds)."""
    per_group = {agent: defaultdict(int) for agent in agents}
    for agent in agents:
        for case_id, result in report[agent].items():
            per_group[agent][group_of(case_id)] += int(result.get("duration") or 0)
    groups = sorted({g for d in per_group.values() for g in d}, key=lambda g: case_key(g))
    width = max(len("agent"), *(len(a) for a in agents))
    lines = [f"{'agent':<{width}}  " + "  ".join(f"{g + '.*':>7}" for g in groups) + "    total"]
    for agent in agents:
        cells = [per_group[agent][g] / 1000.0 for g in groups]
        lines.append(
            f"{agent:<{width}}  " + "  ".join(f"{c:>7.1f}" for c in cells) + f"  {sum(cells):>7.1f}"
        )
    return "\n".join(lines)


# Cases that send a valid message and then an invalid frame (reserved bits or opcode). Autobahn calls the
# outcome OK when the echo of the valid message arrives before the server fails the connection, and
# NON-STRICT when the server fails it first. Which happens depends on how the server's reads are split
# (whether both frames arrive in one read), so the reference echo server itself gives either from run to
# run (seen on 3.4, 4.1.5 and 4.2.5), and a relay that coalesces writes makes NON-STRICT the usual
# outcome. Here OK and NON-STRICT are taken as equal; the close behavior must still match.
ECHO_RACE_CASES = {"3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5"}
RACE_EQUIVALENT = {"OK": "OK", "NON-STRICT": "OK"}


def comparable(case_id: str, result: dict) -> tuple:
    """The (behavior, behaviorClose) pair compared across agents."""
    behavior = result["behavior"]
    if case_id in ECHO_RACE_CASES:
        behavior = RACE_EQUIVALENT.get(behavior, behavior)
    return behavior, result["behaviorClose"]


def known_deviation(case_id: str, result: dict):
    """The explanation when `result` is exactly the known deviation recorded for `case_id`, else None."""
    known = KNOWN_DEVIATIONS.get(case_id)
    if known and (result["behavior"], result["behaviorClose"], result.get("remoteCloseCode")) == known[0]:
        return known[1]
    return None


def problems_in(report: dict, agents: list, reference: str, notes: list) -> list:
    problems = []
    for agent in agents:
        for case_id in sorted(report[agent], key=case_key):
            result = report[agent][case_id]
            if "FAILED" in (result["behavior"], result["behaviorClose"]):
                why = known_deviation(case_id, result)
                if why:
                    notes.append(f"{agent} {case_id}: known echo-server deviation, not counted: {why}")
                    continue
                problems.append(
                    f"{agent} {case_id}: FAILED (behavior {result['behavior']}, close {result['behaviorClose']},"
                    f" remote close code {result.get('remoteCloseCode')}) — {result.get('reportfile', '')}"
                )
    if reference in agents:
        for agent in agents:
            if agent == reference:
                continue
            ids = set(report[reference]) | set(report[agent])
            missing = {reference: [], agent: []}
            for case_id in sorted(ids, key=case_key):
                ref = report[reference].get(case_id)
                got = report[agent].get(case_id)
                if ref is None or got is None:
                    missing[reference if ref is None else agent].append(case_id)
                    continue
                expected = (ref["behavior"], ref["behaviorClose"])
                actual = (got["behavior"], got["behaviorClose"])
                if comparable(case_id, ref) == comparable(case_id, got):
                    if expected != actual:
                        notes.append(
                            f"{agent} {case_id}: {actual[0]} vs {reference} {expected[0]} accepted"
                            " (echo-before-failure race, see ECHO_RACE_CASES)"
                        )
                else:
                    problems.append(
                        f"{agent} {case_id}: behavior/close {actual[0]}/{actual[1]}"
                        f" but {reference} got {expected[0]}/{expected[1]}"
                        f" (remote close codes {got.get('remoteCloseCode')} vs {ref.get('remoteCloseCode')})"
                        f" — {got.get('reportfile', '')}"
                    )
            for who, case_ids in missing.items():
                if case_ids:
                    shown = ", ".join(case_ids[:5]) + (f", … {case_ids[-1]}" if len(case_ids) > 5 else "")
                    problems.append(f"{who}: no result for {len(case_ids)} case(s) the other agent ran: {shown}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_json", nargs="+")
    parser.add_argument("--reference", default="direct", help="agent the others must match (default: direct)")
    parser.add_argument("--agents", help="comma-separated agents that must be present (default: all in report)")
    args = parser.parse_args()

    report = {}
    for path in args.index_json:
        try:
            with open(path, encoding="utf-8") as f:
                part = json.load(f)
        except (OSError, ValueError) as error:
            print(f"compare.py: cannot read {path}: {error}", file=sys.stderr)
            return 2
        for agent, cases in part.items():
            if agent in report:
                print(f"compare.py: agent {agent} appears in more than one report", file=sys.stderr)
                return 2
            report[agent] = cases

    agents = args.agents.split(",") if args.agents else sorted(report)
    absent = [a for a in agents if a not in report]
    if absent or not agents:
        print(f"compare.py: agents missing from report: {absent or 'all'} (report has {sorted(report)})",
              file=sys.stderr)
        return 2
    # Reference first, then the others in the given order.
    agents.sort(key=lambda a: a != args.reference)

    print("Autobahn cases per behavior:")
    print(summary_table(report, agents))
    print()
    print("Seconds per case group (wstest's own per-case durations):")
    print(duration_table(report, agents))
    print()

    notes = []
    problems = problems_in(report, agents, args.reference, notes)
    for line in notes:
        print(f"note: {line}")
    if notes:
        print()
    if problems:
        print(f"{len(problems)} problem(s):")
        for line in problems:
            print(f"  {line}")
        return 1
    compared = f"; {', '.join(a for a in agents if a != args.reference)} matched {args.reference} on every case" \
        if args.reference in agents and len(agents) > 1 else ""
    print(f"Autobahn: no unexpected FAILED case{compared}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
