#!/usr/bin/env python3
"""Policies for the Apache benchmarks (benches/apache_wrk.sh,
benches/apache_instructions.sh).

Writes the same access policy -- allow a list of networks, or one of the
cookies LtpaToken2, LtpaToken, STPluginActivePage=stMeetingroom; send the
rest elsewhere -- in each of the forms the benchmark compares:

  ranges COUNT [--prefix P]       the networks, one CIDR a line: the seed
                                  policy's (COUNT=4) or COUNT generated,
                                  distinct, non-overlapping IPv4 ranges
                                  (all /P with --prefix); the client
                                  127.0.0.1 is always the LAST one (/32)
  conf FORM RANGES_FILE PHOTO_DIR [--omit-client]
                                  the Apache config for FORM (none,
                                  photoguard, photoguard-file, rewrite,
                                  require) guarding the directory
                                  PHOTO_DIR; photoguard-file names
                                  RANGES_FILE in PhotoGuardAllowNetworkFile
                                  (no --omit-client); with --omit-client
                                  the client's range is left out, so the
                                  policy must deny 127.0.0.1
  netfile COUNT                   a PhotoGuardAllowNetworkFile of COUNT mixed
                                  IPv4/IPv6 networks, 127.0.0.1 last
  cookie-header                   a Cookie header value of about 1 KB that
                                  carries none of the policy's cookies
                                  (the criterion benchmark's
                                  typical_cookie_header(None))

Generated lists are deterministic (fixed seeds), so every run measures the
same policy. The mod_rewrite form spells each CIDR as a regular expression
over the dotted-quad text, in the style of the seed policy (which is how
admins convert them, by hand or with online tools); every octet pattern used
is checked exhaustively against 0..255 before it is written.
"""

import bisect
import ipaddress
import os
import random
import re
import sys

CLIENT = "127.0.0.1"

# The photo host's policy (issue 2), with the Sametime proxy host's address
# 192.0.2.10 replaced by the benchmark client's, so that the client is
# allowed by the last of the four ranges.
SEED_RANGES = ["10.20.16.0/20", "10.30.64.0/21", "172.16.128.0/22", CLIENT + "/32"]
COOKIES = ["LtpaToken2", "LtpaToken", "STPluginActivePage=stMeetingroom"]
REDIRECT = "https://www.example.com/"

# Where generated IPv4 ranges come from: private and documentation space,
# far from 127.0.0.0/8.
V4_POOLS = [ipaddress.ip_network(n) for n in
            ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "198.18.0.0/15")]
# Prefix lengths as they appear in real allow lists: mostly /24 and longer,
# some wider office and VPN blocks.
V4_PREFIXES = [16, 18, 20, 21, 22, 23, 24, 24, 24, 25, 26, 27, 28, 29, 30, 32, 32, 32]


class Disjoint:
    """Non-overlapping [first, last] integer intervals."""

    def __init__(self):
        self.firsts, self.lasts = [], []

    def add(self, first, last):
        i = bisect.bisect_left(self.firsts, first)
        if i > 0 and self.lasts[i - 1] >= first:
            return False
        if i < len(self.firsts) and self.firsts[i] <= last:
            return False
        self.firsts.insert(i, first)
        self.lasts.insert(i, last)
        return True


