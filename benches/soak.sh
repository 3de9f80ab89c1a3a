#!/usr/bin/env bash
# Soak test (issue 9): a real Apache 2.4 (Debian's /usr/sbin/apache2) with
# photoguard, under mixed traffic at CONNECTIONS connections for DURATION
# seconds per MPM, with a graceful restart every RESTART_EVERY seconds that
# switches between two policies (policy a allows the partner range
# 127.40.0.0/24, policy b does not). Then it checks:
#   - every access-log line: the decision, status and reason expected for its
#     client class (named in the URL, ?c=CLASS) under the policy generation
#     that answered it (the X-Soak-Policy response header, set by each policy
#     file and logged; an allow's reason must name that generation's file at a
#     line holding the rule); for the rate-limited class, exact counts per
#     client, window and limit (COUNT allowed, then limited as COUNT+1, ...);
#   - the client's view of each response (status per class and generation, the
#     whole photo on a 200), and that it saw as many responses as were logged;
#   - no 5xx, no crashed child in the error log, every restart done;
#   - memory of the parent and the children (VmRSS, Pss, Private, sampled every
#     SAMPLE_EVERY seconds): after WARMUP (medians of the first three samples)
#     against the end (medians of the last three).
# Client classes, scopes and the two policies: benches/soak/classes.py (one
# entry a kind of client). Load generator: benches/soak/loadgen (Rust, a
# standalone package; each connection bound to its class's 127.x.y.z source
# address, keep-alive runs of 1-40 requests and one-request connections mixed).
# Checker, memory sampler and table: benches/soak/soak.py.
#
#   benches/soak.sh                  10 minutes per MPM (event, prefork)
#   DURATION=60 benches/soak.sh      a short try
#
# Settings (environment): DURATION (600 s), CONNECTIONS (64), MPMS ("event
# prefork"), RESTART_EVERY (30 s; 0: none), WARMUP (60 s, or DURATION/5 if
# less), SAMPLE_EVERY (5 s; 2 s below 120 s), MEM_TOLERANCE_PCT (10) and
# MEM_SLACK_KIB (2048): memory counts as flat when end <= first * (1 + PCT/100)
# + SLACK, RESULTS (target/soak/<date-time>), KEEP_LOGS=1 (keep the access and
# error logs of a run that passed; they take a few GB for 10 minutes. Without
# it only the error log's lines other than denials stay, as error-other.log),
# MODULE (a built libmod_photoguard.so; else built here), REV (build the
# module from this git revision, e.g. HEAD, exported to target/soak/rev-src,
# instead of the working tree), SOAK_MINT (photoguard-ltpa-mint; else built
# from the same source), HTTPD (/usr/sbin/apache2), APACHE_MODULES
# (/usr/lib/apache2/modules), SEED (the load generator's).
# Classes that need a feature the module lacks (PhotoGuardLimit, PhotoGuardAllowLtpa)
# are left out, and the summary says so.
#
# Only loopback addresses are used. Exit status: 0 when every MPM passed.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$REPO/benches/soak"
HTTPD="${HTTPD:-/usr/sbin/apache2}"
APACHE_MODULES="${APACHE_MODULES:-/usr/lib/apache2/modules}"
DURATION="${DURATION:-600}"
CONNECTIONS="${CONNECTIONS:-64}"
MPMS="${MPMS:-event prefork}"
RESTART_EVERY="${RESTART_EVERY:-30}"
WARMUP="${WARMUP:-$((DURATION / 5 < 60 ? DURATION / 5 : 60))}"
SAMPLE_EVERY="${SAMPLE_EVERY:-$((DURATION >= 120 ? 5 : 2))}"
SEED="${SEED:-$(date +%s)}"
RESULTS="${RESULTS:-$REPO/target/soak/$(date +%Y%m%d-%H%M%S)}"

die() { echo "soak: $*" >&2; exit 2; }
[[ -x "$HTTPD" ]] || die "no Apache at $HTTPD (apt-get install apache2 apache2-dev)"
"$HTTPD" -v | grep -q 'Apache/2\.4\.' || die "$HTTPD is not Apache 2.4"
for m in mpm_event mpm_prefork authz_core mime headers; do
    [[ -f "$APACHE_MODULES/mod_$m.so" ]] || die "$APACHE_MODULES/mod_$m.so is missing (apt-get install apache2)"
done
command -v python3 >/dev/null || die "python3 is missing"
command -v cargo >/dev/null || die "cargo is missing"

# --- build --------------------------------------------------------------------------

mkdir -p "$RESULTS"
src="$REPO" target="$REPO/target"
if [[ -n "${REV:-}" ]]; then
    src="$REPO/target/soak/rev-src" target="$REPO/target/soak/module"
    echo "== exporting $REV ($(git -C "$REPO" rev-parse --short "$REV")) to $src"
    rm -rf "$src" && mkdir -p "$src"
    git -C "$REPO" archive "$REV" | tar -x -C "$src"
fi
if [[ -z "${MODULE:-}" ]]; then
    echo "== building the module from $src"
    (cd "$src" && nice cargo build --release --lib --target-dir "$target")
    MODULE="$target/release/libmod_photoguard.so"
