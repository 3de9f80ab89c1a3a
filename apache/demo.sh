#!/usr/bin/env bash
# photoguard demo: builds the Apache module, starts an Apache on
# 127.0.0.1:8080 that serves a few sample photos behind the photo host's
# policy (rewritten to loopback addresses), and shows with curl who gets a
# photo and who does not. LTPA cookies are validated: the demo generates a
# WebSphere-style key set and a Domino secret with the test-only minter
# (crates/ltpa-mint), and mints the tokens it sends.
#
#   apache/demo.sh          build, (re)start the demo server, run the curl lines
#   apache/demo.sh stop     stop the demo server
#
# Apache 2.4 (Debian) by default. For another server:
#   APXS=/opt/httpd22/bin/apxs HTTPD=/opt/httpd22/bin/httpd apache/demo.sh
# Needs: apache2 apache2-dev (apxs, headers), libclang-dev, curl, cargo.
set -euo pipefail

DEMO_DIR=/tmp/photoguard-demo
PORT=8080
BASE="http://127.0.0.1:$PORT"
HTTPD="${HTTPD:-/usr/sbin/apache2}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing() {
    echo "photoguard demo: $1 is missing; install it with: bash .ci/setup" >&2
    echo "  (or: apt-get install apache2 apache2-dev libclang-dev curl, and rustup for cargo)" >&2
    exit 1
}

stop_demo() {
    if [[ -f "$DEMO_DIR/httpd.conf" && -f "$DEMO_DIR/run/httpd.pid" ]]; then
        "$HTTPD" -f "$DEMO_DIR/httpd.conf" -k stop 2>/dev/null || true
        for _ in $(seq 50); do [[ -f "$DEMO_DIR/run/httpd.pid" ]] || break; sleep 0.1; done
    fi
}

if [[ "${1:-}" == stop ]]; then
    stop_demo
    echo "photoguard demo stopped"
    exit 0
fi

[[ -x "$HTTPD" ]] || missing "Apache httpd ($HTTPD)"
command -v curl >/dev/null || missing curl
command -v cargo >/dev/null || missing cargo
[[ -n "${APXS:-}" ]] || command -v apxs >/dev/null || command -v apxs2 >/dev/null || missing "apxs (apache2-dev)"

if "$HTTPD" -v | grep -q 'Apache/2\.2\.'; then
    VERSION=2.2
    TARGET_DIR="$REPO/target/apache22"
    MODULES="$(dirname "$HTTPD")/../modules"
else
    VERSION=2.4
    TARGET_DIR="$REPO/target"
    MODULES=/usr/lib/apache2/modules
    [[ -d "$MODULES" ]] || MODULES="$(dirname "$HTTPD")/../modules"
fi

echo "== building the module (cargo build --release --lib) for Apache $VERSION"
(cd "$REPO" && cargo build --release --lib --target-dir "$TARGET_DIR")
MODULE="$TARGET_DIR/release/libmod_photoguard.so"
if ! grep -q photoguard_module "$MODULE"; then
    missing "the Apache headers (build.rs found no apxs, so $MODULE has no Apache module)"
fi
echo "== building the test-only LTPA minter (cargo build --release -p photoguard-ltpa-mint)"
(cd "$REPO" && cargo build --release -p photoguard-ltpa-mint --target-dir "$TARGET_DIR")
MINT="$TARGET_DIR/release/photoguard-ltpa-mint"

stop_demo
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"/{photos,logs,run,keys}
for person in jane.doe john.smith anna.svensson; do
    printf 'sample photo of %s@example.com\n' "$person" > "$DEMO_DIR/photos/$person@example.com.jpg"
done
chmod -R a+rX "$DEMO_DIR"

# What the SSO servers would export: an ltpa.keys with its password (as
# WebSphere/Liberty write it) and Domino's LTPA_DominoSecret. Apache reads
# them as root at startup; nobody else needs to.
echo "== generating an LTPA key set and a Domino secret in $DEMO_DIR/keys"
(
    cd "$DEMO_DIR"
    umask 077
    "$MINT" keys --out keys/ltpa.keys --password demo-keys-password --password-out keys/ltpa.password --realm defaultRealm --host was.example.com
    "$MINT" domino-secret --out keys/domino.secret
)
chmod 700 "$DEMO_DIR/keys"

