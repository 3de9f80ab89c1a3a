# Shared by the Apache benchmarks (benches/apache_wrk.sh,
# benches/apache_instructions.sh); sourced, not run. The caller sets
# BENCH (its name, for messages) and, before write_httpd_conf, WORK (the
# temporary ServerRoot), PORT and MODULE.
#
# Settings (environment): HTTPD (/usr/sbin/apache2), APACHE_MODULES
# (/usr/lib/apache2/modules), MODULE (a built libmod_photoguard.so to use
# instead of building one), SKIP_BUILD=1 (use target/release/ as it is).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/benches/apache"
HTTPD="${HTTPD:-/usr/sbin/apache2}"
APACHE_MODULES="${APACHE_MODULES:-/usr/lib/apache2/modules}"
CLIENT=127.0.0.1
PHOTO_NAME=jane.doe@example.com.jpg

die() { echo "$BENCH: $*" >&2; exit 1; }
missing() { die "$1 is missing; install it with: bash .ci/setup (or: apt-get install $2)"; }

# require_apache MODULE...: Apache 2.4 and these of its modules (mod_NAME.so).
require_apache() {
    local m
    [[ -x "$HTTPD" ]] || missing "Apache httpd ($HTTPD)" "apache2 apache2-dev"
    "$HTTPD" -v | grep -q 'Apache/2\.4\.' || die "$HTTPD is not Apache 2.4 (the benchmarks use Require and mpm_event)"
    for m in "$@"; do
        [[ -f "$APACHE_MODULES/mod_$m.so" ]] || missing "$APACHE_MODULES/mod_$m.so" apache2
    done
}

# build_module: sets MODULE to the module under test, building it unless
# MODULE or SKIP_BUILD=1 is given.
build_module() {
    if [[ -z "${MODULE:-}" ]]; then
        if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
            echo "== building the module: cargo build --release -p mod_photoguard"
            (cd "$REPO" && cargo build --release -p mod_photoguard)
        fi
        MODULE="$REPO/target/release/libmod_photoguard.so"
    fi
    MODULE="$(cd "$(dirname "$MODULE")" && pwd)/$(basename "$MODULE")"
    grep -q photoguard_module "$MODULE" 2>/dev/null ||
        missing "the Apache module in $MODULE (build.rs found no apxs)" "apache2-dev libclang-dev"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# make_photo DIR: a 2 KB "photo" (a JPEG start-of-image marker and filler).
make_photo() {
    python3 -c 'import sys; sys.stdout.buffer.write(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)' | head -c 2048 > "$1/$PHOTO_NAME"
}

# write_httpd_conf SERVERS [LOAD]: $WORK/httpd.conf from httpd.conf.in, for
# SERVERS children of 64 threads (mpm_event; MPM=prefork: one process, for
# -X); LOAD=0 leaves photoguard unloaded (default 1). As root, Apache's
# children run as www-data, unless APACHE_USER_LINES says otherwise (""
# for none).
write_httpd_conf() {
    local user load="LoadModule photoguard_module $MODULE"
    if [[ -n "${APACHE_USER_LINES+set}" ]]; then
        user="$APACHE_USER_LINES"
    else
        user=""
        [[ $(id -u) == 0 ]] && user=$'User www-data\nGroup www-data'
    fi
    [[ "${2:-1}" == 1 ]] || load="# photoguard is not loaded in this configuration"
    sed -e "s|@ROOT@|$WORK|g" -e "s|@PORT@|$PORT|g" -e "s|@MODULES@|$APACHE_MODULES|g" \
        -e "s|@SERVERS@|$1|g" -e "s|@WORKERS@|$(($1 * 64))|g" -e "s|@MPM@|${MPM:-event}|g" \
        "$HERE/httpd.conf.in" |
        awk -v user="$user" -v load="$load" '$0 == "@USER@" { print user; next } $0 == "@LOAD_PHOTOGUARD@" { print load; next } { print }' \
            > "$WORK/httpd.conf"
}

# policy FORM RANGES_FILE [--omit-client]: the policy under test, in
# $WORK/policy.conf (see policy.py).
policy() {
    python3 "$HERE/policy.py" conf "$1" "$2" "$WORK/photos" "${@:3}" > "$WORK/policy.conf"
}
