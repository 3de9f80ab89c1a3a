"""The soak test's client classes and its two policies (benches/soak.sh).

One `Class` per kind of client: where it connects from, what it sends, and the
decision it must get under each policy generation ("a" and "b"). The policy
files are built from SCOPES (one <Directory> each) plus the lines each class
contributes, so a new kind of traffic is one more `Class(...)` entry, with its
directives in `policy=` when it needs any, and its tokens in TOKENS.

Addresses: all in 127.0.0.0/8 (loopback only), playing the photo host's ranges:
  127.20.16.0/20  office           (10.20.16.0/20 on the real site)
  127.30.64.0/21  VPN              (10.30.64.0/21)
  127.50.0.10     Sametime Proxy   (192.0.2.10)
  127.40.0.0/24   partner range:   allowed by policy a, not by policy b
  127.60.0.0/29   a trusted reverse proxy (PhotoGuardTrustedProxy, X-Forwarded-For)
  127.9.0.0/16    outsiders (internet)
  127.11.0.0/24   outsiders in the rate-limited scope
"""

import ipaddress
import re

PHOTO_COUNT = 64
MISSING = "nobody.{n}@example.com.jpg"
REDIRECT = "https://www.example.com/"


def hosts(cidr, count, skip=1):
    """`count` addresses of `cidr`, spread over it (never the network address)."""
    net = ipaddress.ip_network(cidr)
    size = net.num_addresses - skip
    step = max(1, size // count)
    return [str(net.network_address + skip + i * step) for i in range(min(count, size))]


# --- expectations --------------------------------------------------------------
#
# An expectation judges one access-log entry (soak.py's check: client,
# status, decision, reason, url, missing, time) answered by policy generation `gen`, and
# returns None or what is wrong; `statuses(missing)` tells the load generator
# which statuses to accept. An expectation that depends on earlier requests
# (a rate limit) can keep state: the checker reads the log in order.

RULE_DIRECTIVE = {
    "network": "PhotoGuardAllowNetwork",
    "cookie": "PhotoGuardAllowCookie",
    "ltpa": "PhotoGuardAllowLtpa",
}


def rule_at(reason, kind, arg, gen, policy_lines):
    """Checks that REASON starts `KIND ARG (policy-GEN.conf:N)` and that line N
    of that file holds the rule; returns (what is wrong or None, the rest)."""
    head = f"{kind} {arg} ("
    if not reason.startswith(head):
        return f"reason should start {head!r}", ""
    origin, _, rest = reason[len(head):].partition(")")
    path, _, line = origin.rpartition(":")
    want = f"policy-{gen}.conf"
    if path.rsplit("/", 1)[-1] != want:
        return f"rule from {path}, but generation {gen} is {want}", rest
    lines = policy_lines[gen]
    if not line.isdigit() or not 1 <= int(line) <= len(lines):
        return f"no line {line} in {want}", rest
    words = lines[int(line) - 1].split()
    if words[:1] != [RULE_DIRECTIVE[kind]] or arg not in words[1:]:
        return f"{want}:{line} is {' '.join(words)!r}, not a {RULE_DIRECTIVE[kind]} with {arg}", rest
    return None, rest


class Allow:
    """Allowed by the rule KIND ARG (e.g. network 127.20.16.0/20): PHOTOGUARD_REASON
    names it with the file and line of the policy generation that answered, and
    that line holds the rule; for an LTPA rule the reason ends ` user USER`. A
    photo is a 200, a missing one a 404."""

    def __init__(self, kind, arg, user=None):
        self.kind, self.arg, self.user = kind, arg, user

    def statuses(self, missing):
        return [404 if missing else 200]

    def judge(self, e, gen, policy_lines):
        if e.decision != "allow" or e.status not in self.statuses(e.missing):
            return f"want allow {self.statuses(e.missing)[0]}"
        # "network 127.20.16.0/20 (policy-a.conf:7)", "cookie LtpaToken2 (...)",
        # "ltpa LtpaToken2 (policy-a.conf:12) user jane"
        problem, rest = rule_at(e.reason, self.kind, self.arg, gen, policy_lines)
        if problem is None and self.user is not None and rest != f" user {self.user}":
            problem = f"reason should end ' user {self.user}'"
        return problem


class Deny:
    """Denied with REASON: the deny action (a redirect, 302)."""

    def __init__(self, reason="no rule matched", status=302):
        self.reason, self.status = reason, status

    def statuses(self, missing):
        return [self.status]

    def judge(self, e, gen, policy_lines):
        if e.decision != "deny" or e.status != self.status:
            return f"want deny {self.status}"
        if e.reason != self.reason:
            return f"reason should be {self.reason!r}"
        return None


class Refused(Deny):
    """Denied because the token in the cookie of rule `ltpa ARG` did not verify:
    `ltpa ARG (policy-G.conf:N) refused: WHY`, WHY matching the regex given."""

    def __init__(self, arg, why, status=302):
        self.arg, self.why, self.status = arg, re.compile(why), status

    def judge(self, e, gen, policy_lines):
        if e.decision != "deny" or e.status != self.status:
            return f"want deny {self.status}"
        problem, rest = rule_at(e.reason, "ltpa", self.arg, gen, policy_lines)
        if problem is None and not (rest.startswith(" refused: ") and self.why.fullmatch(rest[10:])):
            problem = f"reason should end ' refused: {self.why.pattern}'"
        return problem


class Limited:
    """Let in by THEN (an Allow) and counted by `PhotoGuardLimit COUNT/PERIOD`:
    per client, fixed windows of PERIOD seconds aligned on the Unix epoch (by
    the request's time, %{sec}t), and per limit (its id is its file, line and
    arguments, so each policy generation counts on its own), exactly COUNT
    requests are allowed and every later one is limited (429) with the reason
    `limit COUNT/PERIOD CLASS (policy-G.conf:N): Kth request`, K being its
    place in the window: the limited ones of a window are COUNT+1 ... total."""

    stateless = False
    LIMITED = re.compile(r"^limit (\S+) (\S+) \(([^()]*):(\d+)\): (\d+)(?:st|nd|rd|th) request$")

    def __init__(self, count, period_secs, then):
        self.count, self.period, self.then = count, period_secs, then
        self.windows = {}  # (client, window, gen) -> [allowed, [ordinals of the limited]]

    def statuses(self, missing):
        return self.then.statuses(missing) + [429]

    def judge(self, e, gen, policy_lines):
        w = self.windows.setdefault((e.client, e.time // self.period, gen), [0, []])
        if e.decision == "allow":
            w[0] += 1
            return self.then.judge(e, gen, policy_lines)
        if e.decision != "limited" or e.status != 429:
            return "want allow, or limited with 429"
        m = self.LIMITED.match(e.reason)
        if not m:
            return "reason should be 'limit ... (FILE:LINE): Nth request'"
        file, line, ordinal = m.group(3).rsplit("/", 1)[-1], int(m.group(4)), int(m.group(5))
        if file != f"policy-{gen}.conf":
            return f"limit from {file}, but generation {gen} is policy-{gen}.conf"
        words = policy_lines[gen][line - 1].split() if 0 < line <= len(policy_lines[gen]) else []
        if words[:1] != ["PhotoGuardLimit"]:
            return f"{file}:{line} is no PhotoGuardLimit"
        if ordinal <= self.count:
            return f"limited at request {ordinal}, within {self.count}"
        w[1].append(ordinal)
        return None

    def finish(self):
        """What is wrong with the counts of whole windows."""
        problems = []
        for (client, window, gen), (allowed, limited) in sorted(self.windows.items()):
            total = allowed + len(limited)
            if allowed != min(self.count, total) or sorted(limited) != list(range(self.count + 1, total + 1)):
                problems.append(f"client {client}, window {window * self.period}+{self.period} s, generation {gen}: "
                                f"{allowed} allowed, limited as requests {sorted(limited)[:5]}... of {total}")
        return problems

    def summary(self):
        windows = len(self.windows)
        limited = sum(len(l) for _, l in self.windows.values())
        return f"{windows} client windows, {limited} limited requests"


class Class:
    """A kind of client.

    name     goes into every request's query (?c=NAME), which is how the checker
             knows whom a log line is about
    sources  the source addresses it connects from (one per connection)
    expect   {"a": Allow(...) | Deny(...), "b": ...}: the decision under each policy
    headers  request header lines, verbatim
    weight   its share of connections
    missing  ask for photos that do not exist (an allow is then a 404)
    scope    which directory of SCOPES it asks in (/NAME/photo.jpg)
    policy   {"a": [lines], "b": [lines]}: directives this class needs, added
             to its scope's
    requires a feature of the module (see FEATURES) without which the class
             is left out, with its scope

    In headers, {token:NAME} becomes the token TOKENS[NAME] minted at setup.
    """

    def __init__(self, name, sources, expect, headers=(), weight=1, missing=False,
                 scope="photos", policy=None, per_connection=(1, 40), close_share=20,
                 requires=None):
        self.name, self.sources, self.expect = name, list(sources), expect
        self.headers, self.weight, self.missing = list(headers), weight, missing
        self.scope, self.policy = scope, policy or {}
        self.per_connection, self.close_share = per_connection, close_share
        self.requires = requires or SCOPE_REQUIRES.get(scope)


def both(e):
    return {"a": e, "b": e}


OFFICE = "127.20.16.0/20"
VPN = "127.30.64.0/21"
STPROXY = "127.50.0.10"
PARTNER = "127.40.0.0/24"
TRUSTED_PROXY = "127.60.0.0/29"

OUTSIDERS = hosts("127.9.0.0/16", 200, skip=3)
PROXIES = hosts(TRUSTED_PROXY, 4)
# Other cookies a browser sends along (the rules' cookie is not first).
JUNK = "JSESSIONID=0000abcdEFGH:1a2b3c; _ga=GA1.2.123.456; theme=dark"

# What the module must support for a scope (and its classes) to be used:
# benches/soak.sh finds the directives in the module (SOAK_FEATURES).
SCOPE_REQUIRES = {"limited": "limit", "sso": "ltpa"}

# The policy directives every generation has, in each scope (a <Directory>
# under the document root holding the photos). The partner range is the one
# that moves: a allows it, b does not.
POLICY_BASE = {
    "a": [
        f"PhotoGuardAllowNetwork {OFFICE} {VPN}",
        f"PhotoGuardAllowNetwork {STPROXY}",
        f"PhotoGuardAllowNetwork {PARTNER}",
        "PhotoGuardAllowCookie LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
        f"PhotoGuardTrustedProxy {TRUSTED_PROXY}",
        f"PhotoGuardDenyAction redirect {REDIRECT}",
    ],
    "b": [
        f"PhotoGuardAllowNetwork {OFFICE} {VPN}",
        f"PhotoGuardAllowNetwork {STPROXY}",
        f"# {PARTNER} (the partner range) is not allowed in this generation",
        "PhotoGuardAllowCookie LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
        f"PhotoGuardTrustedProxy {TRUSTED_PROXY}",
        f"PhotoGuardDenyAction redirect {REDIRECT}",
    ],
}

LIMITED = "127.11.0.0/24"  # clients of the limited scope
LIMIT = (100, 10)  # PhotoGuardLimit 100/10s cookie

# LTPA validation (issue 10): key sets and tokens made at setup by the test
# minter (crates/ltpa-mint), in the server root (paths relative to it).
# Commands of photoguard-ltpa-mint; the tokens' outputs are cookie values.
LTPA_SETUP = [
    "keys --out ltpa/ltpa.keys --password s3cret --password-out ltpa/password",
    "keys --out ltpa/other.keys --password other --password-out ltpa/other.password",
    "domino-secret --out ltpa/domino.secret",
]
LTPA2 = "ltpa2 --keys ltpa/ltpa.keys --password-file ltpa/password --user uid=jane.doe,o=example"
TOKENS = {
    "ltpa2-valid": f"{LTPA2} --expires +86400",
    "ltpa2-expired": f"{LTPA2} --expires -7200",
    "ltpa2-swapped": f"{LTPA2} --expires +86400 --break swap-signature",
    "ltpa2-flipped": f"{LTPA2} --expires +86400 --break flip-last",
    "ltpa2-not-base64": f"{LTPA2} --expires +86400 --break not-base64",
    "ltpa2-other-keys": "ltpa2 --keys ltpa/other.keys --password-file ltpa/other.password "
                        "--user uid=mallory,o=example --expires +86400",
    "domino-valid": "domino --secret-file ltpa/domino.secret --user CN=Jane_Doe/O=Example --expires +86400",
    "domino-flipped": "domino --secret-file ltpa/domino.secret --user CN=Jane_Doe/O=Example --expires +86400 "
                      "--break flip-last",
}
LTPA_POLICY = [
    "PhotoGuardLtpaKeys ltpa/ltpa.keys ltpa/password",
    "PhotoGuardDominoSecret ltpa/domino.secret",
    "PhotoGuardAllowLtpa LtpaToken2 LtpaToken",
]

# The directories, each with its own rules: /photos (the photo host's policy),
# /limited (the same, with a limit on what the cookie lets in), /sso (LTPA
# tokens validated instead of the presence rules for LtpaToken/LtpaToken2).
SCOPES = {
    "photos": POLICY_BASE,
    "limited": {g: lines + [f"PhotoGuardLimit {LIMIT[0]}/{LIMIT[1]}s cookie"] for g, lines in POLICY_BASE.items()},
    "sso": {g: [l for l in lines if not l.startswith("PhotoGuardAllowCookie")]
            + ["PhotoGuardAllowCookie STPluginActivePage=stMeetingroom"] + LTPA_POLICY
            for g, lines in POLICY_BASE.items()},
}

CLASSES = [
    # Allowed by their network.
    Class("office", hosts(OFFICE, 60), both(Allow("network", OFFICE)), weight=16),
    Class("vpn", hosts(VPN, 30), both(Allow("network", VPN)), weight=6),
    Class("stproxy", [STPROXY], both(Allow("network", STPROXY)), weight=4, per_connection=(20, 80)),
    Class("office-missing", hosts(OFFICE, 10), both(Allow("network", OFFICE)), weight=2, missing=True),
    # The range that moves between the generations.
    Class("partner", hosts(PARTNER, 40),
          {"a": Allow("network", PARTNER), "b": Deny()}, weight=8),
    # Allowed by a cookie (presence rules, as the policy has them today).
    Class("meeting", OUTSIDERS, both(Allow("cookie", "STPluginActivePage=stMeetingroom")),
          headers=[f"Cookie: {JUNK}; STPluginActivePage=stMeetingroom"], weight=10),
    Class("ltpa2-cookie", OUTSIDERS, both(Allow("cookie", "LtpaToken2")),
          headers=["Cookie: LtpaToken2=AAECAzU2ZTE3OTk3NTZlMjU2YjY"], weight=6),
    Class("ltpa-cookie", OUTSIDERS, both(Allow("cookie", "LtpaToken")),
          headers=[f"Cookie: {JUNK}; LtpaToken=AAECAzVGMTdBOTk3"], weight=3),
    # Denied.
    Class("outsider", OUTSIDERS, both(Deny()), weight=10),
    Class("outsider-junk", OUTSIDERS, both(Deny()), headers=[f"Cookie: {JUNK}"], weight=3),
    Class("forged-name", OUTSIDERS, both(Deny()),
          headers=["Cookie: XLtpaToken2=1; LtpaToken2X=1; a=LtpaToken2=1"], weight=4),
    Class("forged-empty", OUTSIDERS, both(Deny()), headers=["Cookie: LtpaToken2=; LtpaToken="], weight=2),
    Class("meeting-wrong", OUTSIDERS, both(Deny()),
          headers=["Cookie: STPluginActivePage=stMeetingroomX"], weight=3),
    # Through the trusted proxy: the client is the X-Forwarded-For address.
    Class("proxied-office", PROXIES, both(Allow("network", OFFICE)),
          headers=["X-Forwarded-For: 127.20.17.33"], weight=5),
    Class("proxied-chain", PROXIES, both(Allow("network", OFFICE)),
          headers=["X-Forwarded-For: 127.9.1.1, 127.20.18.4, 127.60.0.2"], weight=2),
    Class("proxied-outsider", PROXIES, both(Deny()),
          headers=["X-Forwarded-For: 127.9.200.7"], weight=3),
    Class("proxied-partner", PROXIES, {"a": Allow("network", PARTNER), "b": Deny()},
          headers=["X-Forwarded-For: 127.40.0.77"], weight=3),
    Class("proxied-meeting", PROXIES, both(Allow("cookie", "STPluginActivePage=stMeetingroom")),
          headers=["X-Forwarded-For: 127.9.200.8", "Cookie: STPluginActivePage=stMeetingroom"], weight=2),
    # An outsider naming an office address: it is no trusted proxy, so ignored.
    Class("spoofed-xff", OUTSIDERS, both(Deny()),
          headers=["X-Forwarded-For: 127.20.16.5"], weight=4),
    # The enumeration guard (issue 11): meeting guests in the limited scope.
    # One expectation object for both generations: it keeps the counts.
    Class("meeting-limited", hosts(LIMITED, 16),
          both(Limited(*LIMIT, Allow("cookie", "STPluginActivePage=stMeetingroom"))),
          headers=["Cookie: STPluginActivePage=stMeetingroom"], scope="limited", weight=4),
    # Office clients are let in by their network, which the limit does not name.
    Class("office-limited-scope", hosts(OFFICE, 4), both(Allow("network", OFFICE)),
          headers=["Cookie: STPluginActivePage=stMeetingroom"], scope="limited", weight=2),
    # LTPA tokens checked with the keys (issue 10), from outsiders' addresses.
    Class("ltpa2-valid", OUTSIDERS,
          both(Allow("ltpa", "LtpaToken2", user="uid=jane.doe,o=example")),
          headers=[f"Cookie: {JUNK}; LtpaToken2={{token:ltpa2-valid}}"], scope="sso", weight=5),
    Class("domino-valid", OUTSIDERS, both(Allow("ltpa", "LtpaToken", user="CN=Jane_Doe/O=Example")),
          headers=["Cookie: LtpaToken={token:domino-valid}"], scope="sso", weight=3),
    Class("ltpa2-expired", OUTSIDERS, both(Refused("LtpaToken2", r"expired at \S+Z")),
          headers=["Cookie: LtpaToken2={token:ltpa2-expired}"], scope="sso", weight=2),
    Class("ltpa2-swapped", OUTSIDERS, both(Refused("LtpaToken2", "bad signature")),
          headers=["Cookie: LtpaToken2={token:ltpa2-swapped}"], scope="sso", weight=2),
    Class("ltpa2-flipped", OUTSIDERS, both(Refused("LtpaToken2", "no key verifies it")),
          headers=["Cookie: LtpaToken2={token:ltpa2-flipped}"], scope="sso", weight=1),
    Class("ltpa2-other-keys", OUTSIDERS, both(Refused("LtpaToken2", "no key verifies it")),
          headers=["Cookie: LtpaToken2={token:ltpa2-other-keys}"], scope="sso", weight=2),
    Class("ltpa2-malformed", OUTSIDERS, both(Refused("LtpaToken2", "malformed")),
          headers=["Cookie: LtpaToken2={token:ltpa2-not-base64}"], scope="sso", weight=1),
    Class("domino-flipped", OUTSIDERS, both(Refused("LtpaToken", "no key verifies it")),
          headers=["Cookie: LtpaToken={token:domino-flipped}"], scope="sso", weight=1),
    # A presence-only value is no token here; the meeting cookie still lets in.
    Class("sso-presence-only", OUTSIDERS, both(Refused("LtpaToken2", "malformed|no key verifies it")),
          headers=["Cookie: LtpaToken2=AAECAzU2ZTE3OTk3NTZlMjU2YjY"], scope="sso", weight=2),
    Class("sso-meeting", OUTSIDERS, both(Allow("cookie", "STPluginActivePage=stMeetingroom")),
          headers=["Cookie: STPluginActivePage=stMeetingroom"], scope="sso", weight=2),
    Class("sso-partner", hosts(PARTNER, 8), {"a": Allow("network", PARTNER), "b": Deny()},
          headers=["Cookie: XLtpaToken2=1"], scope="sso", weight=2),
]
