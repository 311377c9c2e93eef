#!/usr/bin/env bash
# The Debian package end to end, as a trust would meet it: builds the release binary and the
# .deb (cargo-deb, [package.metadata.deb] in crates/junction/Cargo.toml, files in
# crates/junction/debian/), installs it, checks the user, config, binary and systemd unit,
# runs the installed config as the junction user until /readyz answers, stops it with SIGTERM,
# then purges the package. Needs root (or passwordless sudo) and a Debian-family host; run by
# .ci/run. Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n== deb: %s\n' "$*"; }
fail() { printf 'deb check FAILED: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo)
else
    fail "installs a package: run as root, or as a user with passwordless sudo (sudo tests/deb/check.sh)"
fi
command -v dpkg >/dev/null 2>&1 || fail "needs dpkg and apt-get (a Debian or Ubuntu host)"

UNIT=junction.service
CONFIG=/etc/junction/junction.toml
READY_URL=http://127.0.0.1:8080/readyz
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

step "cargo-deb"
if ! command -v cargo-deb >/dev/null 2>&1; then
    cargo install cargo-deb --locked
fi
cargo deb --version

step "release build (cargo build --release -p junction, target dir $TARGET_DIR)"
start=$(date +%s)
cargo build --release --locked -p junction
end=$(date +%s)
BIN="$TARGET_DIR/release/junction"
echo "release build: $((end - start))s (incremental when the target dir is warm)"
echo "binary size: $(du -h "$BIN" | cut -f1) $BIN (strip = \"debuginfo\")"

step "cargo deb -p junction --no-build"
DEB=$(cargo deb -p junction --no-build --locked | tail -n 1)
[ -f "$DEB" ] || fail "cargo deb printed no .deb path: $DEB"
echo "package: $DEB ($(du -h "$DEB" | cut -f1))"
dpkg-deb --info "$DEB"
dpkg-deb --contents "$DEB"

step "install"
if dpkg -s junction >/dev/null 2>&1; then
    echo "junction already installed: purging it first"
    "${SUDO[@]}" dpkg --purge junction
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$(realpath "$DEB")"
INSTALLED=$(stat -c %s /usr/bin/junction)
echo "installed binary (stripped by cargo-deb): $(du -h /usr/bin/junction | cut -f1), $INSTALLED bytes"
file /usr/bin/junction 2>/dev/null || true

step "user, files and binary"
getent passwd junction || fail "no junction user"
getent group junction || fail "no junction group"
[ "$(stat -c %U:%G /var/lib/junction)" = junction:junction ] || fail "/var/lib/junction not owned by junction"
[ -f "$CONFIG" ] || fail "no $CONFIG"
for f in /etc/junction/junction.toml /etc/junction/code-tables/sex.csv /etc/junction/code-tables/ethnic.csv; do
    dpkg-query --showformat='${Conffiles}\n' --show junction | grep -q " $f " || fail "$f is not a conffile"
done
/usr/bin/junction --version
UNIT_PATH=$(dpkg -L junction | grep "/systemd/system/$UNIT\$" | head -n 1)
[ -n "$UNIT_PATH" ] || fail "the package installs no $UNIT"
echo "unit: $UNIT_PATH"
grep -qx 'ExecStart=/usr/bin/junction run --config /etc/junction/junction.toml' "$UNIT_PATH" \
    || fail "$UNIT does not run the installed config"
grep -qx 'User=junction' "$UNIT_PATH" || fail "$UNIT does not run as junction"

step "postinst is idempotent (dpkg-reconfigure path: configure again)"
"${SUDO[@]}" dpkg-reconfigure -fnoninteractive junction 2>/dev/null \
    || "${SUDO[@]}" /var/lib/dpkg/info/junction.postinst configure
getent passwd junction >/dev/null || fail "junction user gone after reconfigure"

step "systemd-analyze verify $UNIT"
if ! command -v systemd-analyze >/dev/null 2>&1; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y systemd
fi
command -v systemd-analyze >/dev/null 2>&1 || fail "systemd-analyze unavailable even after installing systemd"
verify_log=$(mktemp)
if ! systemd-analyze verify "$UNIT_PATH" >"$verify_log" 2>&1; then
    cat "$verify_log" >&2
    fail "systemd-analyze verify $UNIT"
fi
# verify exits 0 on some warnings; any line about the unit itself is a problem.
if grep -i "$UNIT" "$verify_log"; then
    fail "systemd-analyze verify reported on $UNIT"
fi
cat "$verify_log"
echo "systemd-analyze verify: OK"
echo "hardening (systemd-analyze security, offline):"
systemd-analyze security --offline=yes "$UNIT_PATH" 2>/dev/null | tail -n 1 || true

step "reinstalling keeps a locally edited conffile"
echo "# local edit by tests/deb/check.sh" | "${SUDO[@]}" tee -a "$CONFIG" >/dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$DEB"
grep -q '^# local edit by tests/deb/check.sh$' "$CONFIG" || fail "reinstall replaced the edited $CONFIG"
echo "edit kept"

step "junction check --config $CONFIG (as junction)"
"${SUDO[@]}" runuser -u junction -- /usr/bin/junction check --config "$CONFIG"

step "run as junction until $READY_URL answers"
if curl -fsS -o /dev/null --max-time 2 "$READY_URL" 2>/dev/null; then
    fail "something already answers on $READY_URL: stop it first"
fi
log=$(mktemp)
(cd /var/lib/junction && exec "${SUDO[@]}" runuser -u junction -- /usr/bin/junction run --config "$CONFIG") >"$log" 2>&1 &
RUNUSER=$!
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null --max-time 2 "$READY_URL" 2>/dev/null; do
    if ! kill -0 "$RUNUSER" 2>/dev/null; then
        cat "$log" >&2
        fail "junction exited before it was ready"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        cat "$log" >&2
        fail "not ready within 60s"
    fi
    sleep 0.2
done
# The junction process itself (runuser's child), so its own exit status is what we see.
PID=$(pgrep -P "$RUNUSER" -x junction || true)
if [ -z "$PID" ]; then
    # With sudo in front, junction is runuser's child's child.
    for p in $(pgrep -P "$RUNUSER"); do PID=$(pgrep -P "$p" -x junction || true); done
fi
[ -n "$PID" ] || fail "cannot find the junction process under $RUNUSER"
echo "ready: pid $PID as $(ps -o user= -p "$PID")"
curl -fsS "$READY_URL"; echo
[ -f /var/lib/junction/junction.db ] || fail "no store at /var/lib/junction/junction.db"

step "SIGTERM"
"${SUDO[@]}" kill -TERM "$PID"
rc=0
wait "$RUNUSER" || rc=$?
PID=""
cat "$log"
[ "$rc" -eq 0 ] || fail "junction exited $rc after SIGTERM"
echo "exited 0"

step "purge"
"${SUDO[@]}" dpkg --purge junction
[ ! -e /usr/bin/junction ] || fail "/usr/bin/junction still there after purge"
[ ! -e "$CONFIG" ] || fail "$CONFIG still there after purge"
[ ! -e "$UNIT_PATH" ] || fail "$UNIT_PATH still there after purge"
if dpkg -s junction >/dev/null 2>&1; then fail "dpkg still knows junction"; fi

printf '\n== deb: OK (release build %ss, binary %s, installed %s bytes)\n' \
    "$((end - start))" "$(du -h "$BIN" | cut -f1)" "$INSTALLED"