builtin="$("$HTTPD" -l)"
load() { echo "LoadModule $1 $MODULES/$2"; }
{
    echo "ServerRoot $DEMO_DIR"
    echo "ServerName 127.0.0.1"
    echo "Listen 127.0.0.1:$PORT"
    echo "PidFile $DEMO_DIR/run/httpd.pid"
    echo "ErrorLog $DEMO_DIR/logs/error.log"
    if [[ $VERSION == 2.4 ]]; then
        echo "DefaultRuntimeDir $DEMO_DIR/run"
        echo "Mutex file:$DEMO_DIR/run default"
        echo "LogLevel warn photoguard:debug"
        grep -qE 'prefork\.c|event\.c|worker\.c' <<<"$builtin" || load mpm_event_module mod_mpm_event.so
        load authz_core_module mod_authz_core.so
    else
        echo "LockFile $DEMO_DIR/run/accept.lock"
        echo "ScoreBoardFile $DEMO_DIR/run/scoreboard"
        echo "LogLevel warn"
        load authz_host_module mod_authz_host.so
    fi
    grep -q mod_log_config.c <<<"$builtin" || load log_config_module mod_log_config.so
    if [[ -f /etc/mime.types && -f "$MODULES/mod_mime.so" ]]; then
        load mime_module mod_mime.so
        echo "TypesConfig /etc/mime.types"
    fi
    echo "LoadModule photoguard_module $MODULE"
    if [[ $(id -u) == 0 ]]; then
        echo "User www-data"
        echo "Group www-data"
    fi
    cat <<EOF
LogFormat "%a %>s %U photoguard=%{PHOTOGUARD_DECISION}e \"%{PHOTOGUARD_REASON}e\" user=%{PHOTOGUARD_USER}e" photoguard
CustomLog $DEMO_DIR/logs/access.log photoguard
DocumentRoot $DEMO_DIR/photos

<Directory $DEMO_DIR/photos>
$(if [[ $VERSION == 2.4 ]]; then echo "    Require all granted"; else printf '    Order allow,deny\n    Allow from all\n'; fi)
    # The photo host's policy, with the office/VPN ranges 10.20.16.0/20,
    # 10.30.64.0/21, 172.16.128.0/22 and the Sametime proxy 192.0.2.10
    # moved to loopback addresses so that curl can play every client.
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20 127.30.64.0/21 127.172.128.0/22
    PhotoGuardAllowNetwork 127.0.2.10
    # SSO cookies are verified with the SSO servers' keys, not just seen.
    PhotoGuardLtpaKeys keys/ltpa.keys keys/ltpa.password
    PhotoGuardDominoSecret keys/domino.secret
    PhotoGuardAllowLtpa LtpaToken2 LtpaToken
    PhotoGuardAllowCookie STPluginActivePage=stMeetingroom
    PhotoGuardDenyAction redirect https://www.example.com/
</Directory>
EOF
} > "$DEMO_DIR/httpd.conf"
chmod a+r "$DEMO_DIR/httpd.conf"

echo "== starting Apache: $HTTPD -f $DEMO_DIR/httpd.conf -k start"
"$HTTPD" -f "$DEMO_DIR/httpd.conf" -t
"$HTTPD" -f "$DEMO_DIR/httpd.conf" -k start
# Wait for the port without sending a request (it would show in the logs).
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

