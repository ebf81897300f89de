#!/bin/sh
# Decrypts an opensslwrap bundle (format version 2, docs/FORMAT.md) with a stock `openssl`
# (1.1.1 or 3.x) and POSIX tools only: the way to recover data without opensslwrap.
#
#   decrypt-with-openssl.sh BUNDLE PRIVKEY OUTFILE [PASSPHRASE_FILE]
#
# PASSPHRASE_FILE holds the passphrase of a protected PRIVKEY (first line). Without it the key is
# read with an empty passphrase, so a protected key fails at once instead of prompting.
# Exit status: 0 done, 1 refused or failed (nothing written), 2 wrong usage.
set -eu
umask 077 # the unwrapped secret and the plaintext are readable by the owner only

me=decrypt-with-openssl
usage="usage: $me BUNDLE PRIVKEY OUTFILE [PASSPHRASE_FILE]"
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

case ${1-} in -h | --help) printf '%s\n' "$usage"; exit 0 ;; esac
if [ $# -lt 3 ] || [ $# -gt 4 ]; then printf '%s\n' "$usage" >&2; exit 2; fi
bundle=$1 priv=$2 out=$3 passfile=${4-}
if [ -z "$bundle" ] || [ -z "$priv" ] || [ -z "$out" ]; then printf '%s\n' "$usage" >&2; exit 2; fi

[ -f "$bundle" ] && [ -r "$bundle" ] || die "cannot read $bundle"
[ -f "$priv" ] && [ -r "$priv" ] || die "cannot read $priv"
if [ -n "$passfile" ]; then
  [ -f "$passfile" ] && [ -r "$passfile" ] || die "cannot read $passfile"
  pass=file:$passfile
else
  pass=pass:
fi
# -h: a dangling symlink does not "exist" for -e, but mv would still replace it.
if [ -e "$out" ] || [ -h "$out" ]; then die "$out exists; not overwriting"; fi

# Private work folder: the tar members and the unwrapped secret live here. Removed on every exit
# (rm, not a secure wipe). `exit` in the INT/TERM traps runs the EXIT trap.
w= part=
cleanup() {
  if [ -n "$part" ]; then rm -f -- "$part"; fi
  if [ -n "$w" ]; then rm -rf -- "$w"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
w=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX") || die "cannot create a temporary folder"

# --- 1. unpack ---------------------------------------------------------------------------------
# List before extracting, so that only the plain member names of the format reach the disk
# (no paths, no links outside the folder). Stdin instead of `tar -C` keeps to POSIX options.
if ! tar tf - <"$bundle" >"$w/members" 2>"$w/err"; then
  # Earlier layouts (PsychoPy / pyFileSec) are gzip-compressed tars.
  if [ "$(od -An -tx1 -N2 <"$bundle" | tr -dc 0-9a-f)" = 1f8b ]; then
    die "$bundle is compressed: not an opensslwrap v2 bundle (an earlier layout? opensslwrap reads those)"
  fi
  die "$bundle is not a tar archive: not an opensslwrap v2 bundle"
fi
# The member names of a bundle with $1 recipients and $2 signers, in the format's order.
members() {
  list=header.txt i=1
  while [ "$i" -le "$1" ]; do list="$list key-$i.oaep"; i=$((i + 1)); done
  list="$list payload.bin meta.json tag.hmac" i=1
  while [ "$i" -le "$2" ]; do list="$list sig-$i.pss"; i=$((i + 1)); done
}
nk=0 nm=0
while IFS= read -r name; do
  case $name in
    key-*) nk=$((nk + 1)) ;;
    sig-*) nm=$((nm + 1)) ;;
  esac
done <"$w/members"
members "$nk" "$nm"
[ "$(tr '\n' ' ' <"$w/members")" = "$list " ] || die "not an opensslwrap v2 bundle: $bundle does not hold exactly the members $list"
mkdir "$w/b"
b=$w/b
(cd "$b" && tar xf -) <"$bundle" 2>"$w/err" || die "cannot unpack $bundle: $(head -n 1 "$w/err")"
for name in $list; do
  [ -f "$b/$name" ] && [ ! -h "$b/$name" ] || die "not an opensslwrap v2 bundle: $name is not a regular file"
done

# --- 2. header: fixed grammar, fixed widths ----------------------------------------------------
h8='[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
h32=$h8$h8$h8$h8 h64=$h8$h8$h8$h8$h8$h8$h8$h8
d20='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
bad() { die "damaged header.txt in $bundle: $*"; }
n=0 nr=0 ns=0 iv= pbytes= metasha= recipients=
while IFS= read -r line; do
  n=$((n + 1))
  case $n:$line in
    "1:opensslwrap-bundle 2") ;;
    1:opensslwrap-bundle\ [1-9]*)
      v=${line#opensslwrap-bundle }
      case $v in
        *[!0-9]* | 1) die "$bundle is not an opensslwrap v2 bundle" ;;
        *) die "$bundle was made by a newer opensslwrap (format $v); this script reads format 2" ;;
      esac ;;
    1:*) die "$bundle is not an opensslwrap v2 bundle" ;;
    "2:cipher aes-256-ctr") ;;
    3:"iv "$h32) iv=${line#iv } ;;
    "4:mac hmac-sha256") ;;
    5:"payload-bytes "$d20) pbytes=${line#payload-bytes } ;;
    6:"meta-sha256 "$h64) metasha=${line#meta-sha256 } ;;
    "7:wrap rsa-oaep-sha256") ;;
    [2-7]:*) bad "line $n is not what format 2 has there" ;;
    *:"recipient "$h64)
      [ "$ns" -eq 0 ] || bad "recipient line after a signer line"
      nr=$((nr + 1)) recipients="$recipients ${line#recipient }" ;;
    *:"signer "$h64" rsa-pss-sha256") ns=$((ns + 1)) ;;
    *) bad "line $n" ;;
  esac
