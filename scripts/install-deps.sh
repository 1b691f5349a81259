#!/usr/bin/env bash
# Install what tsbuild-patch and its tests need on a Debian 12 (bookworm) machine:
# the kernel source and build dependencies, qemu and busybox for VM tests, podman (with runc)
# and debootstrap for the build container; reprepro, gpg, qemu-utils and e2fsprogs for the
# deploy path (packages, repository, the systemd VM's disks), lintian for the packages' test, rsync
# for gitlab-ci-local (the CI pipeline's test), and the npm packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The kernel build's packages come from the lists the builder image uses too: the common one and
# this distribution release's own (its kernels' compiler, e.g. gcc-12 on bookworm).
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
[ -f "docker/build-packages.$codename.txt" ] || codename=bookworm
mapfile -t build_packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' docker/build-packages.txt "docker/build-packages.$codename.txt")
packages=(
  "${build_packages[@]}"
  linux-source-6.1 qemu-system-x86 busybox-static git
  podman runc debootstrap docker.io
  reprepro gpg qemu-utils e2fsprogs lintian rsync
)

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
node_minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "install-deps: Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The tsbuild-patch command: dist/ built (again when a source is newer), and npm's global bin
# directory, which is on PATH, linked to this checkout (`npm link`, once).
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -print -quit)" ]; then
  npm run build --silent
fi
if [ "$(readlink -f "$(command -v tsbuild-patch 2>/dev/null || echo /nonexistent)")" != "$PWD/bin/tsbuild-patch.js" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || [ -w "$(npm prefix -g)/lib" ] || sudo="sudo"
  echo "install-deps: npm link (tsbuild-patch on PATH: $(npm prefix -g)/bin/tsbuild-patch)" >&2
  $sudo npm link --no-audit --no-fund
fi

# Shell completion for tsbuild-patch (bash-completion loads it from here on demand).
completion=/usr/share/bash-completion/completions/tsbuild-patch
if command -v tsbuild-patch >/dev/null && [ ! -s "$completion" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  tsbuild-patch completion | $sudo tee "$completion" >/dev/null
  echo "install-deps: bash completion installed as $completion" >&2
fi
