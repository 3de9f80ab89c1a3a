#!/usr/bin/env python3
"""Helpers of benches/soak.sh: set up a run, sample memory, check a run, print the table.

  soak.py setup WORK                      photos, policy-a.conf, policy-b.conf, spec.txt
  soak.py sample PIDFILE OUT SECONDS      memory of the parent and children until killed
  soak.py check WORK MPM WARMUP           judge one run; prints it, writes WORK/result.json
  soak.py table RESULT.json...            the summary table (markdown)

Traffic kinds and policies are in classes.py.
"""

import json
import os
import re
import subprocess
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classes as C  # noqa: E402

GENERATIONS = ("a", "b")
PHOTO_SIZE = 3072
POLICY_HEADER = "X-Soak-Policy"


def photo_names():
    first = ["jane", "john", "mary", "ahmed", "li", "olga", "pierre", "sara"]
    last = ["doe", "smith", "khan", "wang", "novak", "martin", "rossi", "berg"]
    return [f"{f}.{l}@example.com.jpg" for f in first for l in last][: C.PHOTO_COUNT]


# --- setup ---------------------------------------------------------------------------


def features():
    """What the module supports, as benches/soak.sh found it (SOAK_FEATURES)."""
    return set(os.environ.get("SOAK_FEATURES", "").split())


def active(work=None):
    """The classes and scopes this run uses: those whose feature the module has.
    check() reads the list setup() wrote, so both judge the same classes."""
    if work and os.path.exists(os.path.join(work, "classes.txt")):
        names = open(os.path.join(work, "classes.txt")).read().split()
        classes = [c for c in C.CLASSES if c.name in names]
    else:
        have = features()
        classes = [c for c in C.CLASSES if c.requires is None or c.requires in have]
    scopes = [s for s in C.SCOPES if s == "photos" or any(c.scope == s for c in classes)]
    return classes, scopes


def mint(work):
    """Runs the LTPA minter (SOAK_MINT) in WORK: keys, then TOKENS."""
    tool = os.environ["SOAK_MINT"]
    os.makedirs(os.path.join(work, "ltpa"), exist_ok=True)
    for command in C.LTPA_SETUP:
        subprocess.run([tool] + command.split(), cwd=work, check=True)
    tokens = {}
    for name, command in C.TOKENS.items():
        out = subprocess.run([tool] + command.split(), cwd=work, check=True, capture_output=True, text=True)
        tokens[name] = out.stdout.strip()
    return tokens


def policy_text(work, gen, classes, scopes):
    lines = [
        f"# photoguard soak: policy generation {gen} (written by benches/soak/soak.py from classes.py)",
        f"Header always set {POLICY_HEADER} {gen}",
    ]
    for scope in scopes:
        lines += [f'<Directory "{work}/docs/{scope}">', "    Require all granted", "    PhotoGuard On"]
        lines += ["    " + l for l in C.SCOPES[scope][gen]]
        for c in classes:
            if c.scope == scope:
                lines += ["    " + l for l in c.policy.get(gen, [])]
        lines.append("</Directory>")
    return "\n".join(lines) + "\n"


def setup(work):
    classes, scopes = active()
    with open(os.path.join(work, "classes.txt"), "w") as f:
        f.write("\n".join(c.name for c in classes) + "\n")
    tokens = mint(work) if "ltpa" in features() else {}
    body = (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16)[:PHOTO_SIZE]
    for scope in scopes:
        photos = os.path.join(work, "docs", scope)
        os.makedirs(photos, exist_ok=True)
        for name in photo_names():
            with open(os.path.join(photos, name), "wb") as f:
                f.write(body)
    for gen in GENERATIONS:
        with open(os.path.join(work, f"policy-{gen}.conf"), "w") as f:
            f.write(policy_text(work, gen, classes, scopes))
    names = set()
    spec = [
        "# written by benches/soak/soak.py from classes.py",
        f"photo-size {PHOTO_SIZE}",
        f"policy-header {POLICY_HEADER}",
        "photos " + " ".join(photo_names()),
    ]
    for c in classes:
        assert c.name not in names and re.fullmatch(r"[a-z0-9-]+", c.name), c.name
        names.add(c.name)
        spec += [f"class {c.name}", f"weight {c.weight}", "from " + " ".join(c.sources)]
        spec += ["header " + re.sub(r"\{token:([a-z0-9-]+)\}", lambda m: tokens[m.group(1)], h) for h in c.headers]
        photo = C.MISSING.replace("{n}", "{seq}") if c.missing else "{photo}"
        assert c.scope in C.SCOPES, (c.name, c.scope)
        spec.append(f"path /{c.scope}/{photo}?c={{class}}&n={{seq}}")
        spec.append("per-connection %d %d" % c.per_connection)
        spec.append(f"close-share {c.close_share}")
        for gen in GENERATIONS:
            spec.append(f"expect {gen} " + " ".join(map(str, c.expect[gen].statuses(c.missing))))
    with open(os.path.join(work, "spec.txt"), "w") as f:
        f.write("\n".join(spec) + "\n")