PHOTO="$BASE/jane.doe@example.com.jpg"
ACCESS_LOG="$DEMO_DIR/logs/access.log"
# try WHAT CURL-ARGS...: prints the curl line (SHOWN, if set, stands for the
# arguments, e.g. a variable instead of a long token), runs it, and prints
# the answer and the reason photoguard logged for it.
try() {
    local what="$1"; shift
    local shown="${SHOWN:-$*}"
    echo
    echo "# $what"
    echo "curl -s${shown:+ $shown} $PHOTO"
    local before out line reason user
    before=$(wc -l < "$ACCESS_LOG" 2>/dev/null || echo 0)
    out="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$@" "$PHOTO")"
    # httpd logs a request just after answering it.
    for _ in $(seq 50); do
        (( $(wc -l < "$ACCESS_LOG" 2>/dev/null || echo 0) > before )) && break
        sleep 0.05
    done
    line="$(tail -n 1 "$ACCESS_LOG" 2>/dev/null || true)"
    reason="$(sed -n 's/.*photoguard=[a-z-]* "\(.*\)" user=.*/\1/p' <<<"$line")"
    user="${line##* user=}"
    case "$out" in
        200*) echo "  -> ${out%% *}: photo served ($reason)" ;;
        302*) echo "  -> 302: redirected to ${out#* } ($reason)" ;;
        *) echo "  -> $out ($reason)" ;;
    esac
    if [[ -n "$user" && "$user" != - ]]; then echo "     PHOTOGUARD_USER=$user"; fi
}

echo
echo "== who gets jane.doe@example.com.jpg"
try "from 127.0.0.1, outside every allowed range, no cookie: denied" 
try "from the office range 127.0.16.0/20: allowed" --interface 127.0.16.5
try "from the Sametime proxy host 127.0.2.10: allowed" --interface 127.0.2.10
try "a forged login cookie LtpaToken2=x (passes the old RewriteCond): denied" --cookie 'LtpaToken2=x'
try "a browser inside a meeting room: allowed" --cookie 'STPluginActivePage=stMeetingroom'
try "a look-alike cookie XLtpaToken2 (passes the old RewriteCond): denied" --cookie 'XLtpaToken2=1'
try "lower-case ltpatoken2 (passes the old [NC] RewriteCond): denied" --cookie 'ltpatoken2=1'

echo
echo "== LTPA tokens minted with the demo's keys (as WebSphere/Liberty and Domino would)"
mint() { (cd "$DEMO_DIR" && "$MINT" "$@"); }
show_mint() { echo "$1=\$(photoguard-ltpa-mint ${*:2})"; }
show_mint LTPA2 ltpa2 --keys keys/ltpa.keys --password-file keys/ltpa.password --user "'uid=jane.doe,o=example'" --expires +3600
LTPA2="$(mint ltpa2 --keys keys/ltpa.keys --password-file keys/ltpa.password --user 'uid=jane.doe,o=example' --expires +3600)"
show_mint EXPIRED ltpa2 --keys keys/ltpa.keys --password-file keys/ltpa.password --user "'uid=jane.doe,o=example'" --expires -600
EXPIRED="$(mint ltpa2 --keys keys/ltpa.keys --password-file keys/ltpa.password --user 'uid=jane.doe,o=example' --expires -600)"
show_mint DOMINO domino --secret-file keys/domino.secret --user "'CN=Jane Doe/O=Example'" --expires +3600
DOMINO="$(mint domino --secret-file keys/domino.secret --user 'CN=Jane Doe/O=Example' --expires +3600)"
SHOWN='--cookie "LtpaToken2=$LTPA2"' try "a valid LtpaToken2 (WebSphere/Liberty): allowed, with the user" --cookie "LtpaToken2=$LTPA2"
SHOWN='--cookie "LtpaToken2=$EXPIRED"' try "an expired LtpaToken2: denied" --cookie "LtpaToken2=$EXPIRED"
SHOWN='--cookie "LtpaToken=$DOMINO"' try "a valid Domino LtpaToken: allowed, with the user" --cookie "LtpaToken=$DOMINO"

sleep 0.2
echo
echo "== the access log says why ($DEMO_DIR/logs/access.log)"
cat "$DEMO_DIR/logs/access.log"
echo
echo "== denials in the error log ($DEMO_DIR/logs/error.log)"
grep 'photoguard:' "$DEMO_DIR/logs/error.log" | grep -v 'photoguard:debug' || true
echo
echo "The demo server keeps running on $BASE; stop it with: $0 stop"
