#!/usr/bin/env bash
# The Portkey AI gateway (npm @portkey-ai/gateway 1.15.2), the baseline the /v1 figures are compared with: a proxy
# that stores nothing. Installs it into bench/portkey/node_modules (npm), applies the streaming fix of
# Portkey-AI/gateway PR #1551 and starts it in the foreground:
#
#   bench/portkey/run.sh [port]        (default 8787)
#
# Requests then go to http://127.0.0.1:PORT/v1/chat/completions with the headers x-portkey-provider: openai and
# x-portkey-custom-host: http://127.0.0.1:UPSTREAM/v1.
#
# The fix: on Node 20, a streamed upstream response reaches the gateway as a fetch Response whose headers are
# immutable, and the gateway appends its x-portkey-* headers to them, so every streamed request to a custom host fails
# with 500 "Something went wrong" (log: "TypeError: immutable" in updateHeaders). The fix copies the response into one
# with mutable headers before the headers are added; the body is passed on unchanged, still streaming.
set -euo pipefail
cd "$(dirname "$0")"
port="${1:-8787}"
if [ ! -f node_modules/@portkey-ai/gateway/build/start-server.js ]; then
  [ -f package.json ] || echo '{"name":"portkey-baseline","private":true}' > package.json
  npm install --no-audit --no-fund --ignore-scripts @portkey-ai/gateway@1.15.2 >&2
fi
python3 - node_modules/@portkey-ai/gateway/build/start-server.js <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
fixed = "updateHeaders(e,t,a){return e=new Response("
if fixed not in s:
    call = "this.updateHeaders(i,n.cacheStatus,o),{response:i,"
    method = "updateHeaders(e,t,a){return e.headers.append("
    if s.count(call) != 1 or s.count(method) != 1:
        sys.exit("the gateway's build is not the one this fix was written for (1.15.2)")
    s = s.replace(call, "i=" + call).replace(method, "updateHeaders(e,t,a){return e=new Response(e.body,"
        "{status:e.status,statusText:e.statusText,headers:new Headers(e.headers)}),e.headers.append(")
    open(p, "w").write(s)
    print("applied the streaming fix (PR #1551) to", p, file=sys.stderr)
PY
NODE_ENV=production exec node node_modules/@portkey-ai/gateway/build/start-server.js --port="$port" --headless
