# shellcheck shell=bash
# Shared helpers for the scripts under scripts/: repository paths, logging, timed sections.
# Source it from a bash script that runs with `set -euo pipefail`:
#     source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# Sourcing it twice is harmless.

if [[ -n "${TETHER_COMMON_SH:-}" ]]; then return 0; fi
TETHER_COMMON_SH=1

# The repository root, whatever the caller's working directory.
TETHER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Project-local, git-ignored install prefix for tools (Python venvs and the like).
TETHER_TOOLS="${TETHER_TOOLS:-$TETHER_ROOT/.tools}"
# Git-ignored output folder (logs, conformance reports).
TETHER_REPORTS="${TETHER_REPORTS:-$TETHER_ROOT/reports}"
export TETHER_ROOT TETHER_TOOLS TETHER_REPORTS

# log MESSAGE... — one line on stderr, prefixed with the wall-clock time.
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# die MESSAGE... — print an error and exit 1.
die() { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# section TITLE — print a visible header and start timing it; `section_end` prints its duration.
# Sections do not nest.
section() {
    TETHER_SECTION_TITLE="$*"
    TETHER_SECTION_START=$SECONDS
    printf '\n==================== %s ====================\n' "$*"
}

# section_end [STATUS] — print "-- TITLE: STATUS in Ns" (STATUS defaults to "done").
section_end() {
    local status="${1:-done}"
    printf -- '-- %s: %s in %ss\n' "${TETHER_SECTION_TITLE:-?}" "$status" "$((SECONDS - ${TETHER_SECTION_START:-$SECONDS}))"
}

# as_root CMD... — run CMD as root (directly when already root, else through sudo).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}
