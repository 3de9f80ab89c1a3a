#!/usr/bin/env python3
"""The table of benches/apache_wrk.sh, from wrk's outputs.

  report.py INDEX

INDEX is a tab-separated file, one measured wrk run a line:
  ranges  round  configuration  cpu-busy-before  path-of-wrk-output  apache-cpu-ticks  ticks-per-second
Prints a Markdown table: per configuration and range count, requests/s
(median of the rounds, and min-max), p99 latency (median, and max), the
ratio to configuration (1) "none" measured in the same round at the same
range count (median of the per-round ratios, and min-max), and the CPU time
Apache spent per request (median, and min-max) with its difference to (1)
in the same round. Exits non-zero if
a run had errors or non-2xx/3xx answers (the table still prints, flagged).
"""

import re
import statistics
import sys

ORDER = ["none", "photoguard", "rewrite", "require"]
LABELS = {
    "none": "(1) no access control",
    "photoguard": "(2) photoguard",
    "rewrite": "(3) mod_rewrite RewriteCond chain",
    "require": "(4) RequireAny: Require ip + Require expr",
}
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(text):
    """Requests/s, p99 in ms, requests, and a list of problems from one wrk --latency output."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    requests = re.search(r"^\s*(\d+) requests in ", text, re.M)
    p99 = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s|m)\s*$", text, re.M)
    if not rps or not p99 or not requests:
        raise ValueError("not a wrk --latency output")
    problems = []
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_ok:
        problems.append("%s non-2xx/3xx" % non_ok.group(1))
    errors = re.search(r"Socket errors:(.*)", text)
    if errors:
        problems.append("socket errors:" + errors.group(1).strip())
    return float(rps.group(1)), float(p99.group(1)) * UNIT[p99.group(2)], int(requests.group(1)), problems


def spread(values, fmt, between="-"):
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + " (" + fmt + between + fmt + ")") % (statistics.median(values), min(values), max(values))


def main(index_path):
    runs = {}  # (ranges, round, config) -> (rps, p99, problems, busy, Apache CPU us per request)
    with open(index_path) as index:
        for line in index:
            if not line.strip():
                continue
            ranges, rnd, config, busy, path, ticks, hz = line.rstrip("\n").split("\t")
            with open(path) as out:
                rps, p99, requests, problems = parse_wrk(out.read())
            cpu_us = int(ticks) * 1e6 / int(hz) / requests
            runs[(int(ranges), int(rnd), config)] = (rps, p99, problems, float(busy), cpu_us)

    failed = False
    print("| configuration | ranges | requests/s: median (min-max) | p99 ms: median (max) | ratio to (1), same round: median (min-max) "
          "| Apache CPU µs/request: median (min-max) | minus (1)'s, same round: median (min-max) | rounds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for ranges in sorted({k[0] for k in runs}):
        rounds = sorted({k[1] for k in runs if k[0] == ranges})
        for config in ORDER:
            mine = [(r, runs[(ranges, r, config)]) for r in rounds if (ranges, r, config) in runs]
            if not mine:
                continue
            rps = [m[0] for _, m in mine]
            p99 = [m[1] for _, m in mine]
            ratios = [m[0] / runs[(ranges, r, "none")][0] for r, m in mine if (ranges, r, "none") in runs]
            cpu = [m[4] for _, m in mine]
            extra_cpu = [m[4] - runs[(ranges, r, "none")][4] for r, m in mine if (ranges, r, "none") in runs]
            problems = [p for _, m in mine for p in m[2]]
            failed |= bool(problems)
            p99_text = "%.2f" % p99[0] if len(p99) == 1 else "%.2f (%.2f)" % (statistics.median(p99), max(p99))
            ratio_text = spread([100 * x for x in ratios], "%.0f%%") if ratios else "-"
            flag = (" **" + "; ".join(problems) + "**") if problems else ""
            extra_text = spread(extra_cpu, "%+.1f", " to ") if extra_cpu and config != "none" else "-"
            print("| %s | %d | %s | %s | %s | %s | %s | %d%s |" % (LABELS.get(config, config), ranges, spread(rps, "%.0f"),
                                                             p99_text, ratio_text, spread(cpu, "%.1f"), extra_text,
                                                             len(mine), flag))
    busy = [v[3] for v in runs.values()]
    print()
    print("Other work on the machine (CPU busy over 1 s before each run, no Apache of ours up): %.0f%%-%.0f%%, median %.0f%%"
          % (min(busy), max(busy), statistics.median(busy)))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
