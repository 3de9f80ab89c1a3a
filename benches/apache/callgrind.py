#!/usr/bin/env python3
"""Tables of benches/apache_instructions.sh from its callgrind outputs.

  callgrind.py RESULTS_DIR [--top N]

RESULTS_DIR/index.tsv has a line per variant:
  variant  label  requests  warmup  callgrind-file-of-the-run
  callgrind-file-of-the-baseline  plain-variant
The run served WARMUP + REQUESTS requests, its baseline the same WARMUP
requests and no more (same start-up, same shut-down), so a cost per request
is (cost in the run - cost in the baseline) / REQUESTS.

Prints, in Markdown:
 1. instructions per request for each variant, and the difference to its
    plain-variant (plain Apache with the same request; the first variant if
    that was not measured): absolute and in percent;
 2. the functions of libmod_photoguard.so by inclusive instructions per
    request (the hooks check_access, merge_dir_config, enforce_denial and
    what they call), for each variant that loads the module;
 3. Apache's request phases (inclusive instructions per request), plain
    Apache against the reference variant (REFERENCE, default pg-10k): where
    in the request the difference arises;
 4. instructions per request by shared object (self cost), the same two;
 5. the functions outside the module whose self cost per request differs
    most between the same two.

The parser reads callgrind's format (name compression, positions, calls=
lines) directly; `callgrind_annotate --inclusive=yes FILE` shows the same
per-function figures for one file.
"""

import collections
import os
import re
import sys

MODULE_OBJECT = "libmod_photoguard.so"

# Apache functions that frame a request's phases, outermost first, with what
# they stand for (inclusive cost: everything they call).
PHASES = [
    ("ap_process_connection", "the connection: reading, the request, writing, closing"),
    ("ap_read_request", "reading and parsing the request"),
    ("ap_process_request", "the request, from after reading to the end of the response"),
    ("ap_process_request_internal", "translation, walks, access checks, type, fixups"),
    ("ap_run_map_to_storage", "`<Directory>` walk and the per-directory config merges"),
    ("ap_merge_per_dir_configs", "the merges (every module's merge_dir_config)"),
    ("ap_run_access_checker", "access_checker hooks (photoguard's check_access)"),
    ("ap_run_access_checker_ex", "access_checker_ex hooks (mod_authz_core: Require)"),
    ("ap_run_fixups", "fixups (photoguard's enforce_denial)"),
    ("ap_invoke_handler", "the handler and the response"),
    ("ap_http_header_filter", "writing the response headers"),
    ("apr_pool_destroy", "freeing the request (pool cleanups)"),
]


class Profile:
    """Self and inclusive Ir per (object, function) of one callgrind file."""

    def __init__(self, path):
        self.self_cost = collections.Counter()
        self.inclusive = collections.Counter()
        self.total = None
        names = {"ob": {}, "fl": {}, "fn": {}}
        table_of = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl", "cfl": "fl",
                    "fn": "fn", "cfn": "fn"}
        positions = 1
        ob = fn = None
        in_call = False

        def resolve(table, text):
            m = re.match(r"\((\d+)\)(?: (.*))?$", text)
            if not m:
                return text
            if m.group(2) is not None:
                names[table][m.group(1)] = m.group(2)
            return names[table].get(m.group(1), "(%s)" % m.group(1))

        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                c = line[0]
                if c.isdigit() or c in "+-*":
                    parts = line.split()
                    cost = int(parts[positions]) if len(parts) > positions else 0
                    key = (ob, fn)
                    if in_call:
                        self.inclusive[key] += cost
                        in_call = False
                    else:
                        self.self_cost[key] += cost
                        self.inclusive[key] += cost
                    continue
                spec, eq, value = line.partition("=")
                if eq and spec in table_of:
                    name = resolve(table_of[spec], value)
                    if spec == "ob":
                        ob = name
                    elif spec == "fn":
                        fn = name
                elif eq and spec == "calls":
                    in_call = True
                elif line.startswith("positions:"):
                    positions = len(line.split()) - 1
                elif line.startswith("events:") and line.split()[1] != "Ir":
                    raise SystemExit("callgrind.py: %s: the first event is not Ir" % path)
                elif line.startswith("totals:") or (line.startswith("summary:") and self.total is None):
                    self.total = int(line.split()[1])
        if self.total is None:
            raise SystemExit("callgrind.py: %s has no totals (did Apache exit cleanly?)" % path)


def short(fn, width=80):
    fn = re.sub(r"::h[0-9a-f]{16}$", "", fn or "?")
    return fn if len(fn) <= width else fn[:width - 1] + "…"


def obj(ob):
    return os.path.basename(ob or "?")


def fmt(x):
    return "{:,.0f}".format(x)


def signed(x):
    return "{:+,.0f}".format(x)


