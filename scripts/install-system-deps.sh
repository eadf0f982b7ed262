#!/usr/bin/env bash
# System packages the local infrastructure needs, for a fresh Debian 12 machine (run as root).
# Idempotent: installs only what is missing, runs `apt-get update` at most once.
#
#   - PostgreSQL 15 and Prometheus come from Debian's packages. The hive runs its own
#     instances in a private state dir (.hive/), so the services these packages would start
#     (the Debian "main" cluster on 5432, Prometheus on 9090) are not needed and are not
#     started by this script.
#   - Java 17+, Maven and Go are expected on the machine; we only check for them.
set -euo pipefail

log() { printf 'install-system-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PG_MAJOR="${HIVE_PG_MAJOR:-15}"

missing_tools=()
command -v java >/dev/null 2>&1 || missing_tools+=("java (JDK 17+)")
command -v mvn >/dev/null 2>&1 || missing_tools+=("mvn (Maven 3.8+)")
command -v go >/dev/null 2>&1 || missing_tools+=("go (1.22+)")
if ((${#missing_tools[@]})); then
    die "missing on PATH: ${missing_tools[*]} — these are expected to be preinstalled"
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
if [[ -z "$java_major" || "${java_major%%.*}" -lt 17 ]]; then
    die "Java 17 or newer is required (found: ${java_major:-unknown})"
fi

packages=()
[[ -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]] || packages+=("postgresql-${PG_MAJOR}")
[[ -x "/usr/lib/postgresql/${PG_MAJOR}/bin/psql" ]] || packages+=("postgresql-client-${PG_MAJOR}")
[[ -x /usr/bin/prometheus ]] || packages+=("prometheus")
[[ -x /usr/bin/chromium ]] || packages+=("chromium")  # the hub dashboard's browser test

if ((${#packages[@]} == 0)); then
    log "PostgreSQL ${PG_MAJOR} and Prometheus already installed"
    exit 0
fi

[[ "$(id -u)" -eq 0 ]] || die "need root to install: ${packages[*]} (re-run with sudo)"

export DEBIAN_FRONTEND=noninteractive
# Update the package lists once if they were never fetched (fresh image) or if a
# package is unknown to them.
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null \
    || ! apt-cache show "${packages[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -q
fi

# Keep the packages' own services from starting during the install: on a machine with an
# init system they would listen on 5432/9090 (Prometheus on every interface), and the hive
# does not use them. policy-rc.d is Debian's standard switch for that.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
fi
cleanup() { if ((created_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT

log "apt-get install ${packages[*]}"
apt-get install -y -q --no-install-recommends "${packages[@]}"

[[ -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]] || die "postgres ${PG_MAJOR} not found after install"
[[ -x /usr/bin/prometheus ]] || die "prometheus not found after install"
log "done"
