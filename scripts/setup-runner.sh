#!/usr/bin/env bash
# Set up (or re-check) the self-hosted GitHub Actions runner that runs .github/workflows/sync-data.yml.
#
# Idempotent: every step checks before it acts, so running it again only repairs what is missing.
# It holds no secrets: the one-time registration token is read from the environment at run time
# (RUNNER_TOKEN, from Settings → Actions → Runners → New self-hosted runner) and never written down.
#
#   sudo REPO_URL=https://github.com/acme/data-platform-light RUNNER_TOKEN=... scripts/setup-runner.sh
#
# What it does:
#   1. installs python3 (3.11+), python3-venv, make, git, curl (Debian/Ubuntu);
#   2. creates the service user `dpl` and the persistent data folders /srv/dpl/{bronze,warehouse}
#      (bronze must survive between workflow runs: the workflow points DPL_BRONZE_DIR there);
#   3. downloads and unpacks the Actions runner into /opt/actions-runner (once);
#   4. registers it with the labels `self-hosted,linux,dpl` (once: skipped when .runner exists);
#   5. installs and starts it as a systemd service running as `dpl`.
# Afterwards set the repository's variables and secrets and start a first run: README "GitHub Actions,
# step by step" (tests/test_workflows.py checks that the workflow passes every variable of .env.example).
set -euo pipefail

RUNNER_USER="${RUNNER_USER:-dpl}"
RUNNER_DIR="${RUNNER_DIR:-/opt/actions-runner}"
DATA_DIR="${DATA_DIR:-/srv/dpl}"
RUNNER_VERSION="${RUNNER_VERSION:-2.321.0}"
RUNNER_LABELS="${RUNNER_LABELS:-dpl}"

say() { printf '[setup-runner] %s\n' "$*"; }
die() { printf '[setup-runner] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo): it installs packages and a service"

say "1/5 packages"
missing=()
for pkg in python3 python3-venv make git curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q && apt-get install -y -q "${missing[@]}"
fi
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "python3 is older than 3.11: install python3.11 and set PYTHON=python3.11 for make"

say "2/5 user ${RUNNER_USER} and data folders under ${DATA_DIR}"
id -u "$RUNNER_USER" >/dev/null 2>&1 || useradd --system --create-home --shell /bin/bash "$RUNNER_USER"
install -d -o "$RUNNER_USER" -g "$RUNNER_USER" -m 0750 "$DATA_DIR" "$DATA_DIR/bronze" "$DATA_DIR/warehouse"

say "3/5 runner ${RUNNER_VERSION} in ${RUNNER_DIR}"
install -d -o "$RUNNER_USER" -g "$RUNNER_USER" "$RUNNER_DIR"
if [ ! -x "$RUNNER_DIR/config.sh" ]; then
  arch=$(uname -m); case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
  tarball="actions-runner-linux-${arch}-${RUNNER_VERSION}.tar.gz"
  curl -fsSL -o "/tmp/$tarball" "https://github.com/actions/runner/releases/download/v${RUNNER_VERSION}/${tarball}"
  tar -xzf "/tmp/$tarball" -C "$RUNNER_DIR" && rm -f "/tmp/$tarball"
  chown -R "$RUNNER_USER:$RUNNER_USER" "$RUNNER_DIR"
fi

say "4/5 registration"
if [ -f "$RUNNER_DIR/.runner" ]; then
  say "already registered (remove it with config.sh remove to re-register)"
else
  : "${REPO_URL:?set REPO_URL=https://github.com/<owner>/<repo>}"
  : "${RUNNER_TOKEN:?set RUNNER_TOKEN to a registration token (it is used once and not stored)}"
  sudo -u "$RUNNER_USER" "$RUNNER_DIR/config.sh" --unattended --url "$REPO_URL" --token "$RUNNER_TOKEN" \
    --labels "$RUNNER_LABELS" --name "$(hostname)-dpl" --work "_work" --replace
fi

say "5/5 service"
cd "$RUNNER_DIR"
if ! systemctl list-unit-files | grep -q "actions.runner.*$(hostname)-dpl"; then
  ./svc.sh install "$RUNNER_USER"
fi
./svc.sh start >/dev/null 2>&1 || true
./svc.sh status | head -n 5
say "done: bronze persists in ${DATA_DIR}/bronze, the warehouse in ${DATA_DIR}/warehouse"
