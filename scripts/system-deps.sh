#!/usr/bin/env bash
# Installs the Debian packages stormbridge needs, only when something is missing.
#   system-deps.sh run   (default) what running needs: Java 17, Maven, python3-venv, Graphviz
#   system-deps.sh test  that, plus what only the tests need (Chromium for the UI browser tests)
set -euo pipefail
purpose=${1:-run}
case "$purpose" in
  run | test) ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac
need=()
if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])'; then need+=(openjdk-17-jdk-headless); fi
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# Graphviz's `dot`: `sparse visualize` renders the topology with it.
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if [ "$purpose" = test ]; then
  # Debian's Chromium: the UI page is tested in a real headless browser.
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # `sparse cluster up --hosts N`: an sshd per host (started by stormbridge, never as a service),
  # namespaces and a bridge (iproute2, util-linux's unshare/nsenter).
  [ -x /usr/sbin/sshd ] || need+=(openssh-server)
  command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
  command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
fi
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps ($purpose): everything is present"
  exit 0
fi
echo "system-deps ($purpose): installing ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
