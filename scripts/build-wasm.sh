#!/usr/bin/env bash
# Build the `openssl` command-line program of a pinned OpenSSL release as a
# WASI (wasm32, preview1) module: wasm/openssl.wasm, plus wasm/manifest.json
# describing exactly what went into it.
#
# Usage: bash scripts/build-wasm.sh [--check | --fetch]
#   (no option)  build, install wasm/openssl.wasm and (re)write wasm/manifest.json
#   --check      build, then require the wasm's sha256 to equal the one recorded
#                in the committed wasm/manifest.json (the manifest is not touched)
#   --fetch      only download (if not cached) and verify the source tarball, and
#                print its path (scripts/openssl-recipes.mjs uses it); no toolchain
#
# Environment (all optional):
#   OPENSSL_TARBALL   path to openssl_<version>.orig.tar.gz (sha256 is verified)
#   WASI_SDK_PATH     use this wasi-sdk instead of Debian's clang-16/wasi-libc
#   BUILD_DIR         where to unpack and build (default: <repo>/build)
#   OPENSSL_WASM_CFLAGS  override the optimisation CFLAGS (experiments only:
#                     the result will not match the committed manifest)
#   VERBOSE=1         stream Configure/make output instead of logging it
#
# The build is reproducible: the same toolchain gives a byte-identical wasm
# whatever folder the repo is in (no paths, dates or locale leak into it).

# Everything below is one { } block, so bash parses the whole file before
# running any of it: editing this script during a build cannot derail it.
{
set -euo pipefail

# ---------------------------------------------------------------- pinned inputs
OPENSSL_VERSION=3.5.7
OPENSSL_SHA256=a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8
OPENSSL_TARBALL_NAME="openssl_${OPENSSL_VERSION}.orig.tar.gz"
# Debian source package carrying that exact upstream tarball (only used to
# download it; none of Debian's patches are applied).
DEBIAN_SRC_PACKAGE="openssl=3.5.7-1~deb13u2"
DEBIAN_SRC_SUITES="trixie trixie-updates"
# 2026-06-09 00:00:00 UTC = RELEASE_DATE of OpenSSL 3.5.7 (VERSION.dat). Ends
# up in `openssl version -a` ("built on: ...") instead of the build time.
SOURCE_DATE_EPOCH=1780963200
LLVM_V=16

# Optimisation flags, chosen by measurement under node:wasi (AES-256-CBC,
# HMAC-SHA256 on 256 MiB, RSA-4096 OAEP/sign, RSA-3072 keygen): -O2, -Os, -O3
# and -O3 -msimd128 were all within ~10% of each other; -O3 was at or near the
# top everywhere and SIMD gave nothing measurable, so plain -O3.
DEFAULT_OPT_CFLAGS="-O3"
OPT_CFLAGS="${OPENSSL_WASM_CFLAGS:-$DEFAULT_OPT_CFLAGS}"
# NO_CHMOD: WASI has no chmod(); OpenSSL's apps then skip it.
WASM_CFLAGS="$OPT_CFLAGS -DNO_CHMOD"
# 1 MiB stack: wasm-ld's default is only 64 KiB, OpenSSL assumes native stacks.
# --strip-debug drops DWARF but keeps the "name" section for readable traps.
WASM_LDFLAGS="-Wl,-z,stack-size=1048576 -Wl,--strip-debug"
# WASI-libc keeps signal(), clock(), mmap() and getpid() emulations in
# separate libraries that must be opted into (see the -D flags in wasm-cc).
WASM_LDLIBS="-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-mman -lwasi-emulated-getpid"

# linux-generic32 = 32-bit bignum limbs, bn(64,32). A custom target with
# 64-bit limbs (SIXTY_FOUR_BIT) was correct but only ~6% faster on RSA-4096
# private operations, so the stock target is kept.
OPENSSL_TARGET=linux-generic32
CONFIGURE_OPTIONS=(
  --prefix=/openssl --openssldir=/openssl   # fixed: embedded in the binary
  --with-rand-seed=getrandom                # WASI random_get via getentropy()
  # no-pic: the target would add -fPIC, useless (GOT indirections) in a
  # statically linked wasm.
  no-asm no-pic no-shared no-threads no-async no-secure-memory
  no-sock no-dgram no-dso no-engine no-module no-autoload-config
  no-ui-console no-afalgeng no-tests no-docs
  no-quic no-http no-ocsp no-cmp no-ct no-srp no-legacy no-comp
  # No TLS/DTLS protocol code at all: the socket apps are gone with no-sock,
  # and dropping libssl's protocols saves ~10% of the wasm. All crypto
  # commands (enc, dgst, pkeyutl, req, x509, cms, pkcs8, ...) are unaffected.
  no-ssl3 no-tls no-dtls
)
# ------------------------------------------------------------------------------

CHECK=0
FETCH_ONLY=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  --fetch) FETCH_ONLY=1 ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "build-wasm.sh: unknown option '$1' (use --check, --fetch or nothing)" >&2; exit 2 ;;
esac

