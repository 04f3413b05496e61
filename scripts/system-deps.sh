#!/usr/bin/env bash
# Installs the Debian packages stormbridge needs, only when something is missing.
set -euo pipefail
need=()
if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])'; then need+=(openjdk-17-jdk-headless); fi
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# Debian's Chromium: the UI page is tested in a real headless browser.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: Java 17+, javac, Maven, python3-venv and chromium are present"
  exit 0
fi
echo "system-deps: installing ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
