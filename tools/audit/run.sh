#!/usr/bin/env bash
# Zero-allocation audit of hotline-core. Builds the freestanding audit image
# (tools/audit, linked with linker/audit.ld: no libc, no global allocator)
# twice: against the real core, which must link, and with the `canary`
# feature, which pulls in alloc::vec::Vec and must fail. One line each.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=../../target/audit
log=$CARGO_TARGET_DIR/audit.log
mkdir -p "$CARGO_TARGET_DIR"
status=0

if cargo build --release --quiet >"$log" 2>&1; then
    echo "audit: hotline-core links freestanding with no allocator: PASS"
else
    echo "audit: hotline-core does NOT link without an allocator: FAIL"
    cat "$log"
    status=1
fi

if cargo build --release --quiet --features canary >"$log" 2>&1; then
    echo "audit: canary (alloc::vec::Vec) linked, so the audit cannot catch allocation: FAIL"
    status=1
elif grep -qE "no global memory allocator|__rust_alloc|malloc" "$log"; then
    echo "audit: canary (alloc::vec::Vec) fails to link as it must: PASS"
else
    echo "audit: canary failed for another reason than allocation: FAIL"
    cat "$log"
    status=1
fi
exit $status