# --- memory --------------------------------------------------------------------------


def memory_of(pid):
    """(VmRSS, Pss, Private) in KiB, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        pss = private = 0
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for l in f:
                k, v = l.split()[:2]
                if k == "Pss:":
                    pss = int(v)
                elif k in ("Private_Clean:", "Private_Dirty:"):
                    private += int(v)
        return rss, pss, private
    except (OSError, StopIteration, ValueError):
        return None


def children_of(parent):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        kids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def sample(pidfile, out, every):
    """Every EVERY seconds: `t role pid rss pss private` per process."""
    start = time.monotonic()
    with open(out, "a") as f:
        while True:
            t = time.monotonic() - start
            try:
                parent = int(open(pidfile).read().strip())
            except (OSError, ValueError):
                parent = None
            if parent:
                for role, pid in [("parent", parent)] + [("child", k) for k in children_of(parent)]:
                    m = memory_of(pid)
                    if m:
                        f.write(f"{t:.1f} {role} {pid} {m[0]} {m[1]} {m[2]}\n")
                f.flush()
            time.sleep(max(0.1, every - (time.monotonic() - start - t)))


def memory_summary(path, warmup):
    """Per sample time after warm-up: the parent's rss/pss/private; the
    children's count, mean rss, mean pss, mean private."""
    by_t = {}
    for l in open(path):
        t, role, pid, rss, pss, private = l.split()
        by_t.setdefault(float(t), []).append((role, int(rss), int(pss), int(private)))
    rows = []
    for t in sorted(by_t):
        if t < warmup:
            continue
        ps = [p for p in by_t[t] if p[0] == "parent"]
        cs = [p for p in by_t[t] if p[0] == "child"]
        if not ps or not cs:
            continue
        mean = lambda i: round(sum(c[i] for c in cs) / len(cs))  # noqa: E731
        rows.append({"t": t, "parent": list(ps[0][1:]), "children": len(cs),
                     "child_mean": [mean(1), mean(2), mean(3)]})
    return rows


# --- check ---------------------------------------------------------------------------

CRASH = re.compile(r"exit signal|segmentation fault|segfault|child pid \d+ exit|panicked|AH00052|\bAborted\b", re.I)


def stats_file(path):
    s = {"count": [], "wrong-sample": [], "error-sample": [], "error": {}}
    for l in open(path):
        k, _, v = l.rstrip("\n").partition(" ")
        if k == "count":
            s["count"].append(v.split())
        elif k in ("wrong-sample", "error-sample"):
            s[k].append(v)
        elif k == "error":
            n, c = v.split()
            s["error"][n] = int(c)
        else:
            s[k] = float(v) if "." in v else int(v)
    return s


