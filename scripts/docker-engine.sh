#!/usr/bin/env bash
# A private Docker engine for machines without a registry or iptables (CI, this project's
# machines). A normal Docker host needs none of this: see docs/docker.md.
#
#   docker-engine.sh deps           install docker.io, docker-compose, debootstrap if missing
#   docker-engine.sh start DIR      start dockerd with its data root, socket and pid file in DIR
#                                   (no default bridge, no iptables, no IP forwarding); prints
#                                   the DOCKER_HOST to use
#   docker-engine.sh base           make the image debian:bookworm-slim from a debootstrap rootfs
#                                   (cached as a tarball under ~/.cache/stormbridge/docker/)
#   docker-engine.sh stop DIR       stop that dockerd (and its containerd), remove DIR
#
# `base` and the docker CLI use DOCKER_HOST; set it to what `start` printed.
set -euo pipefail

cache_dir=${STORMBRIDGE_DOCKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stormbridge/docker}
base_tag=debian:bookworm-slim

die() { echo "docker-engine: $*" >&2; exit 1; }

# The Debian mirror apt already uses (deb822 "URIs:" or one-line "deb URI bookworm main").
mirror() {
  local uri
  uri=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
      /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -v -e security -e nodesource -e google \
    | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' \
    | awk '{print $1; exit}' || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

cmd_deps() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  if [ ${#need[@]} -eq 0 ]; then
    echo "docker-engine deps: dockerd, docker-compose and debootstrap are present"
    return 0
  fi
  echo "docker-engine deps: installing ${need[*]}"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
}

cmd_start() {
  local dir=${1:?usage: docker-engine.sh start DIR}
  [ "$(id -u)" -eq 0 ] || die "dockerd needs root here (rootless Docker is not set up)"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is missing: run '$0 deps'"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local sock="$dir/docker.sock"
  if [ -f "$dir/dockerd.pid" ] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then
    echo "unix://$sock"
    return 0
  fi
  # setsid: the daemon outlives this script but not `stop`; its output goes to a file. Every
  # other inherited descriptor is closed first: a lock the caller holds (e.g. `flock LOCK
  # docker-engine.sh start`) must not stay held by the long-lived daemon.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$sock" </dev/null >"$dir/dockerd.log" 2>&1
  ) &
  echo $! >"$dir/dockerd.launcher.pid"
  local i
  for i in $(seq 1 120); do
    if DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1; then
      echo "unix://$sock"
      return 0
    fi
    kill -0 "$(cat "$dir/dockerd.launcher.pid")" 2>/dev/null \
      || die "dockerd exited; its log: $dir/dockerd.log"$'\n'"$(tail -20 "$dir/dockerd.log")"
    sleep 0.5
  done
  die "dockerd did not answer on $sock within 60 s; its log: $dir/dockerd.log"
}

cmd_base() {
  [ -n "${DOCKER_HOST:-}" ] || die "set DOCKER_HOST (what '$0 start DIR' printed)"
  if docker image inspect "$base_tag" >/dev/null 2>&1; then
    echo "docker-engine base: $base_tag is present"
    return 0
  fi
  local tarball="$cache_dir/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: run '$0 deps'"
    mkdir -p "$cache_dir"
    local rootfs
    rootfs=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
    echo "docker-engine base: debootstrap --variant=minbase bookworm from $(mirror) (minutes)"
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$(mirror)" >"$cache_dir/debootstrap.log" 2>&1; then
      rm -rf "$rootfs"
      die "debootstrap failed; its log: $cache_dir/debootstrap.log"
    fi
    # What the official slim image leaves out, so the image stays small.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
      "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
    tar -C "$rootfs" -cf "$tarball.partial" .
    rm -rf "$rootfs"
    mv "$tarball.partial" "$tarball"
  fi
  echo "docker-engine base: docker import $tarball as $base_tag"
  docker import "$tarball" "$base_tag" >/dev/null
}

cmd_stop() {
  local dir=${1:?usage: docker-engine.sh stop DIR}
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  local pid=
  [ -f "$dir/dockerd.pid" ] && pid=$(cat "$dir/dockerd.pid")
  [ -n "$pid" ] || { [ -f "$dir/dockerd.launcher.pid" ] && pid=$(cat "$dir/dockerd.launcher.pid"); }
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local i
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  # Mounts dockerd left (overlay layers, netns files) would make rm fail.
  grep -F " $dir/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$dir"
}

case "${1:-}" in
  deps) cmd_deps ;;
  start) cmd_start "${2:-}" ;;
  base) cmd_base ;;
  stop) cmd_stop "${2:-}" ;;
  *) echo "usage: $0 deps | start DIR | base | stop DIR" >&2; exit 2 ;;
esac
