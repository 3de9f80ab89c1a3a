#!/usr/bin/env bash
# End-to-end benchmark (issue 5): a real Apache 2.4 on 127.0.0.1 serving a
# 2 KB photo, driven by wrk from 127.0.0.1, with the photo host's policy
# written four ways:
#   1. none        no access control (Require all granted)
#   2. photoguard  PhotoGuard On, PhotoGuardAllowNetwork, PhotoGuardAllowCookie,
#                  PhotoGuardDenyAction redirect
#   3. rewrite     the seed's mod_rewrite RewriteCond chain: cookie conditions,
#                  then one dotted-quad regex per range, RewriteRule [R,L]
#   4. require     <RequireAny> with Require expr on the Cookie header and
#                  Require ip
# at 4 ranges (the seed's, the client's address last), 1,000 and 10,000
# (generated, distinct, the client's address last). The client is allowed by
# its network everywhere, so every request is a 200 after the whole chain ran.
# The configurations take turns (1-4, 1-4, ...) for ROUNDS rounds at each
# range count, so drift on a busy machine shows up in every column alike; the
# ratio to (1) is taken within a round. Then the memory of an Apache child
# with 100,000 photoguard ranges against one with none.
#
#   benches/apache_wrk.sh            full run (about 15 minutes)
#   QUICK=1 benches/apache_wrk.sh    smoke run (about 2 minutes)
#
# Settings (environment): DURATION (wrk -d, default 15s; QUICK 3s), WARMUP
# (an unmeasured wrk run first, 2s; QUICK 1s), CONNECTIONS (wrk -c, 32),
# THREADS (wrk -t, 2), ROUNDS (3; QUICK 1), RANGES ("4 1000 10000"; "" for
# the memory report alone),
# CONFIGS ("none photoguard rewrite require"), MEMORY_RANGES (100000; 0 skips
# the memory report), RESULTS (where wrk outputs and the table are kept,
# default target/apache_wrk/<date-time>), HTTPD (/usr/sbin/apache2),
# APACHE_MODULES (/usr/lib/apache2/modules), SKIP_BUILD=1 (use the built
# target/release/libmod_photoguard.so as it is), MODULE (a built module to
# use instead), REQUIRE_IP_PER_LINE (networks
# a Require ip line, default 8, as PhotoGuardAllowNetwork lines), PERF=1
# (profile Apache during each measured run with perf: where its CPU goes,
# by shared object, in $RESULTS/*.perf.txt; slows the runs down).
#
# Only 127.0.0.1 is ever used. Needs: apache2 apache2-dev (bash .ci/setup),
# wrk, curl, python3, cargo.
set -euo pipefail

BENCH=apache_wrk
# shellcheck source=apache/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/apache/common.sh"
if [[ "${QUICK:-0}" == 1 ]]; then
    DURATION="${DURATION:-3s}" WARMUP="${WARMUP:-1s}" ROUNDS="${ROUNDS:-1}"
fi
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-2s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-3}"
RANGES="${RANGES-4 1000 10000}"
CONFIGS="${CONFIGS:-none photoguard rewrite require}"
MEMORY_RANGES="${MEMORY_RANGES:-100000}"
RESULTS="${RESULTS:-$REPO/target/apache_wrk/$(date +%Y%m%d-%H%M%S)}"

require_apache mpm_event authz_core authz_host rewrite mime
command -v wrk >/dev/null || missing wrk wrk
command -v curl >/dev/null || missing curl curl
command -v python3 >/dev/null || missing python3 python3

