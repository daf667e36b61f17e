# shellcheck shell=bash
# Idempotent Debian package installation.
#
#     source scripts/lib/ensure-apt.sh
#     ensure_apt_package redis-server haproxy
#
# Packages already installed cost one `dpkg-query` each; `apt-get update` runs at most once per process,
# and only when something is missing.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TETHER_APT_UPDATED="${TETHER_APT_UPDATED:-}"

# apt_package_installed PACKAGE — succeeds if dpkg reports PACKAGE as installed.
apt_package_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# ensure_apt_package PACKAGE... — install whichever of the packages are missing (no recommends).
ensure_apt_package() {
    local missing=() pkg
    for pkg in "$@"; do
        apt_package_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "apt: already installed: $*"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${missing[*]}"
    if [[ -z "$TETHER_APT_UPDATED" ]]; then
        log "apt: apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        TETHER_APT_UPDATED=1
    fi
    log "apt: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for pkg in "${missing[@]}"; do
        apt_package_installed "$pkg" || die "apt: $pkg did not install"
    done
}
