#!/usr/bin/env bash
# Builds the QuickFIX-based Coinbase FIX acceptor into target/fix-acceptor/.
# Rebuilds only when a source file is newer than the binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${CARGO_TARGET_DIR:-$root/target}/fix-acceptor"
bin="$out/fix-acceptor"

if [ ! -f /usr/include/quickfix/Application.h ]; then
  echo "fix-acceptor: QuickFIX headers missing: apt-get install -y libquickfix-dev" >&2
  exit 1
fi
if ! command -v g++ >/dev/null; then
  echo "fix-acceptor: g++ missing: apt-get install -y g++" >&2
  exit 1
fi
if [ ! -f /usr/include/openssl/hmac.h ]; then
  echo "fix-acceptor: OpenSSL headers missing: apt-get install -y libssl-dev" >&2
  exit 1
fi

if [ -x "$bin" ] && [ -z "$(find "$here" -newer "$bin" -type f \( -name '*.cpp' -o -name '*.xml' -o -name build.sh \) -print -quit)" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$out/spec"
# The data dictionaries are read at start from spec/ next to the binary;
# copied under a temporary name and renamed, so that an acceptor started by a
# concurrent build never reads half a file.
for xml in "$here"/spec/*.xml; do
  cp "$xml" "$out/spec/$(basename "$xml").$$"
  mv "$out/spec/$(basename "$xml").$$" "$out/spec/$(basename "$xml")"
done
# QuickFIX 1.15's headers use dynamic exception specifications, which C++17
# removed: compile as C++14.
g++ -std=c++14 -O1 -Wall -Wextra -Wno-deprecated -o "$bin.$$" "$here/main.cpp" -lquickfix -lcrypto -lpthread
mv "$bin.$$" "$bin"
echo "$bin"