WORK=""
PIDFILE=""
cleanup() {
    stop_apache
    [[ -n "$WORK" ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Apache -----------------------------------------------------------------

start_apache() {
    PORT="$(free_port)"
    BASE="http://$CLIENT:$PORT"
    write_httpd_conf "${1:-2}"
    chmod -R a+rX "$WORK"
    PIDFILE="$WORK/run/httpd.pid"
    "$HTTPD" -f "$WORK/httpd.conf" -k start || { tail -5 "$WORK/logs/error.log" >&2; die "Apache did not start"; }
    # Wait for the port without sending a request.
    local _
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/$CLIENT/$PORT") 2>/dev/null && [[ -s "$PIDFILE" ]] && return 0
        sleep 0.1
    done
    die "Apache did not listen on $CLIENT:$PORT (see $WORK/logs/error.log)"
}

stop_apache() {
    [[ -n "$PIDFILE" && -s "$PIDFILE" ]] || return 0
    local pid _
    pid="$(cat "$PIDFILE")"
    "$HTTPD" -f "$WORK/httpd.conf" -k stop 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && echo "apache_wrk: Apache $pid did not stop" >&2
    if grep -qE 'exit signal|segmentation|AH00052' "$WORK/logs/error.log" 2>/dev/null; then
        grep -E 'exit signal|segmentation|AH00052' "$WORK/logs/error.log" >&2
        die "an Apache child crashed"
    fi
    PIDFILE=""
}

# status [CURL ARGS]: "<http code> <bytes>" for the photo.
status() {
    curl -s -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' "$@" "$BASE/$PHOTO_NAME"
}

# How busy the CPUs are (percent of both) over one second while no Apache of
# ours runs: the other work on a shared machine. (The load average would
# mostly count the benchmark's own Apache threads.)
others_busy() {
    local a b
    a="$(head -1 /proc/stat)"; sleep 1; b="$(head -1 /proc/stat)"
    awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x); split(b, y); total = 0
        for (i = 2; i <= n; i++) total += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.0f", total ? 100 * (total - idle) / total : 0 }'
}

# The CPU time (user + system, in clock ticks) our Apache's parent and
# children have used so far. Per request it measures Apache's own work, which
# wrk's share of the two CPUs and other work on the machine disturb far less
# than they disturb requests/s.
CLK_TCK="$(getconf CLK_TCK)"
apache_ticks() {
    local parent p
    parent="$(cat "$PIDFILE")"
    for p in "$parent" $(ps -o pid= --ppid "$parent"); do
        cat "/proc/$p/stat" 2>/dev/null || die "Apache process $p went away during a run"
    done | awk '{ t += $14 + $15 } END { print t + 0 }'
}

# PERF=1: samples where our Apache spends its CPU during the measured run
# (perf record on the parent and children, wrk not included), and which
# shared objects the samples fall in. Profiling slows Apache down: requests/s
# of a PERF=1 run are not comparable with those of a run without it.
profile() {
    local parent pids seconds="${DURATION%s}"
    [[ "$seconds" =~ ^[0-9]+$ ]] || die "PERF=1 needs DURATION in seconds (e.g. 10s)"
    parent="$(cat "$PIDFILE")"
    pids="$(ps -o pid= --ppid "$parent" | tr -d ' ' | paste -sd, -)"
    perf record -q -F 499 -p "$pids" -o "$1.perf.data" -- sleep $((seconds > 2 ? seconds - 1 : 1)) 2>/dev/null &
    PERF_PID=$!
}

profile_summary() {
    wait "$PERF_PID" || die "perf record failed (is perf installed and allowed: kernel.perf_event_paranoid?)"
    perf report -i "$1.perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
        grep -v '^#' | grep . > "$1.perf.txt"
    perf report -i "$1.perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
        awk '!/^#/ && NF && n++ < 40' > "$1.perf-symbols.txt"
    rm -f "$1.perf.data"
    printf '      Apache CPU samples by object: %s\n' "$(awk 'NR <= 8 { printf("%s%s %s", (NR > 1 ? ", " : ""), $2, $1) }' "$1.perf.txt")"
}

# --- one measured run ---------------------------------------------------------

# measure RANGES ROUND FORM RANGES_FILE
measure() {
    local ranges="$1" round="$2" form="$3" out got busy ticks
    out="$RESULTS/wrk-$ranges-round$round-$form.txt"
    busy="$(others_busy)"
    policy "$form" "$4"
    start_apache
    got="$(status)"
    [[ "$got" == "200 2048" ]] || die "$form at $ranges ranges: $CLIENT got '$got', not '200 2048' (see $WORK/logs/error.log)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$BASE/$PHOTO_NAME" > /dev/null
    ticks="$(apache_ticks)"
    [[ "${PERF:-0}" == 1 ]] && profile "$out"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE/$PHOTO_NAME" > "$out"
    ticks=$(($(apache_ticks) - ticks))
    [[ "${PERF:-0}" == 1 ]] && profile_summary "$out"
    got="$(status)"
    [[ "$got" == "200 2048" ]] || die "$form at $ranges ranges: after wrk $CLIENT got '$got'"
    stop_apache
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ranges" "$round" "$form" "$busy" "$out" "$ticks" "$CLK_TCK" >> "$RESULTS/index.tsv"
    printf '  round %s  %-10s %8s req/s  p99 %8s  Apache CPU %5s us/req  (CPU busy before: %s%%)\n' "$round" "$form" \
        "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$out")" "$(awk '$1 == "99%" { print $2 }' "$out")" \
        "$(awk -v t="$ticks" -v hz="$CLK_TCK" '/ requests in / { printf "%.1f", t * 1e6 / hz / $1 }' "$out")" "$busy"
}

# gate_is_live RANGES RANGES_FILE: each policy really decides. Without the
# client's range it turns 127.0.0.1 away; with a login cookie it lets it in.
gate_is_live() {
    local form got want
    for form in $CONFIGS; do
        [[ "$form" == none ]] && continue
        policy "$form" "$2" --omit-client
        start_apache
        got="$(status)"
        want=302; [[ "$form" == require ]] && want=403
        [[ "${got%% *}" == "$want" ]] || die "$form at $1 ranges without the client's range: got '$got', want $want"
        got="$(status --cookie 'LtpaToken2=AAECAzU2ZTE3')"
        [[ "$got" == "200 2048" ]] || die "$form at $1 ranges with cookie LtpaToken2: got '$got', want 200"
        stop_apache
        printf '  %-10s without the client range: %s; with LtpaToken2: 200\n' "$form" "$want"
    done
}

# --- memory -----------------------------------------------------------------

# memory_line LABEL WHAT PID: VmRSS (resident), Pss (resident, pages shared
# with N processes counted 1/N) and Private (resident in this process only),
# in KiB.
memory_line() {
    local rss pss private
    rss="$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$3/status")"
    pss="$(awk '$1 == "Pss:" { print $2 }' "/proc/$3/smaps_rollup")"
    private="$(awk '$1 ~ /^Private_(Clean|Dirty):$/ { n += $2 } END { print n }' "/proc/$3/smaps_rollup")"
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$rss" "$pss" "$private"
}