def check(work, mpm, warmup, tolerance_pct, slack_kib):
    classes, _ = active(work)
    by_name = {c.name: c for c in classes}
    sources = {c.name: set(c.sources) for c in classes}
    policy_lines = {g: open(os.path.join(work, f"policy-{g}.conf")).read().splitlines() for g in GENERATIONS}
    memo = {}
    lines = wrong = fivexx = internal = 0
    per_gen = {g: 0 for g in GENERATIONS}
    per_class_gen = {}
    samples = []
    query = re.compile(r"[?&]c=([a-z0-9-]+)")
    with open(os.path.join(work, "logs", "access.log"), errors="replace") as f:
        for raw in f:
            if raw.startswith("127.0.0.1|") and "|*|" in raw:
                internal += 1  # Apache's own wake-up request (OPTIONS *), not a client's
                continue
            lines += 1
            parts = raw.rstrip("\n").split("|", 7)
            problem = None
            if len(parts) != 8:
                problem = "unparsable line"
            else:
                client, status, url, decision, gen, pid, when, reason = parts
                status = int(status) if status.isdigit() else 0
                if status >= 500:
                    fivexx += 1
                m = query.search(url)
                cls = by_name.get(m.group(1)) if m else None
                if cls is None:
                    problem = "no known class in the URL"
                elif gen not in GENERATIONS:
                    problem = f"no policy generation ({POLICY_HEADER}: {gen!r})"
                elif client not in sources[cls.name]:
                    problem = f"client {client} is not one of {cls.name}'s addresses"
                else:
                    per_gen[gen] += 1
                    k = (cls.name, gen, decision, status)
                    per_class_gen[k] = per_class_gen.get(k, 0) + 1
                    expect = cls.expect[gen]
                    key = (cls.name, gen, status, decision, reason)
                    if getattr(expect, "stateless", True) and key in memo:
                        problem = memo[key]
                    else:
                        e = SimpleNamespace(client=client, status=status, decision=decision, reason=reason,
                                            url=url, missing=cls.missing, time=int(when) if when.isdigit() else 0)
                        problem = expect.judge(e, gen, policy_lines)
                        memo[key] = problem
            if problem:
                wrong += 1
                if len(samples) < 20:
                    samples.append(f"{problem}: {raw.strip()}")
    # Expectations that count (limits): whole windows.
    stateful = {id(e): (c.name, e) for c in classes for e in c.expect.values() if hasattr(e, "finish")}
    state_notes = []
    for name, e in stateful.values():
        problems = e.finish()
        wrong += len(problems)
        samples += [f"{name}: {p}" for p in problems[:10]]
        state_notes.append(f"{name}: {e.summary()}")

    errlog = os.path.join(work, "logs", "error.log")
    crashes, generations, others = [], 0, {}
    with open(errlog, errors="replace") as f:
        for l in f:
            if "photoguard: denied client" in l or "photoguard: limited client" in l:
                continue  # one a denied or limited request
            if CRASH.search(l):
                crashes.append(l.strip())
            if "resuming normal operations" in l:
                generations += 1
                continue
            # Other messages, without time, pid and client, for the report.
            key = re.sub(r"\[pid [^]]*\] |\[client [^]]*\] |^\[[^]]*\] ", "", l.strip())[:120]
            others[key] = others.get(key, 0) + 1

    restarts = [l.split() for l in open(os.path.join(work, "restarts.txt"))]
    stats = stats_file(os.path.join(work, "loadgen.txt"))
    mem = memory_summary(os.path.join(work, "memory.txt"), warmup)
    try:
        apache_cpu = float(open(os.path.join(work, "apache-cpu.txt")).read())
    except (OSError, ValueError):
        apache_cpu = None
    failures = []
    if wrong:
        failures.append(f"{wrong} wrong decisions in the access log")
    if fivexx:
        failures.append(f"{fivexx} responses 5xx")
    if crashes:
        failures.append(f"{len(crashes)} crash lines in the error log")
    if stats["wrong"]:
        failures.append(f"{stats['wrong']} responses the client judged wrong")
    if stats["errors"]:
        failures.append(f"{stats['errors']} client errors {stats['error']}")
    if lines != stats["responses"]:
        failures.append(f"{lines} access-log lines but {stats['responses']} responses at the client")
    if restarts and generations - 1 != len(restarts):
        failures.append(f"{len(restarts)} graceful restarts sent, {generations - 1} done (error log)")
    if restarts and not all(per_gen.values()):
        failures.append(f"a policy generation answered nothing: {per_gen}")
    first = last = None
    if len(mem) >= 6:
        # Medians of the first three samples after warm-up and of the last
        # three, per figure: one sample taken while Apache re-reads its
        # configuration does not decide.
        def median3(rows):
            med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
            return {"t": rows[0]["t"],
                    "parent": [med([r["parent"][i] for r in rows]) for i in range(3)],
                    "children": med([r["children"] for r in rows]),
                    "child_mean": [med([r["child_mean"][i] for r in rows]) for i in range(3)]}
        first, last = median3(mem[:3]), median3(mem[-3:])
        for what, a, b in [("parent VmRSS", first["parent"][0], last["parent"][0]),
                           ("parent Private", first["parent"][2], last["parent"][2]),
                           ("child mean VmRSS", first["child_mean"][0], last["child_mean"][0]),
                           ("child mean Private", first["child_mean"][2], last["child_mean"][2])]:
            if b > a * (1 + tolerance_pct / 100) + slack_kib:
                failures.append(f"{what} grew from {a} to {b} KiB")
    else:
        failures.append(f"{len(mem)} memory samples after warm-up; at least 6 are needed")

    result = {
        "mpm": mpm,
        "seconds": stats["seconds"],
        "log_lines": lines,
        "responses": stats["responses"],
        "rate": stats["rate"],
        "connections_opened": stats["connections"],
        "retries": stats["retries"],
        "client_errors": stats["errors"],
        "client_wrong": stats["wrong"],
        "apache_cpu_s": apache_cpu,
        "loadgen_cpu_s": stats.get("cpu_seconds"),
        "internal_requests": internal,
        "latency_us": [stats.get("latency_p50_us"), stats.get("latency_p99_us"), stats.get("latency_p99.9_us")],
        "wrong": wrong,
        "fivexx": fivexx,
        "crashes": len(crashes),
        "restarts": len(restarts),
        "restarts_done": generations - 1,
        "per_gen": per_gen,
        "classes": [c.name for c in classes],
        "per_class_gen": {"%s %s %s %s" % k: v for k, v in sorted(per_class_gen.items())},
        "memory_first": first,
        "memory_last": last,
        "memory_samples": len(mem),
        "memory_series": [mem[i * (len(mem) - 1) // 9] for i in range(10)] if mem else [],
        "other_error_log": sorted(others.items(), key=lambda kv: -kv[1])[:10],
        "samples": samples + stats["wrong-sample"] + stats["error-sample"] + crashes[:10],
        "failures": failures,
    }
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"== {mpm}: {lines} requests in {stats['seconds']:.0f} s ({stats['rate']} /s), "
          f"{stats['connections']} connections, {stats['retries']} keep-alive retries after a restart")
    print(f"   CPU: Apache {apache_cpu} s"
          + (f" ({apache_cpu * 1e6 / max(lines, 1):.0f} us a request)" if apache_cpu else "")
          + f", load generator {stats.get('cpu_seconds')} s; latency p50/p99/p99.9 "
          + "/".join(f"{stats.get(k, 0) / 1000:.1f}" for k in ("latency_p50_us", "latency_p99_us", "latency_p99.9_us"))
          + " ms (at the client, 4 buckets an octave)")
    print(f"   policy generations: " + ", ".join(f"{g}: {n}" for g, n in per_gen.items())
          + f"; graceful restarts: {len(restarts)} sent, {generations - 1} done")
    for n in state_notes:
        print(f"   {n}")
    skipped = [c.name for c in C.CLASSES if c not in classes]
    if skipped:
        print(f"   left out (the module lacks their feature): {' '.join(skipped)}")
    for c in classes:
        row = [f"{g} {d} {s}: {n}" for (name, g, d, s), n in sorted(per_class_gen.items()) if name == c.name]
        print(f"   {c.name:17} " + "; ".join(row))
    if first:
        f, l = first, last
        print(f"   memory, KiB VmRSS/Pss/Private (medians of 3 samples): after warm-up at {f['t']:.0f} s -> at the end: "
              f"parent {'/'.join(map(str, f['parent']))} -> {'/'.join(map(str, l['parent']))}; "
              f"child mean {'/'.join(map(str, f['child_mean']))} ({f['children']} children) -> "
              f"{'/'.join(map(str, l['child_mean']))} ({l['children']} children)")
        print("   parent VmRSS over the run: " + ", ".join(f"{r['t']:.0f} s {r['parent'][0]}" for r in result["memory_series"]))
        print("   child mean Private over the run: " + ", ".join(f"{r['t']:.0f} s {r['child_mean'][2]}" for r in result["memory_series"]))
    for k, n in result["other_error_log"]:
        print(f"   error log ({n}x): {k}")
    for s in result["samples"]:
        print(f"   ! {s}")
    print(f"   {'FAIL: ' + '; '.join(failures) if failures else 'PASS'}")
    return 1 if failures else 0


def table(paths):
    print("| MPM | duration | requests | rate (req/s) | wrong decisions | 5xx | client errors | crashes "
          "| restarts (done) | parent VmRSS/Pss/Private KiB, first → last | child mean VmRSS/Pss/Private KiB, first → last | result |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
    for p in paths:
        r = json.load(open(p))
        f, l = r["memory_first"] or {}, r["memory_last"] or {}
        fmt = lambda m, k: "/".join(map(str, m.get(k, []))) or "-"  # noqa: E731
        print(f"| {r['mpm']} | {r['seconds']:.0f} s | {r['log_lines']:,} | {r['rate']:,} | {r['wrong'] + r['client_wrong']} "
              f"| {r['fivexx']} | {r['client_errors']} | {r['crashes']} | {r['restarts']} ({r['restarts_done']}) "
              f"| {fmt(f, 'parent')} → {fmt(l, 'parent')} "
              f"| {fmt(f, 'child_mean')} → {fmt(l, 'child_mean')} "
              f"| {'**FAIL**' if r['failures'] else 'pass'} |")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "setup":
        setup(argv[2])
    elif cmd == "sample":
        sample(argv[2], argv[3], float(argv[4]))
    elif cmd == "check":
        return check(argv[2], argv[3], float(argv[4]),
                     float(os.environ.get("MEM_TOLERANCE_PCT", "10")),
                     float(os.environ.get("MEM_SLACK_KIB", "2048")))
    elif cmd == "table":
        table(argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
