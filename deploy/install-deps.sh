#!/usr/bin/env bash
# Installs what Vigil needs to build, test and run its local stack, and nothing that is
# already there: npm packages, Debian packages (ClickHouse 18.16, Chromium, Java, Maven,
# Prometheus) and
# the Kafka broker jars. Idempotent; a no-op run takes well under a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf 'install-deps: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- npm
# npm ci when node_modules is missing or older than the lock file (npm writes
# node_modules/.package-lock.json at the end of every install, so its mtime is the marker).
# A node_modules that is a symbolic link is another checkout's install shared by several (git
# worktrees): npm ci here would empty that folder under every checkout using it, so it is left to
# the checkout that owns it.
if [ -L node_modules ]; then
  if [ ! -f node_modules/.package-lock.json ]; then
    log "node_modules links to $(readlink node_modules), which holds no install: run npm ci in the checkout that owns it"
    exit 1
  fi
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# ---------------------------------------------------------------- Debian packages
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
}
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The Debian mirror this machine already uses (deb822 or one-line sources), so that adding
# bookworm for ClickHouse on a newer release goes to the same place.
debian_mirror() {
  local uri
  uri="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)"
  if [ -z "$uri" ]; then
    uri="$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)"
  fi
  printf '%s' "$uri"
}

install_clickhouse() {
  apt_update_once
  local candidate
  candidate="$(apt-cache policy clickhouse-server 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client
    return
  fi
  # Debian 13 dropped clickhouse; bookworm's 18.16 build is the one the project targets.
  # Pinned low so nothing else on the machine is pulled from bookworm.
  local mirror
  mirror="$(debian_mirror)"
  if [ -z "$mirror" ]; then
    log "cannot find the Debian mirror in /etc/apt/sources.list*; add a bookworm source and install clickhouse-server by hand"
    exit 1
  fi
  log "clickhouse-server has no candidate on this release: adding bookworm (pinned) from $mirror"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
    | as_root tee /etc/apt/sources.list.d/vigil-bookworm.sources >/dev/null
  printf 'Package: *\nPin: release n=bookworm\nPin-Priority: 100\n' | as_root tee /etc/apt/preferences.d/vigil-bookworm >/dev/null
  apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm clickhouse-server clickhouse-client
}

if ! pkg_installed clickhouse-server || ! pkg_installed clickhouse-client; then
  log "installing clickhouse-server clickhouse-client"
  install_clickhouse
fi

missing=()
pkg_installed chromium || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# Alertmanager 0.25 for the forwarding test (oncall/alertmanager, deploy/alertmanager).
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
# python3 -m venv for the schemathesis test's own virtualenv (test/support/schemathesis.ts).
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# systemd-analyze (verify, security --offline) for the production units' test
# (test/integration/production-systemd.test.ts); nothing is started with it.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# ZooKeeper 3.8 for the replicated ClickHouse cluster of the cluster tests
# (test/support/zookeeper.ts runs its own instance on loopback; the package starts no service).
[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Debian's prometheus (2.42 on bookworm; it ships promtool) for the monitoring test and
# `npm run prometheus`. Without recommends: they are node-exporter and its timers, which the
# project does not use. The package's service is never started: deploy/prometheus/server.ts runs
# its own instance on loopback.
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  apt_update_once
  log "installing prometheus"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
fi

# ---------------------------------------------------------------- Kafka jars
# Re-fetched only when the pom changes: lib/.pom.sha256 records the pom they came from.
pom="deploy/kafka/pom.xml"
lib="deploy/kafka/lib"
want="$(sha256sum "$pom" | awk '{print $1}')"
have="$(cat "$lib/.pom.sha256" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  log "fetching Kafka jars (mvn dependency:copy-dependencies)"
  rm -rf "$lib"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$root/$lib" -DincludeScope=runtime
  printf '%s\n' "$want" >"$lib/.pom.sha256"
fi