die() { echo "build-wasm.sh: error: $*" >&2; exit 1; }
say() { echo "==> $*"; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
CACHE_DIR="$ROOT/.cache/openssl"
PATCH_DIR="$ROOT/scripts/openssl-wasm"
WASM_DIR="$ROOT/wasm"
MANIFEST="$WASM_DIR/manifest.json"
SRC="$BUILD_DIR/openssl-$OPENSSL_VERSION"
JOBS="$(nproc 2>/dev/null || echo 2)"
START=$SECONDS

# Reproducibility: same locale, time zone and umask everywhere, and no
# compiler/Configure settings leaking in from the caller's environment.
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH
umask 022
unset CC CXX CPP AR RANLIB NM CFLAGS CXXFLAGS CPPFLAGS LDFLAGS LDLIBS \
      CROSS_COMPILE HASHBANGPERL MAKEFLAGS MFLAGS GNUMAKEFLAGS 2>/dev/null || true

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

command -v node >/dev/null || die "node is required (it writes/reads wasm/manifest.json)"

# sha256 of a file, hex only.
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# run_logged NAME CMD...: run a noisy step, keep its output in $BUILD_DIR/NAME.log
# and show the tail only when it fails (or everything with VERBOSE=1).
run_logged() {
  local name=$1; shift
  local log="$BUILD_DIR/$name.log"
  if [[ "${VERBOSE:-0}" == 1 ]]; then
    "$@" 2>&1 | tee "$log" || die "$name failed (full log: $log)"
  elif ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "$name failed (full log: $log)"
  fi
}

# ---------------------------------------------------------------------- source
# Debian source archive download: a private apt configuration with a single
# deb-src entry, derived from this system's own mirror (never hard-coded).
download_from_debian() {
  local dest=$1 apt="$TMP/apt" uri="" signed="" line
  mkdir -p "$apt/sources.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: first stanza whose URIs entry ends in /debian (not -security).
    read -r uri signed < <(awk '
      /^[[:space:]]*$/ { if (u != "") { print u, s; found = 1; exit } u = ""; s = ""; next }
      /^URIs:/   { for (i = 2; i <= NF; i++) if (u == "" && $i ~ /\/debian\/?$/) u = $i }
      /^Signed-By:[[:space:]]*\// { s = $2 }   # a keyring path (not an inline key)
      END { if (!found && u != "") print u, s }
    ' /etc/apt/sources.list.d/debian.sources) || true
    if [[ -n "$uri" ]]; then
      {
        echo "Types: deb-src"
        echo "URIs: $uri"
        echo "Suites: $DEBIAN_SRC_SUITES"
        echo "Components: main"
        if [[ -n "$signed" ]]; then echo "Signed-By: $signed"; fi
      } >"$apt/sources.d/src.sources"
    fi
  fi
  if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
    # One-line format: "deb [options] URL suite components..."
    line="$(grep -E '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list |
            awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i ~ /\/debian\/?$/) { print; exit } else break } }')" || true
    if [[ -n "$line" ]]; then
      local opts="" suite
      [[ "$line" =~ \[([^]]*)\] ]] && opts="[${BASH_REMATCH[1]}] "
      uri="$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' <<<"$line")"
      for suite in $DEBIAN_SRC_SUITES; do
        echo "deb-src ${opts}$uri $suite main"
      done >"$apt/sources.d/src.list"
    fi
  fi
  [[ -n "$uri" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list; download $OPENSSL_TARBALL_NAME yourself and set OPENSSL_TARBALL"

  local aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources.d"
                 -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
  # As root apt downloads as user _apt, which cannot write into our private
  # mktemp folder; it would fall back to root with a warning anyway.
  if [[ "$(id -u)" == 0 ]]; then aptopts+=(-o APT::Sandbox::User=root); fi
  say "downloading $OPENSSL_TARBALL_NAME from the Debian source archive ($uri)"
  run_logged apt-update apt-get "${aptopts[@]}" update
  (cd "$apt/dl" && run_logged apt-source apt-get "${aptopts[@]}" source --download-only "$DEBIAN_SRC_PACKAGE")
  [[ -f "$apt/dl/$OPENSSL_TARBALL_NAME" ]] || die "apt-get source did not produce $OPENSSL_TARBALL_NAME"
  mv "$apt/dl/$OPENSSL_TARBALL_NAME" "$dest"
}

verify_tarball() {
  local actual
  actual="$(sha256 "$1")"
  local hint=""
  [[ "$1" == "$CACHE_DIR"/* ]] && hint=" (delete it to download again)"
  [[ "$actual" == "$OPENSSL_SHA256" ]] ||
    die "sha256 mismatch for $1: expected $OPENSSL_SHA256, got $actual$hint"
}

mkdir -p "$BUILD_DIR"
if [[ -n "${OPENSSL_TARBALL:-}" ]]; then
  [[ -f "$OPENSSL_TARBALL" ]] || die "OPENSSL_TARBALL=$OPENSSL_TARBALL does not exist"
  TARBALL="$OPENSSL_TARBALL"
else
  TARBALL="$CACHE_DIR/$OPENSSL_TARBALL_NAME"
  if [[ ! -f "$TARBALL" ]]; then
    mkdir -p "$CACHE_DIR"
    download_from_debian "$TARBALL.part"
    verify_tarball "$TARBALL.part"
    mv "$TARBALL.part" "$TARBALL"
  fi
fi
verify_tarball "$TARBALL"
say "source: $TARBALL (sha256 $OPENSSL_SHA256)"

if ((FETCH_ONLY)); then
  echo "$TARBALL"
  exit 0
fi

# --------------------------------------------------------------------- toolchain
BIN="$TMP/bin"   # holds the wasm-cc wrapper; only its *name* reaches OpenSSL
mkdir -p "$BIN"

if [[ -n "${WASI_SDK_PATH:-}" ]]; then
  [[ -x "$WASI_SDK_PATH/bin/clang" ]] || die "WASI_SDK_PATH=$WASI_SDK_PATH has no bin/clang"
  CLANG="$WASI_SDK_PATH/bin/clang"
  SYSROOT_FLAG="--sysroot=$WASI_SDK_PATH/share/wasi-sysroot"
  ln -s "$WASI_SDK_PATH/bin/llvm-ar" "$BIN/wasm-ar"
  ln -s "$WASI_SDK_PATH/bin/llvm-ranlib" "$BIN/wasm-ranlib"
  LD_VERSION="$("$WASI_SDK_PATH/bin/wasm-ld" --version | head -n1)"
  LIBC_VERSION="wasi-sdk $(cat "$WASI_SDK_PATH/VERSION" 2>/dev/null | head -n1 || echo unknown)"
else
  # Debian packages: command/file that must exist -> package providing it.
  missing=()
  need_cmd()  { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
  need_file() { [[ -e "$1" ]] || missing+=("$2"); }
  need_cmd "clang-$LLVM_V" "clang-$LLVM_V"
  need_cmd "wasm-ld-$LLVM_V" "lld-$LLVM_V"
  need_cmd "llvm-ar-$LLVM_V" "llvm-$LLVM_V"
  need_cmd "llvm-ranlib-$LLVM_V" "llvm-$LLVM_V"
  need_file /usr/include/wasm32-wasi/stdio.h wasi-libc
  need_file /usr/lib/wasm32-wasi/libwasi-emulated-signal.a wasi-libc
  need_file "/usr/lib/llvm-$LLVM_V/lib/clang/$LLVM_V/lib/wasi/libclang_rt.builtins-wasm32.a" \
            "libclang-rt-$LLVM_V-dev-wasm32"
  need_cmd perl perl
  need_cmd make make
  need_cmd patch patch
  if ((${#missing[@]})); then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if [[ "$(id -u)" == 0 ]]; then
      say "installing missing build tools: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update
      apt-get install -y --no-install-recommends "${missing[@]}"
    else
      echo "build-wasm.sh: missing build tools. Install them with:" >&2
      echo "  sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  CLANG="clang-$LLVM_V"
  SYSROOT_FLAG=""   # Debian's clang finds /usr/{include,lib}/wasm32-wasi itself
  ln -s "$(command -v "llvm-ar-$LLVM_V")" "$BIN/wasm-ar"
  ln -s "$(command -v "llvm-ranlib-$LLVM_V")" "$BIN/wasm-ranlib"
  LD_VERSION="$("wasm-ld-$LLVM_V" --version | head -n1)"
  LIBC_VERSION="Debian wasi-libc $(dpkg-query -W -f='${Version}' wasi-libc 2>/dev/null || echo unknown)"
fi
CLANG_VERSION="$("$CLANG" --version | head -n1)"

# The wrapper carries every flag that mentions a path, so OpenSSL's CFLAGS
# (embedded in `openssl version -a`) stay path-free. -ffile-prefix-map rewrites
# __FILE__ (used in error records) to a fixed /openssl-src.
WRAPPER_FLAGS="--target=wasm32-wasi -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID"
cat >"$BIN/wasm-cc" <<EOF
#!/bin/sh
exec "$CLANG" $SYSROOT_FLAG $WRAPPER_FLAGS -ffile-prefix-map=$SRC=/openssl-src "\$@"
EOF
chmod +x "$BIN/wasm-cc"
# clang runs `wasm-opt OUT -Ox -o OUT` on the linked module when it finds a wasm-opt on PATH
# (binaryen: e.g. npm's node_modules/.bin under `npm install`, through jco's dependencies), which
# gives a different wasm. The pinned build has no such pass: this wasm-opt, first on PATH, leaves
# the module as linked, and refuses any other use.
cat >"$BIN/wasm-opt" <<'SHIM'
#!/bin/sh
[ "$#" -eq 4 ] && [ "$3" = "-o" ] && [ "$1" = "$4" ] && exit 0
echo "build-wasm.sh: unexpected wasm-opt call: $*" >&2
exit 1
SHIM
chmod +x "$BIN/wasm-opt"
export PATH="$BIN:$PATH"

# ------------------------------------------------------------ unpack and patch
rm -rf "$SRC"
tar -C "$BUILD_DIR" --no-same-owner -xzf "$TARBALL"
[[ -f "$SRC/Configure" ]] || die "$TARBALL did not unpack to $SRC"

PATCHES=()
shopt -s nullglob
for p in "$PATCH_DIR"/*.patch; do PATCHES+=("$p"); done   # glob order = LC_ALL=C order
shopt -u nullglob
for p in "${PATCHES[@]}"; do
  say "patch: ${p#"$ROOT"/}"
  patch -d "$SRC" -p1 --batch --forward --quiet <"$p" || die "patch ${p#"$ROOT"/} does not apply"
done

# ----------------------------------------------------------------------- build
CONFIGURE_ARGS=("$OPENSSL_TARGET" "${CONFIGURE_OPTIONS[@]}"
                CC=wasm-cc AR=wasm-ar RANLIB=wasm-ranlib "LDLIBS=$WASM_LDLIBS")
say "configure: ${CONFIGURE_ARGS[*]} CFLAGS=\"$WASM_CFLAGS\" LDFLAGS=\"$WASM_LDFLAGS\""
cd "$SRC"
run_logged configure ./Configure "${CONFIGURE_ARGS[@]}" "CFLAGS=$WASM_CFLAGS" "LDFLAGS=$WASM_LDFLAGS"
say "make -j$JOBS apps/openssl (a few minutes)"
# Generated headers first: `make apps/openssl` alone does not order them
# before the first compiles (their dependencies come from .d files that do
# not exist yet in a fresh tree), which fails randomly under -j.
run_logged make-generated make -j"$JOBS" build_generated
run_logged make make -j"$JOBS" apps/openssl
cd "$ROOT"

OUT="$SRC/apps/openssl"
[[ -f "$OUT" ]] || die "make finished but $OUT is missing"
WASM_SHA256="$(sha256 "$OUT")"
WASM_SIZE="$(stat -c %s "$OUT")"

# Reads a dotted key from the committed manifest ("" if absent).
manifest_get() {
  [[ -f "$MANIFEST" ]] || return 0
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = process.argv[2].split(".").reduce((o, k) => (o == null ? o : o[k]), m);
    if (v != null) process.stdout.write(String(v));
  ' "$MANIFEST" "$1"
}
OLD_SHA256="$(manifest_get wasm.sha256)"

elapsed() { local s=$((SECONDS - START)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

if ((CHECK)); then
  [[ -n "$OLD_SHA256" ]] || die "--check: $MANIFEST has no wasm.sha256"
  if [[ "$WASM_SHA256" != "$OLD_SHA256" ]]; then
    echo "build-wasm.sh: error: --check failed: fresh build sha256 $WASM_SHA256 differs from $MANIFEST wasm.sha256 $OLD_SHA256 (fresh wasm left at $OUT)" >&2
    # The usual cause is a different compiler/libc build; say so if visible.
    for pair in "clang:$CLANG_VERSION" "wasiLibc:$LIBC_VERSION" "lld:$LD_VERSION"; do
      key=${pair%%:*} here=${pair#*:}
      was="$(manifest_get "toolchain.$key")"
      if [[ "$was" != "$here" ]]; then
        echo "  toolchain.$key differs: manifest '$was', this machine '$here'" >&2
      fi
    done
    echo "build time: $(elapsed)"
    exit 1
  fi
  mkdir -p "$WASM_DIR"
  cp "$OUT" "$WASM_DIR/openssl.wasm"
  say "check ok: wasm/openssl.wasm matches the manifest (sha256 $WASM_SHA256, $WASM_SIZE bytes)"
  echo "build time: $(elapsed)"
  exit 0
fi

mkdir -p "$WASM_DIR"
cp "$OUT" "$WASM_DIR/openssl.wasm"

MF_ARGS=(
  "--openssl-version=$OPENSSL_VERSION"
  "--openssl-source=$OPENSSL_TARBALL_NAME"
  "--openssl-sha256=$OPENSSL_SHA256"
  "--clang=$CLANG_VERSION"
  "--wasi-libc=$LIBC_VERSION"
  "--lld=$LD_VERSION"
  "--cc-wrapper=$(basename "$CLANG") ${SYSROOT_FLAG:+--sysroot=<wasi-sdk>/share/wasi-sysroot }$WRAPPER_FLAGS -ffile-prefix-map=<srcdir>=/openssl-src"
  "--cflags=$WASM_CFLAGS"
  "--ldflags=$WASM_LDFLAGS"
  "--source-date-epoch=$SOURCE_DATE_EPOCH"
  "--wasm=$WASM_DIR/openssl.wasm"
)
for a in "${CONFIGURE_ARGS[@]}"; do MF_ARGS+=("--configure=$a"); done
for p in "${PATCHES[@]}"; do MF_ARGS+=("--patch=$p"); done
node "$ROOT/scripts/write-manifest.mjs" "$MANIFEST" "${MF_ARGS[@]}"

if [[ -n "$OLD_SHA256" && "$OLD_SHA256" != "$WASM_SHA256" ]]; then
  say "note: wasm sha256 changed from $OLD_SHA256 (previous manifest)"
fi
say "wrote wasm/openssl.wasm ($WASM_SIZE bytes, sha256 $WASM_SHA256) and wasm/manifest.json"
echo "build time: $(elapsed)"
exit 0
}