fi
grep -q photoguard_module "$MODULE" 2>/dev/null || die "no photoguard module at $MODULE"
# What the module supports decides which client classes run (classes.py).
SOAK_FEATURES=""
grep -q PhotoGuardLimit "$MODULE" && SOAK_FEATURES+=" limit"
if grep -q PhotoGuardAllowLtpa "$MODULE"; then
    # LTPA keys and tokens come from the test minter (crates/ltpa-mint) of the same source.
    if [[ -z "${SOAK_MINT:-}" && -f "$src/crates/ltpa-mint/Cargo.toml" ]]; then
        echo "== building the LTPA test minter"
        (cd "$src" && nice cargo build --release --quiet -p photoguard-ltpa-mint --bin photoguard-ltpa-mint --target-dir "$target") &&
            SOAK_MINT="$target/release/photoguard-ltpa-mint"
    fi
    if [[ -n "${SOAK_MINT:-}" && -x "$SOAK_MINT" ]]; then
        SOAK_FEATURES+=" ltpa"
    else
        echo "soak: the module validates LTPA tokens but there is no minter (SOAK_MINT): LTPA classes left out" >&2
    fi
fi
export SOAK_FEATURES SOAK_MINT
echo "== building the load generator"
nice cargo build --release --quiet --manifest-path "$HERE/loadgen/Cargo.toml" --target-dir "$REPO/target/soak/loadgen" ||
    nice cargo build --release --quiet --offline --manifest-path "$HERE/loadgen/Cargo.toml" --target-dir "$REPO/target/soak/loadgen"
LOADGEN="$REPO/target/soak/loadgen/release/photoguard-soak-loadgen"

# --- one Apache ---------------------------------------------------------------------

WORK=""
PIDFILE=""
SAMPLER=""
LOADGEN_PID=""
cleanup() {
    [[ -n "$LOADGEN_PID" ]] && kill "$LOADGEN_PID" 2>/dev/null
    [[ -n "$SAMPLER" ]] && kill "$SAMPLER" 2>/dev/null
    stop_apache
    true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mpm_conf() {
    case "$1" in
    # Room for an old generation still finishing its requests after a
    # graceful restart next to the new one (ServerLimit).
    event) printf '%s\n' "StartServers $((CONNECTIONS / 32 + 2))" "ServerLimit $((2 * (CONNECTIONS / 32 + 4)))" \
        'ThreadLimit 32' 'ThreadsPerChild 32' "MaxRequestWorkers $(((CONNECTIONS / 32 + 4) * 32))" \
        "MinSpareThreads $((CONNECTIONS))" "MaxSpareThreads $((CONNECTIONS + 64))" 'MaxConnectionsPerChild 0' ;;
    # A process per connection, and spares.
    prefork) printf '%s\n' "StartServers $((CONNECTIONS + 8))" "ServerLimit $((CONNECTIONS + 32))" \
        "MaxRequestWorkers $((CONNECTIONS + 32))" 'MinSpareServers 8' 'MaxSpareServers 24' \
        'MaxConnectionsPerChild 0' ;;
    *) die "unknown MPM $1 (event, prefork)" ;;
    esac
}

generations() { grep -c 'resuming normal operations' "$WORK/logs/error.log" 2>/dev/null || true; }

use_policy() { echo "Include $WORK/policy-$1.conf" > "$WORK/active.conf"; }

