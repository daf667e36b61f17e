# shellcheck shell=bash
# Project-local Python environments under .tools/ (git-ignored), created on first use and reused after.
#
#     source scripts/lib/python.sh
#     ensure_py3_venv     # sets TETHER_PY3 (Python 3 venv with scripts/lib/requirements-py3.txt)
#     ensure_wstest       # sets TETHER_WSTEST (Autobahn|Testsuite 0.8.2 in a Python 2.7 venv)
#
# Each venv carries a stamp (hash of its requirement files and interpreter); when the stamp matches, the
# function only checks the stamp and returns. When it differs (requirements edited), the venv is rebuilt.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ensure-apt.sh"

TETHER_PIP_FLAGS=(--disable-pip-version-check --no-input -q)


# ensure_py3_venv — a Python 3 venv at .tools/py3 with scripts/lib/requirements-py3.txt installed.
# Uses `python3` from PATH (3.9 or newer). Exports TETHER_PY3 (its interpreter).
ensure_py3_venv() {
    local venv="$TETHER_TOOLS/py3" req="$TETHER_ROOT/scripts/lib/requirements-py3.txt"
    TETHER_PY3="$venv/bin/python"
    export TETHER_PY3
    command -v python3 >/dev/null 2>&1 || ensure_apt_package python3
    local base_version stamp
    base_version="$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
    python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
        || die "python3 is $base_version; need 3.9 or newer"
    stamp="$( { cat "$req"; echo "$base_version"; } | sha256sum | cut -d' ' -f1)"
    if [[ -x "$TETHER_PY3" && "$(cat "$venv/.tether-stamp" 2>/dev/null)" == "$stamp" ]]; then
        log "py3: $venv is up to date"
        return 0
    fi
    log "py3: creating $venv (python3 $base_version)"
    python3 -c 'import venv, ensurepip' 2>/dev/null || ensure_apt_package python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$TETHER_PY3" -m pip install "${TETHER_PIP_FLAGS[@]}" -r "$req"
    echo "$stamp" >"$venv/.tether-stamp"
    log "py3: installed $(tr '\n' ' ' <"$req")"
}

# pyenv_python27 — print the path of the image's pyenv Python 2.7.18, or fail with an explanation.
pyenv_python27() {
    local root
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
    else
        root="${PYENV_ROOT:-$HOME/.pyenv}"
    fi
    local py2="$root/versions/2.7.18/bin/python"
    if [[ ! -x "$py2" ]]; then
        cat >&2 <<MSG
ERROR: Python 2.7.18 not found at $py2.
Autobahn|Testsuite (wstest 0.8.2) runs only on Python 2.7, which Debian 12 no longer packages; this
project relies on the pyenv-built 2.7.18 that ships with the swift-packages machine image. On another
machine: 'pyenv install 2.7.18' (needs a C toolchain plus libssl/zlib/libffi headers), or set PYENV_ROOT.
MSG
        return 1
    fi
    echo "$py2"
}

# ensure_wstest — Autobahn|Testsuite 0.8.2 in a Python 2.7 virtualenv at .tools/wstest, built from
# pyenv's 2.7.18 with virtualenv 20.15.1 (the last release that runs on 2.7) installed into
# .tools/py2-virtualenv. Versions are pinned by scripts/autobahn/constraints-py2.txt.
# Exports TETHER_WSTEST (the wstest executable).
ensure_wstest() {
    local venv="$TETHER_TOOLS/wstest" helper="$TETHER_TOOLS/py2-virtualenv"
    local constraints="$TETHER_ROOT/scripts/autobahn/constraints-py2.txt"
    TETHER_WSTEST="$venv/bin/wstest"
    export TETHER_WSTEST
    local py2 stamp
    py2="$(pyenv_python27)" || exit 1
    stamp="$( { cat "$constraints"; echo "$py2"; } | sha256sum | cut -d' ' -f1)"
    if [[ -x "$TETHER_WSTEST" && "$(cat "$venv/.tether-stamp" 2>/dev/null)" == "$stamp" ]]; then
        log "wstest: $venv is up to date"
        return 0
    fi
    log "wstest: creating $venv from $py2"
    rm -rf "$venv" "$helper"
    # Python 2.7.18's bundled pip is old; quiet its deprecation banner.
    PYTHONWARNINGS=ignore "$py2" -m pip install "${TETHER_PIP_FLAGS[@]}" --no-warn-script-location \
        --target "$helper" 'virtualenv==20.15.1'
    PYTHONWARNINGS=ignore PYTHONPATH="$helper" "$py2" -m virtualenv -q "$venv"
    PYTHONWARNINGS=ignore "$venv/bin/pip" install "${TETHER_PIP_FLAGS[@]}" \
        -c "$constraints" 'autobahntestsuite==0.8.2'
    [[ -x "$TETHER_WSTEST" ]] || die "wstest: install finished but $TETHER_WSTEST is missing"
    echo "$stamp" >"$venv/.tether-stamp"
    log "wstest: installed autobahntestsuite 0.8.2"
}
