#!/usr/bin/env bash
# The steps of the livepatch CI pipelines (gitlab/livepatch.gitlab-ci.yml and its child,
# github/livepatch.yml): each job of either engine runs one step of this file, so what a job does
# is written once. Run from the root of the repository that holds the patches.
#
#   livepatch.sh releases               the releases to build, a JSON array (a matrix's input)
#   livepatch.sh gitlab-child FILE      GitLab's child pipeline, its matrix over the releases in FILE
#   livepatch.sh build RELEASE          one module for RELEASE: out/RELEASE/NAME-VERSION.ko, build.json
#   livepatch.sh publish                one package of out/*/*.ko, into the repository's testing suite
#   livepatch.sh promote                this version of the package, testing → stable
#
# Settings (CI variables; the defaults in brackets):
#   LIVEPATCH_PATCHES        the patches, applied in this order into one module [patches/*.patch]
#   LIVEPATCH_NAME           the Debian package; each module is NAME-VERSION [livepatch-fixes]
#   LIVEPATCH_VERSION        the package's version, a number [the pipeline's: CI_PIPELINE_IID,
#                            GITHUB_RUN_NUMBER]; a new version replaces the older on the machines
#   LIVEPATCH_DISTRIBUTIONS  whose kernels, as tsbuild-patch releases names them [debian-bookworm]
#   LIVEPATCH_RELEASES       these releases only (space-separated; each must be buildable today)
#   LIVEPATCH_NEWEST         else the N newest of each distribution release [all it can build]
#   LIVEPATCH_BUILD_OPTIONS  more options of the build (--container none, --skip-compiler-check)
#   LIVEPATCH_MODULE_SIGNING_KEY, LIVEPATCH_MODULE_SIGNING_CERT
#                            files: the key that signs the modules (PEM) and its certificate, the
#                            one enrolled on the machines (a MOK); required unless
#   LIVEPATCH_UNSIGNED=true  (the modules load with a taint, and not at all under Secure Boot)
#   LIVEPATCH_REPO           the repository's directory, kept between pipelines [/srv/livepatch-repo]
#   LIVEPATCH_REPO_SIGNING_KEY
#                            file: the repository's signing key (armored secret key, no
#                            passphrase) [the key publish generated in LIVEPATCH_REPO/gnupg]
#   LIVEPATCH_REPO_SYNC      a command run after publish and promote, e.g. an rsync of
#                            "$LIVEPATCH_REPO/public/" to the web server
#   LIVEPATCH_MAINTAINER     the packages' Maintainer ["Name <email>"; DEBFULLNAME, DEBEMAIL]
#   TSBUILD_PATCH_INSTALL    what `npm install` installs when tsbuild-patch is not on PATH (a
#                            tarball made by `npm pack`, its URL)
#   TSBUILD_PATCH_CACHE      the tool's cache [~/.cache/tsbuild-patch]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${LIVEPATCH_NAME:-livepatch-fixes}
version=${LIVEPATCH_VERSION:-${CI_PIPELINE_IID:-${GITHUB_RUN_NUMBER:-}}}
repo=${LIVEPATCH_REPO:-/srv/livepatch-repo}
export LIVEPATCH_REPO=$repo

die() {
  echo "livepatch.sh: $*" >&2
  exit 1
}

# tsbuild-patch on PATH, installed with npm into ~/.local when it is not there yet.
tool() {
  if ! command -v tsbuild-patch >/dev/null; then
    local prefix=${HOME:?}/.local
    export PATH="$prefix/bin:$PATH"
    if ! command -v tsbuild-patch >/dev/null; then
      [ -n "${TSBUILD_PATCH_INSTALL:-}" ] ||
        die "tsbuild-patch is not on PATH: install it on the runner (scripts/install-deps.sh of its checkout), or set TSBUILD_PATCH_INSTALL to what npm installs (a tarball of npm pack)"
      npm install --global --prefix "$prefix" --no-audit --no-fund "$TSBUILD_PATCH_INSTALL" >&2
    fi
  fi
  tsbuild-patch "$@"
}

# The package's version as a module name's suffix: kbuild names objects after the module.
module_name() {
  [ -n "$version" ] || die "no LIVEPATCH_VERSION (and no CI_PIPELINE_IID or GITHUB_RUN_NUMBER)"
  echo "$name-${version//[^A-Za-z0-9]/_}"
}

