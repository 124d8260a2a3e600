#!/usr/bin/env bash
# Runs the Autobahn TestSuite fuzzing server (cases 1.* to 7.*) against
# `autobahn-client` (hotline-core's WebSocket client) on loopback, and checks
# the report: every case OK, NON-STRICT or INFORMATIONAL, none FAILED.
# Installs the suite (Python 2, pyenv's 2.7.18) under target/autobahn the
# first time.
#
# Usage: tools/autobahn/run.sh [CASES]   CASES as JSON, default ["1.*",…,"7.*"]
set -euo pipefail
cd "$(dirname "$0")/../.."

cases=${1:-'["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*"]'}
work=target/autobahn
site=$work/site
mkdir -p "$work"

if [ ! -f "$site/autobahntestsuite/wstest.py" ]; then
    echo "autobahn: installing autobahntestsuite 25.10.1 (Python 2.7) into $site"
    PYENV_VERSION=2.7.18 python2 -m pip install --quiet --disable-pip-version-check \
        --no-warn-script-location --target "$site" autobahntestsuite==25.10.1
fi

cat > "$work/fuzzingserver.json" <<JSON
{
  "url": "ws://127.0.0.1:9001",
  "outdir": "./reports",
  "cases": $cases,
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
JSON

echo "autobahn: building autobahn-client"
cargo build --release --quiet -p hotline-autobahn

rm -rf "$work/reports"
(
    cd "$work"
    # --target installs break the zope namespace package; addsitedir runs its .pth files.
    exec env PYENV_VERSION=2.7.18 python2 -c "
import site, sys
site.addsitedir('site')
sys.argv = ['wstest', '-m', 'fuzzingserver', '-s', 'fuzzingserver.json']
from autobahntestsuite import wstest
wstest.run()
" > server.log 2>&1
) &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/9001) 2>/dev/null; then break; fi
    sleep 0.2
done

target/release/autobahn-client ws://127.0.0.1:9001

python3 - "$work/reports/index.json" <<'PY'
import json, sys, collections
index = json.load(open(sys.argv[1]))["hotline"]
tally = collections.Counter()
bad = []
for case, result in sorted(index.items(), key=lambda kv: [int(p) for p in kv[0].split(".")]):
    for key in ("behavior", "behaviorClose"):
        verdict = result[key]
        if key == "behavior":
            tally[verdict] += 1
        if verdict not in ("OK", "NON-STRICT", "INFORMATIONAL"):
            bad.append(f"{case} {key}={verdict}")
print("autobahn: %d cases: %s" % (len(index), ", ".join(f"{v} {n}" for v, n in sorted(tally.items()))))
for line in bad:
    print("autobahn: FAILED", line)
sys.exit(1 if bad or not index else 0)
PY
