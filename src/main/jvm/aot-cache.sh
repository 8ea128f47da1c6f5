#!/usr/bin/env bash
# Creates the start-up cache of the packaged service for the JDK that will run it: with a JDK 25 or newer the AOT cache
# (JEP 483/514/515, app.aot), with an older one an AppCDS archive (app-cds.jsa). One training run of the jar, on a
# scratch SQLite file in a temporary directory: start Parley, wait until /q/health/ready answers 200, send a few
# typical requests (health, the web page, a conversation with a streamed demo reply), stop it with SIGTERM; the JVM
# writes the cache as it exits. Then run the service with the flag the script prints, e.g.
#
#   ./mvnw package -DskipTests -Dquarkus.package.jar.type=aot-jar
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java [JAVA_OPTS="..."] src/main/jvm/aot-cache.sh [target/quarkus-app]
#   $JAVA -XX:AOTCache=target/quarkus-app/app.aot -jar target/quarkus-app/quarkus-run.jar
#
# The cache is valid only for the same JDK build and the same jar files (paths, sizes and modification times): create
# it again after every build, with the JDK that runs the service, and start the jar by the same path. A JVM given a
# stale or foreign cache says so in a warning line and starts without it. Package the jar as Quarkus' aot-jar
# (./mvnw package -Dquarkus.package.jar.type=aot-jar), which puts every jar on the JVM's class path: the JVM caches
# only classes of its own class loaders, so from the default fast-jar it caches the JDK's and Quarkus' bootstrap
# classes but none that Quarkus' runner class loader loads (it still helps, about half as much). Used by the
# Dockerfile and by CI; needs only bash and the JDK (no curl). AOT_TRAINING_DATABASE_URL=postgresql://... trains on a
# scratch PostgreSQL database instead (one the training may write to): a cache trained on SQLite starts the service
# on PostgreSQL too, but more slowly, since the PostgreSQL path's classes are then loaded and linked at start.
set -euo pipefail

JAVA=${JAVA:-java}
# the options the service will run with (heap sizing, GC), so that the training JVM builds a cache they can use
read -r -a OPTS <<<"${JAVA_OPTS:-}"
APP=$(cd "${1:-target/quarkus-app}" && pwd)
PORT=${AOT_TRAINING_PORT:-18099}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

FLAGS=$("$JAVA" ${OPTS[@]+"${OPTS[@]}"} -XX:+PrintFlagsFinal -version 2>/dev/null)
if grep -q AOTCacheOutput <<<"$FLAGS"; then
  CACHE="$APP/app.aot" WRITE="-XX:AOTCacheOutput=$APP/app.aot" USE="-XX:AOTCache=$APP/app.aot" STRICT="-XX:AOTMode=on"
else
  CACHE="$APP/app-cds.jsa" WRITE="-XX:ArchiveClassesAtExit=$APP/app-cds.jsa" USE="-XX:SharedArchiveFile=$APP/app-cds.jsa"
  STRICT="-Xshare:on"
fi

KEY="aot-training-$RANDOM$RANDOM$RANDOM$RANDOM"
rm -f "$CACHE"
# never the service's own database: the default ./data/parley.db, here under the temporary directory, or the scratch
# database AOT_TRAINING_DATABASE_URL names (a PostgreSQL one: the classes of that path come from the cache too)
TRAINING_DB=()
if [ -n "${AOT_TRAINING_DATABASE_URL:-}" ]; then
  TRAINING_DB=("DATABASE_URL=$AOT_TRAINING_DATABASE_URL")
fi
(cd "$WORK" && exec env -u DATABASE_URL -u PARLEY_DATABASE_URL ${TRAINING_DB[@]+"${TRAINING_DB[@]}"} PORT="$PORT" PARLEY_BOOTSTRAP_API_KEY="$KEY" \
  PARLEY_SHUTDOWN_DRAIN_DELAY=0s "$JAVA" ${OPTS[@]+"${OPTS[@]}"} "$WRITE" -jar "$APP/quarkus-run.jar" >"$WORK/training.log" 2>&1) &
PID=$!

# request METHOD PATH [BODY]: prints the response (status line, headers, body) over a plain bash TCP connection
request() {
  local body=${3:-}
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf '%s %s HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "$1" "$2" "$KEY" "${#body}" "$body" >&3
  cat <&3
  exec 3<&-
}

# status PATH: the status line of GET PATH, or nothing while no server listens
status() {
  local line=
  { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
  IFS= read -r line <&3 || true
  exec 3<&-
  echo "$line"
}

for _ in $(seq 1 3000); do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "the training run exited before it was ready:" >&2
    cat "$WORK/training.log" >&2
    exit 1
  fi
  if [[ "$(status /q/health/ready)" == *" 200"* ]]; then
    break
  fi
  sleep 0.1
done
[[ "$(status /q/health/ready)" == *" 200"* ]] || { echo "not ready after 300 s" >&2; kill "$PID"; exit 1; }

request GET /q/health/live >/dev/null
request GET /q/health/started >/dev/null
request GET / >/dev/null
request GET /app.js >/dev/null
request GET /q/metrics >/dev/null
ID=$(request POST /api/conversations '{"title":"AOT training"}' | sed -n 's/^{.*"id":"\([^"]*\)".*/\1/p' || true)
if [ -n "$ID" ]; then
  request POST "/api/conversations/$ID/messages" '{"content":"Hello"}' >/dev/null
  request GET "/api/conversations/$ID/messages" >/dev/null
  request GET /api/conversations >/dev/null
fi

kill -TERM "$PID"
wait "$PID" || true
if [ ! -s "$CACHE" ]; then
  echo "no cache was written:" >&2
  tail -20 "$WORK/training.log" >&2
  exit 1
fi
# the JVM must accept it: with the strict flag an unusable cache is an error rather than a warning
if ! "$JAVA" ${OPTS[@]+"${OPTS[@]}"} "$STRICT" "$USE" -jar "$APP/quarkus-run.jar" --help >"$WORK/check.log" 2>&1; then
  echo "the JVM does not accept $CACHE:" >&2
  head -20 "$WORK/check.log" >&2
  exit 1
fi
echo "$CACHE ($(du -m "$CACHE" | cut -f1) MB) for $("$JAVA" -version 2>&1 | head -1)"
echo "run: $JAVA ${JAVA_OPTS:-}${JAVA_OPTS:+ }$USE -jar $APP/quarkus-run.jar"
