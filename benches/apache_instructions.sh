#!/usr/bin/env bash
# The request path in instructions (issue 12): a single Apache process
# (`apache2 -X`, mpm_prefork) under `valgrind --tool=callgrind` serving a
# 2 KB photo to 127.0.0.1, once per variant:
#   none           no access control (Require all granted), photoguard not
#                  loaded: plain Apache, the baseline
#   loaded-off     photoguard loaded, no PhotoGuard directive anywhere
#   none-cookie    plain Apache again, with the 1 KB Cookie header of
#                  pg-10k-cookie: the baseline of that variant (Apache's own
#                  parsing of the header is not photoguard's cost)
#   pg-4           photoguard: the seed's 4 ranges (PhotoGuardAllowNetwork,
#                  the client 127.0.0.1/32 last), the seed's three cookie
#                  rules, PhotoGuardDenyAction redirect
#   pg-10k         photoguard: 10,000 /24 ranges from a
#                  PhotoGuardAllowNetworkFile (127.0.0.1/32 last), the same
#                  cookie rules and action; no Cookie header
#   pg-10k-cookie  the same, with a 1 KB Cookie header carrying none of the
#                  policy's cookies (942 bytes: the criterion benchmark's
#                  typical header); compared with none-cookie
#   rewrite        the README's seed block of 7 RewriteCond (3 cookie, 4
#                  address regexes; 192.0.2.10 moved to 127.0.0.1) and its
#                  RewriteRule [R,L]; photoguard not loaded
#   require        <RequireAny> with 3 `Require expr` on the Cookie header and
#                  `Require ip` with the seed's 4 ranges; photoguard not loaded
# Every variant loads the same other modules (benches/apache/httpd.conf.in,
# shared with benches/apache_wrk.sh) and is allowed by its address, so every
# measured request is a 200 after the whole access chain ran.
#
# How it counts: for each variant Apache runs twice under callgrind, each
# time started fresh and stopped with SIGTERM (callgrind writes its file at
# exit). Both runs first serve the same warm-up: one request from 127.0.0.2
# (not listed: it must be refused, 302 or 403, where there is a policy), one
# from 127.0.0.2 with an LtpaToken2 cookie (must be a 200), and WARMUP
# requests like the measured ones (Apache's first request costs millions of
# instructions of one-time set-up). The second run then serves REQUESTS
# more. Instructions per request = (total of the second run - total of the
# first) / REQUESTS: start-up, shut-down and the warm-up cancel out. The
# client (benches/apache/client.py, outside valgrind) sends each request
# over a fresh connection, as curl in a loop does (connect, GET with curl's
# headers, read the response, close); KEEPALIVE=1 sends them over one
# connection instead. Before stopping Apache the script waits until it has
# closed every connection.
#
# Why mpm_prefork: one thread serves the requests in order, so two runs agree
# within about 20 instructions per request. Under mpm_event (MPM=event, the
# MPM of benches/apache_wrk.sh) the listener thread's polls and clock reads
# per request depend on timing: runs differ by up to about 160 per request,
# and every count is about 3,000 higher.
#
#   benches/apache_instructions.sh      (about 4 minutes)
#
# Settings (environment): REQUESTS (500), WARMUP (10), KEEPALIVE (0),
# VARIANTS ("none loaded-off pg-4 pg-10k none-cookie pg-10k-cookie rewrite
# require"; differences are taken to none, or to none-cookie for a variant
# that sends the Cookie header, else to the first variant), RANGES (10000: the size of the
# pg-10k list), RESULTS (default target/apache_instructions/<date-time>/:
# the callgrind files, configurations and tables), MODULE (a built
# libmod_photoguard.so to measure instead of building one), SKIP_BUILD=1,
# HTTPD, APACHE_MODULES, TOP (rows of the function tables, 20), MPM
# (prefork; or event).
#
# The callgrind files callgrind.out.<variant>.<requests served> can be read
# with `callgrind_annotate --inclusive=yes FILE` (the run's whole cost, the
# warm-up and start-up included) or, per request, with
# `benches/apache/callgrind.py RESULTS`, which prints the tables again.
#
# Only loopback addresses are used. As root, Apache runs as www-data from the
# start (setpriv), so that callgrind can write its file after Apache has
# dropped privileges. Needs: apache2 (bash .ci/setup), valgrind, python3,
# ss (iproute2), cargo.
set -euo pipefail

BENCH=apache_instructions
# shellcheck source=apache/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/apache/common.sh"

REQUESTS="${REQUESTS:-500}"
WARMUP="${WARMUP:-10}"
KEEPALIVE="${KEEPALIVE:-0}"
VARIANTS="${VARIANTS:-none loaded-off pg-4 pg-10k none-cookie pg-10k-cookie rewrite require}"
RANGES="${RANGES:-10000}"
TOP="${TOP:-20}"
RESULTS="${RESULTS:-$REPO/target/apache_instructions/$(date +%Y%m%d-%H%M%S)}"
MPM="${MPM:-prefork}"
OUTSIDER=127.0.0.2

