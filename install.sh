#!/bin/sh
# Install lmi: download the release binary for this machine and SHA256SUMS, check the sum, and put
# the binary at ${LMI_INSTALL_DIR:-$HOME/.local/bin}/lmi (atomically: a temp file in that folder,
# then mv). Linux and macOS, x86_64 and aarch64. An existing lmi there that is a folder (or a link
# to one) is refused: mv would put the binary inside it.
#
#   curl -fsSL https://github.com/ORG/lmi/releases/latest/download/install.sh | sh
#
# Environment:
#   LMI_VERSION           a release tag such as v0.1.0 (default: the latest release)
#   LMI_INSTALL_DIR       where to put lmi (default: $HOME/.local/bin)
#   LMI_INSTALL_BASE_URL  where the release files are (default: the GitHub release of LMI_VERSION)
set -eu

REPO_URL="https://github.com/ORG/lmi" # the release workflow writes the real repository here

die() {
  echo "lmi install: error: $*" >&2
  exit 1
}

case "$(uname -s)" in
  Linux) os=unknown-linux-gnu ;;
  Darwin) os=apple-darwin ;;
  *) die "unsupported operating system: $(uname -s) (Linux and macOS only; on Windows use install.ps1)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) die "unsupported architecture: $(uname -m) (x86_64 and aarch64 only)" ;;
esac
asset="lmi-${arch}-${os}"

if [ -n "${LMI_VERSION:-}" ]; then
  default_base="${REPO_URL}/releases/download/${LMI_VERSION}"
else
  default_base="${REPO_URL}/releases/latest/download"
fi
base="${LMI_INSTALL_BASE_URL:-$default_base}"
dir="${LMI_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}"

# mv onto a folder (or a link to one) moves into it: refuse it, before anything is downloaded
# and again just before the move.
refuse_folder() {
  if [ -d "$dir/lmi" ]; then
    die "$dir/lmi is a folder, not a file: remove it or set LMI_INSTALL_DIR to another folder"
  fi
}
refuse_folder

if command -v curl >/dev/null 2>&1; then
  download() { curl -fsL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  download() { wget -q -O "$2" "$1"; }
else
  die "neither curl nor wget is installed"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1"; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1"; }
else
  die "neither sha256sum nor shasum is installed"
fi

mkdir -p "$dir" || die "cannot create $dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/lmi-install.XXXXXX")" || die "cannot create a temporary folder"
tmp=""
cleanup() {
  rm -rf "$work"
  if [ -n "$tmp" ]; then rm -f "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

download "${base}/${asset}" "$work/$asset" || die "cannot download ${base}/${asset}"
download "${base}/SHA256SUMS" "$work/SHA256SUMS" || die "cannot download ${base}/SHA256SUMS"

expected="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$work/SHA256SUMS")"
[ -n "$expected" ] || die "SHA256SUMS has no line for $asset"
actual="$(sha256 "$work/$asset" | awk '{ print $1 }')"
[ "$actual" = "$expected" ] || die "checksum mismatch for $asset: expected $expected, got $actual"

tmp="$(mktemp "$dir/.lmi.XXXXXX")" || die "cannot write to $dir"
cp "$work/$asset" "$tmp" || die "cannot write to $dir"
chmod 755 "$tmp"
refuse_folder
mv -f "$tmp" "$dir/lmi" || die "cannot install $dir/lmi"
tmp=""

echo "lmi installed to $dir/lmi ($asset)"
case ":${PATH}:" in
  *":$dir:"*) echo "$dir is on your PATH: run lmi --version" ;;
  *) echo "$dir is not on your PATH: add it (export PATH=\"$dir:\$PATH\") or run $dir/lmi" ;;
esac