class Variant:
    def __init__(self, name, label, requests, warmup, run, base, plain):
        self.name, self.label, self.requests, self.warmup, self.plain = name, label, int(requests), int(warmup), plain
        self.run, self.base = Profile(run), Profile(base)
        self.per_request = (self.run.total - self.base.total) / self.requests

    def self_per_request(self):
        out = collections.Counter()
        for k in set(self.run.self_cost) | set(self.base.self_cost):
            out[k] = (self.run.self_cost[k] - self.base.self_cost[k]) / self.requests
        return out

    def inclusive_per_request(self):
        out = collections.Counter()
        for k in set(self.run.inclusive) | set(self.base.inclusive):
            out[k] = (self.run.inclusive[k] - self.base.inclusive[k]) / self.requests
        return out


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    results, top = argv[0], 20
    if "--top" in argv:
        top = int(argv[argv.index("--top") + 1])
    reference_name = os.environ.get("REFERENCE", "pg-10k")
    variants = []
    with open(os.path.join(results, "index.tsv")) as index:
        for line in index:
            if line.strip():
                name, label, requests, warmup, run, base, plain = line.rstrip("\n").split("\t")
                variants.append(Variant(name, label, requests, warmup, os.path.join(results, run),
                                        os.path.join(results, base), plain))
    by_name = {v.name: v for v in variants}
    plain = variants[0]

    print("| variant | instructions per request | compared with | difference | in % |")
    print("|---|---:|---|---:|---:|")
    for v in variants:
        p = by_name.get(v.plain, plain)
        if v is p:
            print("| %s | %s | - | - | - |" % (v.label, fmt(v.per_request)))
        else:
            d = v.per_request - p.per_request
            print("| %s | %s | %s | %s | %+.1f%% |" % (v.label, fmt(v.per_request), p.name, signed(d), 100 * d / p.per_request))

    with_module = [v for v in variants if any(obj(k[0]) == MODULE_OBJECT for k in v.run.inclusive)]
    reference = next((v for v in variants if v.name == reference_name), None)
    if with_module:
        incl = {v.name: v.inclusive_per_request() for v in with_module}
        order_by = reference if reference in with_module else with_module[-1]
        keys = [k for k in incl[order_by.name] if obj(k[0]) == MODULE_OBJECT]
        keys = sorted(keys, key=lambda k: -max(incl[v.name][k] for v in with_module))
        keys = [k for k in keys if max(abs(incl[v.name][k]) for v in with_module) >= 0.5][:top]
        print()
        print("Functions of %s, inclusive instructions per request (the hooks and what they call, "
              "Apache and libc included):" % MODULE_OBJECT)
        print()
        print("| function | " + " | ".join(v.name for v in with_module) + " |")
        print("|---|" + "---:|" * len(with_module))
        for k in keys:
            print("| `%s` | %s |" % (short(k[1]), " | ".join(fmt(incl[v.name][k]) for v in with_module)))

    if reference is None:
        return 0
    i_plain, i_ref = collections.Counter(), collections.Counter()
    for k, c in plain.inclusive_per_request().items():
        i_plain[k[1]] += c
    for k, c in reference.inclusive_per_request().items():
        i_ref[k[1]] += c
    print()
    print("Apache's request phases, inclusive instructions per request, (%s) against (%s):" % (plain.name, reference.name))
    print()
    print("| function | what | %s | %s | difference |" % (plain.name, reference.name))
    print("|---|---|---:|---:|---:|")
    for fn, what in PHASES:
        if fn in i_plain or fn in i_ref:
            print("| `%s` | %s | %s | %s | %s |" % (fn, what, fmt(i_plain[fn]), fmt(i_ref[fn]), signed(i_ref[fn] - i_plain[fn])))

    s_plain, s_ref = plain.self_per_request(), reference.self_per_request()
    by_obj_plain, by_obj_ref = collections.Counter(), collections.Counter()
    for k, c in s_plain.items():
        by_obj_plain[obj(k[0])] += c
    for k, c in s_ref.items():
        by_obj_ref[obj(k[0])] += c
    objects = sorted(set(by_obj_plain) | set(by_obj_ref), key=lambda o: -abs(by_obj_ref[o] - by_obj_plain[o]))
    print()
    print("Instructions per request by object (self cost), (%s) against (%s):" % (plain.name, reference.name))
    print()
    print("| object | %s | %s | difference |" % (plain.name, reference.name))
    print("|---|---:|---:|---:|")
    for o in objects:
        if max(abs(by_obj_plain[o]), abs(by_obj_ref[o])) >= 0.5:
            print("| %s | %s | %s | %s |" % (o, fmt(by_obj_plain[o]), fmt(by_obj_ref[o]), signed(by_obj_ref[o] - by_obj_plain[o])))

    keys = [k for k in set(s_plain) | set(s_ref) if obj(k[0]) != MODULE_OBJECT]
    keys = sorted(keys, key=lambda k: -abs(s_ref[k] - s_plain[k]))[:top]
    print()
    print("Functions outside the module whose self cost per request differs most, (%s) against (%s):"
          % (plain.name, reference.name))
    print()
    print("| function | object | %s | %s | difference |" % (plain.name, reference.name))
    print("|---|---|---:|---:|---:|")
    for k in keys:
        print("| `%s` | %s | %s | %s | %s |" % (short(k[1], 60), obj(k[0]), fmt(s_plain[k]), fmt(s_ref[k]), signed(s_ref[k] - s_plain[k])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