require_apache "mpm_$MPM" authz_core authz_host rewrite mime
command -v valgrind >/dev/null || missing valgrind valgrind
command -v python3 >/dev/null || missing python3 python3
command -v ss >/dev/null || missing ss iproute2
RUN_AS=()
if [[ $(id -u) == 0 ]]; then
    command -v setpriv >/dev/null || missing setpriv util-linux
    id www-data >/dev/null 2>&1 || die "running as root needs the user www-data to run Apache as"
    RUN_AS=(setpriv --reuid www-data --regid www-data --clear-groups)
fi
# Apache starts as the user it runs as: no User/Group lines.
APACHE_USER_LINES=""

WORK=""
VG_PID=""
cleanup() {
    if [[ -n "$VG_PID" ]] && kill -0 "$VG_PID" 2>/dev/null; then
        kill -TERM "$VG_PID" 2>/dev/null || true
        wait "$VG_PID" 2>/dev/null || true
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the variants -------------------------------------------------------------

# variant NAME: sets LABEL, LOAD (photoguard loaded: 1/0), FORM and
# RANGES_FILE (for policy.py), COOKIE (a Cookie header for the measured
# requests, or empty), REFUSED (the outsider's status) and PLAIN (the
# variant it is compared with).
variant() {
    local n
    n="$(printf '%d' "$RANGES" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta')"
    COOKIE="" LOAD=0 RANGES_FILE="$WORK/ranges-seed.txt" REFUSED=302 PLAIN=none
    case "$1" in
        none) LABEL="(1) no access control (photoguard not loaded)" FORM=none REFUSED=200 ;;
        loaded-off) LABEL="(1b) photoguard loaded, no PhotoGuard directives" FORM=none LOAD=1 REFUSED=200 ;;
        pg-4) LABEL="(2) photoguard, 4 ranges" FORM=photoguard LOAD=1 ;;
        pg-10k) LABEL="(3) photoguard, $n /24 ranges (file)" FORM=photoguard-file LOAD=1
            RANGES_FILE="$WORK/ranges-24.txt" ;;
        none-cookie) LABEL="(1c) no access control, 1 KB Cookie" FORM=none REFUSED=200 COOKIE="$COOKIE_HEADER" ;;
        pg-10k-cookie) LABEL="(4) photoguard, $n /24 ranges (file), 1 KB Cookie" FORM=photoguard-file LOAD=1
            RANGES_FILE="$WORK/ranges-24.txt" COOKIE="$COOKIE_HEADER" PLAIN=none-cookie ;;
        rewrite) LABEL="(5) mod_rewrite, the seed's 7 RewriteCond" FORM=rewrite ;;
        require) LABEL="(6) Require expr (3) + Require ip (4 ranges)" FORM=require REFUSED=403 ;;
        *) die "unknown variant $1 (none loaded-off pg-4 pg-10k none-cookie pg-10k-cookie rewrite require)" ;;
    esac
}

# client COUNT [ARGS]: COUNT requests for the photo (client.py).
client() {
    local count="$1"
    shift
    [[ "$KEEPALIVE" == 1 ]] && set -- "$@" --keepalive
    python3 "$HERE/client.py" "$PORT" "/$PHOTO_NAME" "$count" "$@"
}

# wait_until_idle: until Apache has closed every client connection.
wait_until_idle() {
    local _
    for _ in $(seq 600); do
        [[ -z "$(ss -Htn state established state close-wait "( sport = :$PORT )")" ]] && { sleep 0.5; return 0; }
        sleep 0.1
    done
    die "Apache kept connections open on port $PORT"
}