start_apache() {
    local mpm="$1" user="" _
    [[ $(id -u) == 0 ]] && user=$'User www-data\nGroup www-data'
    PORT="$(free_port)"
    sed -e "s|@ROOT@|$WORK|g" -e "s|@PORT@|$PORT|g" -e "s|@MODULES@|$APACHE_MODULES|g" \
        -e "s|@MODULE@|$MODULE|g" -e "s|@MPM@|$mpm|g" "$HERE/httpd.conf.in" |
        awk -v user="$user" -v mpm="$(mpm_conf "$mpm")" \
            '$0 == "@USER@" { print user; next } $0 == "@MPM_CONF@" { print mpm; next } { print }' > "$WORK/httpd.conf"
    chmod -R a+rX "$WORK"
    # Secrets readable by their owner only (photoguard warns otherwise).
    chmod 600 "$WORK"/ltpa/*password "$WORK"/ltpa/*.secret 2>/dev/null || true
    for gen in b a; do  # both policies must load; a is the first
        use_policy $gen
        "$HTTPD" -t -f "$WORK/httpd.conf" 2>&1 | grep -v 'Syntax OK' >&2 || true
        "$HTTPD" -t -f "$WORK/httpd.conf" >/dev/null 2>&1 || die "policy $gen does not load (see above)"
    done
    PIDFILE="$WORK/run/httpd.pid"
    "$HTTPD" -f "$WORK/httpd.conf" -k start || die "Apache did not start ($WORK/logs/error.log)"
    for _ in $(seq 300); do
        [[ -s "$PIDFILE" && "$(generations)" -ge 1 ]] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    die "Apache did not listen on 127.0.0.1:$PORT ($WORK/logs/error.log)"
}

stop_apache() {
    [[ -n "$PIDFILE" && -s "$PIDFILE" ]] || return 0
    local pid _
    pid="$(cat "$PIDFILE")"
    "$HTTPD" -f "$WORK/httpd.conf" -k stop 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && echo "soak: Apache $pid did not stop" >&2
    PIDFILE=""
}

# The CPU seconds Apache used: the parent, its children that have exited
# (cutime, cstime) and those still running.
apache_cpu() {
    local parent p
    parent="$(cat "$PIDFILE")"
    { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$parent/stat"
      for p in $(ps -o pid= --ppid "$parent"); do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done
    } | awk -v hz="$(getconf CLK_TCK)" '{ t += $1 } END { printf "%.1f\n", t / hz }'
}

# graceful GEN: switch to policy GEN and restart gracefully; wait until done.
graceful() {
    local before _
    before="$(generations)"
    use_policy "$1"
    kill -USR1 "$(cat "$PIDFILE")"
    for _ in $(seq 600); do
        [[ "$(generations)" -gt "$before" ]] && return 0
        sleep 0.05
    done
    echo "soak: graceful restart to policy $1 not done after 30 s" >&2
}

# soak MPM: one run; its verdict in $WORK/result.json.
soak() {
    local mpm="$1" gen=a started next now
    WORK="$RESULTS/$mpm"
    rm -rf "$WORK"
    mkdir -p "$WORK"/{logs,run}
    python3 "$HERE/soak.py" setup "$WORK"
    : > "$WORK/restarts.txt"
    start_apache "$mpm"
    echo "== $mpm: Apache $(cat "$PIDFILE") on 127.0.0.1:$PORT, $DURATION s at $CONNECTIONS connections, a graceful restart every ${RESTART_EVERY} s" |
        tee -a "$RESULTS/summary.txt"
    python3 "$HERE/soak.py" sample "$PIDFILE" "$WORK/memory.txt" "$SAMPLE_EVERY" &
    SAMPLER=$!
    "$LOADGEN" "$WORK/spec.txt" "$PORT" "$CONNECTIONS" "$DURATION" "$WORK/loadgen.txt" "$SEED" &
    LOADGEN_PID=$!
    started=$SECONDS
    next=$((started + RESTART_EVERY))
    while kill -0 "$LOADGEN_PID" 2>/dev/null; do
        sleep 0.5
        now=$SECONDS
        if [[ "$RESTART_EVERY" -gt 0 && $now -ge $next && $((now - started)) -lt $((DURATION - 2)) ]]; then
            [[ $gen == a ]] && gen=b || gen=a
            echo "$((now - started)) $gen" >> "$WORK/restarts.txt"
            graceful "$gen"
            next=$((next + RESTART_EVERY))
        fi
    done
    wait "$LOADGEN_PID" || echo "soak: the load generator failed" >&2
    LOADGEN_PID=""
    sleep 1  # the last responses reach the access log
    apache_cpu > "$WORK/apache-cpu.txt"
    kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true
    SAMPLER=""
    stop_apache
    python3 "$HERE/soak.py" check "$WORK" "$mpm" "$WARMUP" | tee -a "$RESULTS/summary.txt" || true
}

{
    echo "== photoguard soak, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "command: DURATION=$DURATION CONNECTIONS=$CONNECTIONS MPMS=\"$MPMS\" RESTART_EVERY=$RESTART_EVERY WARMUP=$WARMUP SEED=$SEED${REV:+ REV=$REV} benches/soak.sh"
    echo "module: $MODULE${REV:+ (built from $REV = $(git -C "$REPO" rev-parse --short "$REV"))}; features:${SOAK_FEATURES:- none beyond network and cookie rules}"
    echo "apache: $("$HTTPD" -v | head -1 | sed 's/^Server version: //')"
    echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(uname -sr)"
    echo "uptime before: $(uptime)"
} | tee "$RESULTS/summary.txt"

status=0
results=()
for mpm in $MPMS; do
    # Not in a pipeline: the exit trap must know which Apache to stop.
    soak "$mpm"
    [[ -s "$WORK/result.json" ]] || die "no result for $mpm"
    results+=("$WORK/result.json")
    if python3 -c 'import json, sys; sys.exit(1 if json.load(open(sys.argv[1]))["failures"] else 0)' "$WORK/result.json"; then
        # Large; kept when the run failed. The error log without its denials stays.
        if [[ "${KEEP_LOGS:-0}" != 1 ]]; then
            grep -v -e 'photoguard: denied client' -e 'photoguard: limited client' "$WORK/logs/error.log" > "$WORK/logs/error-other.log" || true
            rm -f "$WORK/logs/access.log" "$WORK/logs/error.log"
        fi
    else
        status=1
    fi
done
{
    echo
    python3 "$HERE/soak.py" table "${results[@]}"
    echo
    echo "uptime after: $(uptime)"
    echo "results: $RESULTS"
} | tee -a "$RESULTS/summary.txt"
exit "$status"