# memory_of LABEL: the parent's and its child's lines.
memory_of() {
    local parent child
    parent="$(cat "$PIDFILE")"
    child="$(ps -o pid= --ppid "$parent" | head -1 | tr -d ' ')"
    [[ -n "$child" ]] || die "no Apache child"
    memory_line "$1" parent "$parent"
    memory_line "$1" child "$child"
}

memory_report() {
    local count="$MEMORY_RANGES" netfile="$WORK/networks.txt" t0 t1 got i label notes=""
    python3 "$HERE/policy.py" netfile "$count" > "$netfile"
    echo
    echo "== memory: one Apache child (64 threads), photoguard with no ranges vs $count ranges (PhotoGuardAllowNetworkFile)"
    echo
    echo "| policy | process | VmRSS KiB | Pss KiB | Private KiB |"
    echo "|---|---|---:|---:|---:|"
    for which in none many; do
        if [[ $which == none ]]; then
            printf '<Directory %s>\n    Require all granted\n    PhotoGuard On\n    PhotoGuardAllowCookie LtpaToken2\n</Directory>\n' "$WORK/photos" > "$WORK/policy.conf"
            label="photoguard, no ranges"
            set -- --cookie 'LtpaToken2=AAECAzU2ZTE3'
        else
            printf '<Directory %s>\n    Require all granted\n    PhotoGuard On\n    PhotoGuardAllowNetworkFile %s\n</Directory>\n' "$WORK/photos" "$netfile" > "$WORK/policy.conf"
            label="photoguard, $count ranges"
            set --
        fi
        t0="$(date +%s.%N)"
        start_apache 1
        t1="$(date +%s.%N)"
        sleep 1
        memory_of "$label, started"
        for i in $(seq 20); do
            got="$(status "$@")"
            [[ "$got" == "200 2048" ]] || die "memory run ($label): got '$got'"
        done
        sleep 0.5
        memory_of "$label, after 20 requests"
        stop_apache
        notes+="$(awk -v a="$t0" -v b="$t1" -v l="$label" 'BEGIN { printf "%s: %.1f s from apache2 -k start to listening", l, b - a }')"$'\n'
    done
    echo
    printf '%s' "$notes"
}