# --gnupghome (and --key) of the repository's key, imported into a gpg home of this job's own
# when LIVEPATCH_REPO_SIGNING_KEY is given; nothing (the repository's own gnupg/) otherwise.
repo_gnupg=()
repo_key=()
repository_key() {
  [ -n "${LIVEPATCH_REPO_SIGNING_KEY:-}" ] || return 0
  local home
  home=$(mktemp -d)
  # shellcheck disable=SC2064 # the home is known now
  trap "gpgconf --homedir '$home' --kill gpg-agent 2>/dev/null; rm -rf '$home'" EXIT
  gpg --homedir "$home" --batch --quiet --import "$LIVEPATCH_REPO_SIGNING_KEY"
  local fingerprint
  fingerprint=$(gpg --homedir "$home" --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
  [ -n "$fingerprint" ] || die "LIVEPATCH_REPO_SIGNING_KEY holds no secret key"
  repo_gnupg=(--gnupghome "$home")
  repo_key=(--key "$fingerprint")
}

sync_repository() {
  [ -z "${LIVEPATCH_REPO_SYNC:-}" ] || bash -c "$LIVEPATCH_REPO_SYNC"
}

step_releases() {
  local all
  # shellcheck disable=SC2086 # a list of distribution releases
  all=$(tool releases --json --distribution ${LIVEPATCH_DISTRIBUTIONS:-debian-bookworm}) || {
    echo "$all" >&2
    exit 1
  }
  node "$here/select-releases.mjs" <<<"$all"
}

step_gitlab_child() {
  local releases
  releases=$(cat "${1:?usage: livepatch.sh gitlab-child RELEASES.json}")
  [[ $releases =~ ^\[\"[^]]+\"\]$ ]] || die "$1 holds no JSON array of releases: $releases"
  sed "s|\[['\"]@RELEASES@['\"]\]|$releases|" "$here/gitlab/livepatch-child.gitlab-ci.yml"
}

step_build() {
  local release=${1:?usage: livepatch.sh build RELEASE}
  # shellcheck disable=SC2206 # the patches are a glob
  local patches=(${LIVEPATCH_PATCHES:-patches/*.patch})
  [ -f "${patches[0]}" ] || die "no patch: LIVEPATCH_PATCHES=${LIVEPATCH_PATCHES:-patches/*.patch} matches no file"
  local sign=()
  if [ -n "${LIVEPATCH_MODULE_SIGNING_KEY:-}${LIVEPATCH_MODULE_SIGNING_CERT:-}" ]; then
    sign=(--sign-key "${LIVEPATCH_MODULE_SIGNING_KEY:?and LIVEPATCH_MODULE_SIGNING_CERT}")
    sign+=(--sign-cert "${LIVEPATCH_MODULE_SIGNING_CERT:?and LIVEPATCH_MODULE_SIGNING_KEY}")
  elif [ "${LIVEPATCH_UNSIGNED:-}" = true ]; then
    echo "livepatch.sh: warning: the module is not signed (LIVEPATCH_UNSIGNED=true)" >&2
  else
    die "no module signing key: set LIVEPATCH_MODULE_SIGNING_KEY and LIVEPATCH_MODULE_SIGNING_CERT (files), or LIVEPATCH_UNSIGNED=true"
  fi
  mkdir -p "out/$release"
  local status=0
  # shellcheck disable=SC2086 # options
  tool "${patches[@]}" --kernel "$release" --name "$(module_name)" -o "out/$release/" "${sign[@]}" \
    ${LIVEPATCH_BUILD_OPTIONS:-} --json >"out/$release/build.json" || status=$?
  if [ "$status" -ne 0 ]; then
    cat "out/$release/build.json" >&2
    exit "$status"
  fi
}

step_publish() {
  local modules=(out/*/*.ko)
  [ -f "${modules[0]}" ] || die "no module in out/*/ (the build jobs' artifacts)"
  local maintainer=()
  [ -z "${LIVEPATCH_MAINTAINER:-}" ] || maintainer=(--maintainer "$LIVEPATCH_MAINTAINER")
  mkdir -p reports
  tool package "${modules[@]}" --name "$name" --package-version "${version:?no LIVEPATCH_VERSION}" \
    "${maintainer[@]}" -o debs --json >reports/package.json
  repository_key
  tool publish debs/*.deb --repo "$repo" --suite testing "${repo_gnupg[@]}" "${repo_key[@]}" --json >reports/publish.json
  sync_repository
}

step_promote() {
  # Only the version this pipeline published: testing may hold a newer one by now.
  local packages=$repo/public/dists/testing/main/binary-amd64/Packages held
  held=$(awk -v p="$name" '$1 == "Package:" { n = $2 } $1 == "Version:" && n == p { print $2 }' "$packages" 2>/dev/null || true)
  [ "$held" = "${version:?no LIVEPATCH_VERSION}" ] ||
    die "testing holds $name ${held:-(nothing)}, not this pipeline's version $version: promote from the pipeline that published it"
  repository_key
  mkdir -p reports
  tool promote "$name" tsbuild-patch-tools --repo "$repo" "${repo_gnupg[@]}" --json >reports/promote.json
  sync_repository
}

step=${1:-}
shift || true
case $step in
  releases) step_releases ;;
  gitlab-child) step_gitlab_child "$@" ;;
  build) step_build "$@" ;;
  publish) step_publish ;;
  promote) step_promote ;;
  *) die "usage: livepatch.sh releases | gitlab-child RELEASES.json | build RELEASE | publish | promote" ;;
esac
