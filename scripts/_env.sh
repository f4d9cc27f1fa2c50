# Shared helpers for scripts/demo and scripts/test (sourced, not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "error: $*" >&2; exit 1; }

# Debian splits venv/pip out of python3; install them when missing and we may.
ensure_venv_support() {
    local py="$1"
    if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "==> installing python3-venv (apt)"
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        else
            die "$py cannot create virtual environments; install python3-venv"
        fi
    fi
}

# make_venv PYTHON DIR EXTRAS: a virtual environment with stario installed editable.
make_venv() {
    local py="$1" dir="$2" extras="$3"
    ensure_venv_support "$py"
    if [ ! -x "$dir/bin/python" ]; then
        echo "==> creating $dir with $("$py" --version)"
        "$py" -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    echo "==> installing stario[$extras] into $dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[$extras]"
}

# runs PYTHON VERSION: true when PYTHON starts and is that minor version
# (pyenv shims exist on PATH for versions that are not active, and fail).
runs() {
    "$1" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$2' else 1)" \
        >/dev/null 2>&1
}

# find_python VERSION: a working python of that minor version (PATH, then pyenv).
find_python() {
    local v="$1" candidate
    local candidates=("$(command -v "python$v" 2>/dev/null || true)")
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in $(pyenv versions --bare 2>/dev/null | grep -E "^$v(\.|$)" | sort -rV); do
            candidates+=("$(pyenv prefix "$candidate" 2>/dev/null)/bin/python$v")
        done
    fi
    candidates+=(/root/.pyenv/versions/$v*/bin/python$v /usr/local/bin/python$v /usr/bin/python$v)
    for candidate in "${candidates[@]}"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && runs "$candidate" "$v"; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

# ensure_compiler PYTHON: a C compiler and PYTHON's headers, installed from apt when
# missing and we may (Debian's own python3 keeps its headers in python3-dev).
ensure_compiler() {
    local py="$1" packages=()
    command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)
    "$py" -c 'import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
        || packages+=(python3-dev)
    [ "${#packages[@]}" -gt 0 ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "==> installing ${packages[*]} (apt)"
        apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null
    fi
}

# make_compiled_venv PYTHON DIR EXTRAS: a virtual environment with stario installed from a
# wheel whose per-request modules are compiled with mypyc (not editable: editable installs
# are never compiled). STARIO_COMPILE=1 turns a failed compilation into a failed build
# instead of the pure-Python fallback.
make_compiled_venv() {
    local py="$1" dir="$2" extras="$3" wheels
    ensure_venv_support "$py"
    ensure_compiler "$py"
    if [ ! -x "$dir/bin/python" ]; then
        echo "==> creating $dir with $("$py" --version)"
        "$py" -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    wheels="$(mktemp -d)"
    # Built from a copy: while mypyc runs, the build hook moves pyproject.toml aside and
    # writes compiled modules beside the sources, which the test run must not see.
    mkdir "$wheels/project"
    cp -r "$ROOT/pyproject.toml" "$ROOT/hatch_build.py" "$ROOT/README.md" "$ROOT/src" \
        "$wheels/project/"
    find "$wheels/project/src" \( -name "*.so" -o -name __pycache__ \) -prune -exec rm -rf {} +
    echo "==> building stario with mypyc for $("$dir/bin/python" --version)"
    STARIO_COMPILE=1 "$dir/bin/python" -m pip wheel -q \
        --disable-pip-version-check --no-deps -w "$wheels" "$wheels/project" \
        || { rm -rf "$wheels"; return 1; }
    echo "==> installing compiled stario[$extras] into $dir"
    "$dir/bin/python" -m pip uninstall -q -y stario >/dev/null 2>&1 || true
    "$dir/bin/python" -m pip install -q --disable-pip-version-check \
        "$(echo "$wheels"/stario-*.whl)[$extras]" || { rm -rf "$wheels"; return 1; }
    rm -rf "$wheels"
    "$dir/bin/python" -c 'import stario.http.connection as c, sys; sys.exit(0 if c.__file__.endswith(".so") else 1)' \
        || die "$dir: stario.http.connection is not the compiled module"
}