def generated_v4(count, rng, pools=V4_POOLS, prefixes=V4_PREFIXES):
    """`count` distinct, non-overlapping IPv4 networks (none in 127/8)."""
    taken, out = Disjoint(), []
    while len(out) < count:
        pool = rng.choice(pools)
        prefix = max(rng.choice(prefixes), pool.prefixlen)
        size = 1 << (32 - prefix)
        first = int(pool.network_address) + rng.randrange(pool.num_addresses // size) * size
        if taken.add(first, first + size - 1):
            out.append(ipaddress.IPv4Network((first, prefix)))
    return out


def benchmark_ranges(count, prefix=None):
    if count == len(SEED_RANGES) and prefix is None:
        return list(SEED_RANGES)
    if count < 2:
        sys.exit("policy.py: a range count is 4 (the seed policy) or at least 2")
    if prefix is None:
        rng = random.Random(20261122 + count)
        return [str(n) for n in generated_v4(count - 1, rng)] + [CLIENT + "/32"]
    if not 8 <= prefix <= 32:
        sys.exit("policy.py: --prefix is 8..32")
    rng = random.Random(20261126 + count + 1000 * prefix)
    return [str(n) for n in generated_v4(count - 1, rng, prefixes=[prefix])] + [CLIENT + "/32"]


def cookie_header():
    """The criterion benchmark's 1 KB Cookie header without the policy's
    cookies (crates/engine/benches/support/workload.rs,
    typical_cookie_header(None)): session and analytics cookies, then
    pref_N cookies up to 900 bytes, then theme=dark."""
    header = ("_ga=GA1.2.1234567890.1600000000; _gid=GA1.2.987654321.1700000000; JSESSIONID=0000aBcDeFgHiJkLmNoPqRsTuV:1a2b3c4d5; "
              "WASReqURL=https://portal.example.com/wps/myportal; cookiesession1=678A3E0F2B3C4D5E6F708192A3B4C5D6; "
              "PD-S-SESSION-ID=1_2_0_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV; "
              "DomAuthSessId=0123456789ABCDEF0123456789ABCDEF; ShimSessionID=9f8e7d6c5b4a3f2e1d0c; lang=en; ")
    while len(header) < 900:
        header += "pref_%d=aGVsbG8gd29ybGQgdGhpcyBpcyBhIHByZWY; " % len(header)
    header += "theme=dark"
    for name in COOKIES:
        if name.split("=")[0].lower() in header.lower():
            sys.exit("policy.py: internal error: the cookie header carries %s" % name)
    return header


def network_file(count):
    """Mixed IPv4 (60%) and IPv6 (40%) networks for PhotoGuardAllowNetworkFile."""
    rng = random.Random(100000 + count)
    v4_count = (count - 1) * 6 // 10
    everywhere = [ipaddress.ip_network(n) for n in ("1.0.0.0/8", "10.0.0.0/8", "100.0.0.0/6", "172.16.0.0/12",
                                                    "192.168.0.0/16", "198.0.0.0/7", "200.0.0.0/5")]
    v4 = generated_v4(v4_count, rng, everywhere)
    v6, seen = [], set()
    while len(v6) < count - 1 - v4_count:
        prefix = rng.choice([32, 40, 48, 48, 56, 64, 64, 64, 128])
        address = (0x2000 << 112) | rng.getrandbits(125)  # inside 2000::/3
        address &= ~((1 << (128 - prefix)) - 1)
        if (address, prefix) not in seen:
            seen.add((address, prefix))
            v6.append(ipaddress.IPv6Network((address, prefix)))
    lines = [str(n) for n in v4 + v6]
    rng.shuffle(lines)
    return ["# %d generated networks for the photoguard memory benchmark; the client last" % count] + lines + [CLIENT]


# --- CIDR as a dotted-quad regex, the way admins write it today ----------

ANY_OCTET = "([0-9]|[1-9][0-9]|1([0-9][0-9])|2([0-4][0-9]|5[0-5]))"


def sub_range(s_lo, s_hi):
    """Alternatives matching the numbers s_lo..s_hi, digit strings of one
    length (leading zeros allowed in the recursion)."""
    width = len(s_lo)
    lo, hi = int(s_lo), int(s_hi)
    if width == 1:
        return [str(lo) if lo == hi else ("[%d%d]" % (lo, hi) if hi == lo + 1 else "[%d-%d]" % (lo, hi))]
    if s_lo[0] == s_hi[0]:
        return [s_lo[0] + alt for alt in sub_range(s_lo[1:], s_hi[1:])]
    out, first, last, tail = [], int(s_lo[0]), int(s_hi[0]), []
    if s_lo[1:] != "0" * (width - 1):
        out += [s_lo[0] + alt for alt in sub_range(s_lo[1:], "9" * (width - 1))]
        first += 1
    if s_hi[1:] != "9" * (width - 1):
        tail = [s_hi[0] + alt for alt in sub_range("0" * (width - 1), s_hi[1:])]
        last -= 1
    if first <= last:
        lead = str(first) if first == last else ("[%d%d]" % (first, last) if last == first + 1 else "[%d-%d]" % (first, last))
        out.append(lead + "[0-9]" * (width - 1))
    return out + tail


_octet_cache = {}


def octet_range(lo, hi):
    """A regex group for the octet values lo..hi, e.g. 16..31 ->
    (1[6-9]|2[0-9]|3[01]), verified against every value 0..255."""
    if (lo, hi) in _octet_cache:
        return _octet_cache[(lo, hi)]
    if lo == hi:
        text = str(lo)
    elif (lo, hi) == (0, 255):
        text = ANY_OCTET
    else:
        alts = []
        for length in (1, 2, 3):
            a, b = max(lo, 0 if length == 1 else 10 ** (length - 1)), min(hi, 10 ** length - 1)
            if a <= b:
                alts += sub_range(str(a), str(b))
        text = "(" + "|".join(alts) + ")"
    check = re.compile("^" + text + "$")
    wrong = [v for v in range(256) if bool(check.match(str(v))) != (lo <= v <= hi)]
    if wrong:
        sys.exit("policy.py: internal error: %s for %d..%d is wrong at %s" % (text, lo, hi, wrong[:5]))
    _octet_cache[(lo, hi)] = text
    return text


def cidr_regex(cidr):
    """^10\\.20\\.(1[6-9]|2[0-9]|3[01])\\.([0-9]|...)$ for 10.20.16.0/20."""
    net = ipaddress.IPv4Network(cidr)
    first, last = net.network_address.packed, net.broadcast_address.packed
    parts = [str(a) if a == b else octet_range(a, b) for a, b in zip(first, last)]
    return "^" + r"\.".join(parts) + "$"


# --- the four configurations ---------------------------------------------

# Networks a PhotoGuardAllowNetwork / Require ip line. Apache checks every
# Require line as a separate provider call, so one network a line (as when a
# list is converted line by line) is slower for Require ip than eight a line;
# REQUIRE_IP_PER_LINE sets it for Require ip.
PER_LINE = 8
REQUIRE_IP_PER_LINE = int(os.environ.get("REQUIRE_IP_PER_LINE") or PER_LINE)


def directory_rules(form, ranges, ranges_file=None):
    if form in ("none", "rewrite"):
        return ["Require all granted"]
    if form in ("photoguard", "photoguard-file"):
        lines = ["Require all granted", "PhotoGuard On"]
        if form == "photoguard-file":
            lines.append("PhotoGuardAllowNetworkFile " + os.path.abspath(ranges_file))
        else:
            for i in range(0, len(ranges), PER_LINE):
                lines.append("PhotoGuardAllowNetwork " + " ".join(ranges[i:i + PER_LINE]))
        lines.append("PhotoGuardAllowCookie " + " ".join(COOKIES))
        lines.append("PhotoGuardDenyAction redirect " + REDIRECT)
        return lines
    if form == "require":
        # Cookie tests first (the request has none, so every check runs),
        # then the networks.
        lines = ["<RequireAny>",
                 r'    Require expr "%{HTTP_COOKIE} =~ /(^|;\s*)LtpaToken2=[^;]+/"',
                 r'    Require expr "%{HTTP_COOKIE} =~ /(^|;\s*)LtpaToken=[^;]+/"',
                 r'    Require expr "%{HTTP_COOKIE} =~ /(^|;\s*)STPluginActivePage=stMeetingroom(;|$)/"']
        for i in range(0, len(ranges), REQUIRE_IP_PER_LINE):
            lines.append("    Require ip " + " ".join(ranges[i:i + REQUIRE_IP_PER_LINE]))
        lines.append("</RequireAny>")
        return lines
    sys.exit("policy.py: unknown configuration %r (none, photoguard, photoguard-file, rewrite, require)" % form)


def conf(form, ranges, photo_dir, ranges_file=None):
    lines = []
    if form == "rewrite":
        # The seed's cookie conditions, then one condition per range; all
        # must hold (nothing matched) for the redirect.
        lines += ["RewriteEngine On",
                  "RewriteCond %{HTTP_COOKIE} !LtpaToken2=.*$ [NC]",
                  "RewriteCond %{HTTP_COOKIE} !LtpaToken=.*$ [NC]",
                  "RewriteCond %{HTTP_COOKIE} !STPluginActivePage=stMeetingroom [NC]"]
        lines += ["RewriteCond %%{REMOTE_ADDR} !%s" % cidr_regex(r) for r in ranges]
        if ranges == SEED_RANGES:
            # The seed block (README) has [NC] on its last condition.
            lines[-1] += " [NC]"
        lines.append("RewriteRule ^(.*)$ %s [R,L]" % REDIRECT)
    lines.append("<Directory %s>" % photo_dir)
    lines += ["    " + l for l in directory_rules(form, ranges, ranges_file)]
    lines.append("</Directory>")
    return lines


def main(argv):
    if len(argv) in (2, 4) and argv[0] == "ranges" and (len(argv) == 2 or argv[2] == "--prefix"):
        print("\n".join(benchmark_ranges(int(argv[1]), int(argv[3]) if len(argv) == 4 else None)))
    elif len(argv) >= 4 and argv[0] == "conf":
        with open(argv[2]) as f:
            ranges = [l.strip() for l in f if l.strip()]
        if "--omit-client" in argv[4:]:
            if argv[1] == "photoguard-file":
                sys.exit("policy.py: photoguard-file reads the ranges file as it is (no --omit-client)")
            ranges = [r for r in ranges if ipaddress.ip_address(CLIENT) not in ipaddress.ip_network(r)]
        print("\n".join(conf(argv[1], ranges, argv[3], argv[2])))
    elif len(argv) >= 2 and argv[0] == "netfile":
        print("\n".join(network_file(int(argv[1]))))
    elif argv == ["cookie-header"]:
        print(cookie_header())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