# --- main ---------------------------------------------------------------------

mkdir -p "$RESULTS"
: > "$RESULTS/index.tsv"
{
    echo "== photoguard end-to-end benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "command: ${QUICK:+QUICK=$QUICK }DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS THREADS=$THREADS ROUNDS=$ROUNDS RANGES=\"$RANGES\" CONFIGS=\"$CONFIGS\" MEMORY_RANGES=$MEMORY_RANGES${REQUIRE_IP_PER_LINE:+ REQUIRE_IP_PER_LINE=$REQUIRE_IP_PER_LINE}${SKIP_BUILD:+ SKIP_BUILD=$SKIP_BUILD} benches/apache_wrk.sh"
    echo "wrk: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency http://127.0.0.1:PORT/$PHOTO_NAME (after an unmeasured -d$WARMUP)"
    echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -sr)"
    echo "apache: $("$HTTPD" -v | head -1 | sed 's/^Server version: //'), mpm_event, 2 children x 64 threads, KeepAlive On; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "uptime before: $(uptime)"
} | tee "$RESULTS/summary.txt"

build_module

WORK="$(mktemp -d /tmp/photoguard-wrk-XXXXXX)"
mkdir -p "$WORK"/{photos,logs,run}
make_photo "$WORK/photos"

for ranges in $RANGES; do
    python3 "$HERE/policy.py" ranges "$ranges" > "$WORK/ranges-$ranges.txt"
    echo
    echo "== $ranges ranges (the client $CLIENT is allowed by the last; first: $(head -1 "$WORK/ranges-$ranges.txt"))"
    gate_is_live "$ranges" "$WORK/ranges-$ranges.txt"
    for round in $(seq "$ROUNDS"); do
        for form in $CONFIGS; do
            measure "$ranges" "$round" "$form" "$WORK/ranges-$ranges.txt"
        done
    done
done

# Not in a pipeline: memory_report must run in this shell, so that the exit
# trap knows which Apache to stop if it fails.
if [[ "$MEMORY_RANGES" != 0 ]]; then
    memory_report > "$RESULTS/memory.txt"
    tee -a "$RESULTS/summary.txt" < "$RESULTS/memory.txt"
fi

{
    if [[ -s "$RESULTS/index.tsv" ]]; then
        echo
        echo "== requests/s and p99 (wrk outputs in $RESULTS)"
        echo
        python3 "$HERE/report.py" "$RESULTS/index.tsv" || echo "(some runs had errors: see the flagged rows)"
    fi
    echo
    echo "uptime after: $(uptime)"
} | tee -a "$RESULTS/summary.txt"
