#!/usr/bin/env bash
# Fills docker/build/, the part of the image's build context that git does not hold:
#   build/storm/storm-VERSION/   the Storm home stormbridge provisioned (`sparse cluster provision`)
#   build/wheels/                a wheel of stormbridge built from this checkout
# Run it before `docker compose build` (`make docker-context` does); PYTHON is the interpreter
# that has stormbridge installed (default: the checkout's .venv).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
python=${PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || { echo "prepare-context: $python is missing; run 'make install' first" >&2; exit 1; }
home=$("$python" -c 'from stormbridge.storm.home import resolve_home; h = resolve_home(); print(h.path) if not h.official else print("")') \
  || { echo "prepare-context: provision Storm first: sparse cluster provision (or make storm)" >&2; exit 1; }
[ -n "$home" ] || { echo "prepare-context: \$STORM_HOME is an official distribution; unset it so the image gets the provisioned home" >&2; exit 1; }
version=$(basename "$home")
listing() { (cd "$1" && find . -path ./provision.log -prune -o -printf '%P %s %T@\n' | sort); }
mkdir -p "$here/build"
if [ -d "$here/build/storm/$version" ] \
    && [ "$(listing "$home")" = "$(listing "$here/build/storm/$version")" ]; then
  :  # the same Storm home is there already (200 MB: not copied again)
else
  rm -rf "$here/build/storm"
  mkdir -p "$here/build/storm"
  cp -a "$home" "$here/build/storm/$version"
  rm -f "$here/build/storm/$version/provision.log"
fi
rm -rf "$here/build/wheels"
mkdir -p "$here/build/wheels"
"$python" -m pip wheel -q --no-deps --disable-pip-version-check --wheel-dir "$here/build/wheels" \
  "$repo" >"$here/build/wheel.log" 2>&1 \
  || { cat "$here/build/wheel.log" >&2; echo "prepare-context: building the wheel failed" >&2; exit 1; }
# Its dependencies as binary wheels for the image's Python (Debian bookworm: CPython 3.11 on
# this machine's architecture), downloaded here: the image build needs no PyPI access.
arch=$(uname -m)
"$python" -m pip download -q --disable-pip-version-check --dest "$here/build/wheels" \
  --find-links "$here/build/wheels" --only-binary=:all: --implementation cp --python-version 3.11 \
  --abi cp311 --abi abi3 --abi none --platform "manylinux2014_$arch" \
  --platform "manylinux_2_28_$arch" --platform "manylinux_2_17_$arch" --platform any \
  'stormbridge[fast]' >>"$here/build/wheel.log" 2>&1 \
  || { cat "$here/build/wheel.log" >&2; echo "prepare-context: downloading the dependencies' wheels failed" >&2; exit 1; }
echo "prepare-context: docker/build/storm/$version and wheels: $(cd "$here/build/wheels" && echo *)"