# run NAME COUNT: Apache under callgrind for variant NAME, the warm-up, then
# COUNT measured requests; leaves $RESULTS/callgrind.out.NAME.<served>.
run() {
    local name="$1" count="$2" served out _ cookie=() status
    served=$((WARMUP + 2 + count))
    out="callgrind.out.$name.$served"
    [[ -n "$COOKIE" ]] && cookie=(--cookie "$COOKIE")
    PORT="$(free_port)"
    write_httpd_conf 1 "$LOAD"
    policy "$FORM" "$RANGES_FILE"
    cp "$WORK/httpd.conf" "$RESULTS/$name.httpd.conf"
    cp "$WORK/policy.conf" "$RESULTS/$name.policy.conf"
    : > "$WORK/logs/error.log"
    chmod -R a+rX "$WORK"
    [[ ${#RUN_AS[@]} -gt 0 ]] && chown -R www-data: "$WORK"
    "${RUN_AS[@]}" nice valgrind --tool=callgrind --vgdb=no --callgrind-out-file="$WORK/out/$out" \
        "$HTTPD" -X -d "$WORK" -f "$WORK/httpd.conf" > "$WORK/out/$out.valgrind.log" 2>&1 &
    VG_PID=$!
    for _ in $(seq 1200); do
        [[ -n "$(ss -Hltn "sport = :$PORT")" ]] && break
        kill -0 "$VG_PID" 2>/dev/null || { cat "$WORK/out/$out.valgrind.log" "$WORK/logs/error.log" >&2; die "$name: Apache did not start"; }
        sleep 0.1
    done
    [[ -n "$(ss -Hltn "sport = :$PORT")" ]] || die "$name: Apache did not listen on port $PORT"
    # The warm-up: the policy refuses an outsider and lets it in by cookie.
    client 1 --source "$OUTSIDER" --expect "$REFUSED" || die "$name: $OUTSIDER was not answered $REFUSED"
    client 1 --source "$OUTSIDER" --cookie 'LtpaToken2=AAECAzU2ZTE3' || die "$name: $OUTSIDER with LtpaToken2 was not let in"
    client "$WARMUP" "${cookie[@]}" || die "$name: a warm-up request failed"
    [[ "$count" -gt 0 ]] && { client "$count" "${cookie[@]}" || die "$name: a measured request failed"; }
    wait_until_idle
    kill -TERM "$VG_PID"
    status=0
    wait "$VG_PID" || status=$?
    VG_PID=""
    if grep -qE 'exit signal|segmentation|AH00052|panic' "$WORK/logs/error.log"; then
        cat "$WORK/logs/error.log" >&2
        die "$name: Apache crashed or photoguard panicked"
    fi
    grep -q '^totals:' "$WORK/out/$out" 2>/dev/null ||
        { cat "$WORK/out/$out.valgrind.log" >&2; die "$name: callgrind wrote no totals (valgrind exit status $status)"; }
    cp "$WORK/out/$out" "$WORK/out/$out.valgrind.log" "$RESULTS/"
    cp "$WORK/logs/error.log" "$RESULTS/$out.error.log"
    LAST_OUT="$out"
}

total() { awk '$1 == "totals:" { print $2 }' "$RESULTS/$1"; }

# --- main ---------------------------------------------------------------------

MODULE_GIVEN="${MODULE:-}"
build_module
mkdir -p "$RESULTS"
WORK="$(mktemp -d /tmp/photoguard-instructions-XXXXXX)"
mkdir -p "$WORK"/{photos,logs,run,out}
make_photo "$WORK/photos"
python3 "$HERE/policy.py" ranges 4 > "$WORK/ranges-seed.txt"
python3 "$HERE/policy.py" ranges "$RANGES" --prefix 24 > "$WORK/ranges-24.txt"
cp "$WORK/ranges-seed.txt" "$WORK/ranges-24.txt" "$RESULTS/"
COOKIE_HEADER="$(python3 "$HERE/policy.py" cookie-header)"

if [[ -n "$MODULE_GIVEN" ]]; then
    built="given by MODULE"
else
    built="built from the checkout at $(git -C "$REPO" rev-parse --short HEAD)"
    [[ -n "$(cd "$REPO" && git status --porcelain -- . ':!benches' ':!BENCHMARKS.md' 2>/dev/null)" ]] && built+=" + uncommitted changes"
fi
{
    echo "== photoguard request path in instructions, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "command: MPM=$MPM REQUESTS=$REQUESTS WARMUP=$WARMUP KEEPALIVE=$KEEPALIVE RANGES=$RANGES VARIANTS=\"$VARIANTS\"${SKIP_BUILD:+ SKIP_BUILD=$SKIP_BUILD} benches/apache_instructions.sh"
    echo "module: $MODULE (sha256 $(sha256sum "$MODULE" | cut -c1-12)), $built"
    echo "apache: $("$HTTPD" -v | head -1 | sed 's/^Server version: //'), apache2 -X (mpm_$MPM, one process); $(valgrind --version)"
    echo "client: $([[ "$KEEPALIVE" == 1 ]] && echo "one kept-alive connection" || echo "a fresh connection per request"); $REQUESTS measured requests after $WARMUP (+2) warm-up requests"
    echo "cookie header of pg-10k-cookie: ${#COOKIE_HEADER} bytes, none of LtpaToken2, LtpaToken, STPluginActivePage"
    echo "results: $RESULTS"
} | tee "$RESULTS/summary.txt"
echo

: > "$RESULTS/index.tsv"
for name in $VARIANTS; do
    variant "$name"
    run "$name" 0
    base="$LAST_OUT"
    run "$name" "$REQUESTS"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$LABEL" "$REQUESTS" "$WARMUP" "$LAST_OUT" "$base" "$PLAIN" >> "$RESULTS/index.tsv"
    awk -v n="$name" -v a="$(total "$LAST_OUT")" -v b="$(total "$base")" -v r="$REQUESTS" \
        'BEGIN { printf "  %-14s %9.0f instructions per request  ((%d - %d) / %d)\n", n, (a - b) / r, a, b, r }'
done

{
    echo
    TOP="$TOP" python3 "$HERE/callgrind.py" "$RESULTS" --top "$TOP"
} | tee -a "$RESULTS/summary.txt"