done <"$b/header.txt"
[ "$nr" -ge 1 ] && [ "$nr" -le 16 ] || bad "$nr recipients (1 to 16 allowed)"
[ "$ns" -le 4 ] || bad "$ns signers (0 to 4 allowed)"
# Fixed widths: the size depends on N and M only. This also catches a missing final newline
# (`read` drops an unterminated last line) and bytes the shell would not show.
size=$(wc -c <"$b/header.txt" | tr -dc 0-9)
[ "$size" = $((225 + 75 * nr + 87 * ns)) ] || bad "wrong length"

[ "$nr" = "$nk" ] && [ "$ns" = "$nm" ] ||
  bad "it lists $nr recipients and $ns signers, the bundle holds $nk keys and $nm signatures"

# payload-bytes is zero-padded decimal: strip the leading zeros as text (no arithmetic: no octal
# surprise, no 32-bit overflow), keeping one digit for 0.
want=${pbytes#"${pbytes%%[!0]*}"}
want=${want:-0}
have=$(wc -c <"$b/payload.bin" | tr -dc 0-9)
[ "$have" = "$want" ] || die "payload.bin has $have bytes, header.txt says $want: the bundle is truncated or damaged; nothing written"
[ "$(openssl dgst -sha256 -r <"$b/meta.json" | cut -c1-64)" = "$metasha" ] ||
  die "meta.json does not match its SHA-256 in header.txt: the bundle was altered or corrupted; nothing written"
[ "$(wc -c <"$b/tag.hmac" | tr -dc 0-9)" = 32 ] || die "tag.hmac is not 32 bytes: the bundle is damaged; nothing written"

# --- 3. which recipient am I? ------------------------------------------------------------------
# Fingerprint = SHA-256 of the DER SubjectPublicKeyInfo. `dgst -r` prints "HEX *stdin" on both
# 1.1.1 and 3.x (the default output format differs between them). Written to a file first so
# that a failing pkey is seen (a pipeline's status is its last command's).
openssl pkey -in "$priv" -passin "$pass" -pubout -outform DER -out "$w/pub.der" 2>"$w/err" || {
  if [ -n "$passfile" ]; then die "cannot read the private key $priv: wrong passphrase, or not a private key"; fi
  die "cannot read the private key $priv: not a private key, or protected (give PASSPHRASE_FILE)"
}
fpr=$(openssl dgst -sha256 -r <"$w/pub.der" | cut -c1-64)
idx= i=0
for r in $recipients; do
  i=$((i + 1))
  if [ "$r" = "$fpr" ]; then idx=$i; break; fi
done
[ -n "$idx" ] || die "this private key is not a recipient of $bundle; recipients:$recipients"

# --- 4. unwrap the one-time secret: 32 bytes AES key, then 32 bytes HMAC key ----------------------
openssl pkeyutl -decrypt -inkey "$priv" -passin "$pass" -in "$b/key-$idx.oaep" -out "$w/secret.bin" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 2>"$w/err" ||
  die "cannot unwrap key-$idx.oaep with $priv: the bundle is damaged; nothing written"
[ "$(wc -c <"$w/secret.bin" | tr -dc 0-9)" = 64 ] || die "the unwrapped secret is not 64 bytes: the bundle is damaged; nothing written"
hex=$(od -An -v -tx1 "$w/secret.bin" | tr -dc 0-9a-f)
rm -f "$w/secret.bin"
key=$(printf '%s\n' "$hex" | cut -c1-64)
mac=$(printf '%s\n' "$hex" | cut -c65-128)

# --- 5. encrypt-then-MAC: check the tag over header.txt, key-1..N.oaep, payload.bin BEFORE decrypting
# The keys pass through openssl's arguments, which `ps` shows to other local users while the
# command runs: stock openssl takes raw enc/HMAC keys no other way. They open this bundle only.
authenticated() { # the keys in numeric order (a glob would put key-10 before key-2)
  cat "$b/header.txt"
  k=1
  while [ "$k" -le "$nk" ]; do cat "$b/key-$k.oaep"; k=$((k + 1)); done
  cat "$b/payload.bin"
}
tag=$(authenticated | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$mac" -r | cut -c1-64)
[ "${#tag}" = 64 ] || die "openssl could not compute the HMAC"
[ "$tag" = "$(od -An -v -tx1 "$b/tag.hmac" | tr -dc 0-9a-f)" ] ||
  die "integrity check failed: the bundle was altered or corrupted; nothing written"

# --- 6. decrypt next to OUTFILE, then rename -----------------------------------------------------
# A partial file next to OUTFILE (same filesystem, so mv is an atomic rename): OUTFILE appears
# whole or not at all, and the plaintext never lands in the temporary folder. mktemp creates the
# partial name exclusively (the pid alone, OUTFILE.partial.$$, could be taken or a planted link).
part=$(mktemp "$out.partial.$$.XXXXXX" 2>"$w/err") || { part=; die "cannot create a file next to $out"; }
openssl enc -d -aes-256-ctr -K "$key" -iv "$iv" -in "$b/payload.bin" -out "$part" 2>"$w/err" ||
  die "openssl could not decrypt: $(head -n 1 "$w/err")"
[ "$(wc -c <"$part" | tr -dc 0-9)" = "$want" ] || die "openssl wrote a wrong length; nothing written"
if [ -e "$out" ] || [ -h "$out" ]; then die "$out exists; not overwriting"; fi
mv -- "$part" "$out" || die "cannot rename the decrypted file to $out"
part=
printf 'decrypted %s -> %s\n' "$bundle" "$out"
