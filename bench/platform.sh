#!/usr/bin/env bash
# kiln serve on loopback: 1 000 POST /v1/instances without autostart from 16 concurrent clients
# (goal >= 1 000 creates/s, p99 <= 30 ms); the server's RSS with 10 000 instance records (goal
# <= 300 MB); a restart with 10 000 records to its first answer (goal <= 2 s). The server is the
# real ./kiln serve process; the load a Java client on keep-alive HTTP/1.1. Writes
# bench/results/platform.md.
. "$(dirname "$0")/lib.sh"
need curl
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
(cd "$repo" && JAVA_HOME=$java_home MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow mvn -q -B -o install -DskipTests >/dev/null)
(cd "$repo" && mvn -q -B -o dependency:build-classpath -pl kiln-platform -Dmdep.outputFile="$work/platform.classpath" >/dev/null)
cp="$repo/kiln-platform/target/test-classes:$repo/kiln-platform/target/classes:$(cat "$work/platform.classpath")"
data=$work/platform-data
rm -rf "$data"
port=18081
url=http://127.0.0.1:$port
"$repo/kiln" --version >/dev/null
mkdir -p "$data"
printf 'hello\n' > "$work/platform-motd"
"$repo/kiln" pack --kernel "$repo/test-guests/unikraft-probe/kernel-qemu-x86_64" --rootfs "$work/platform-motd:/etc/motd" \
  -o "oci:$data/images:probe:latest" 2>/dev/null
start_server() {
  "$repo/kiln" serve --data "$data" --listen 127.0.0.1:$port > "$work/platform-serve.log" 2>&1 &
  server=$!
  until curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$data/token" 2>/dev/null)" "$url/v1/instances?count=1"; do sleep 0.02; done
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$(pgrep -f "kiln.jar serve --data $data" | head -1)/status"; }
start_server
token=$(cat "$data/token")
run() { "$java_home/bin/java" -cp "$cp" dev.kiln.platform.bench.CreateLoad "$url" "$token" probe:latest "$@"; }
{
  echo "# kiln serve: creates, memory, restart"
  echo
  echo "$(date -u +%Y-%m-%d), commit $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "The server is ./kiln serve (SQLite in its data directory); the client a separate JVM, keep-alive HTTP/1.1, sharing the 2 cores."
  echo
  echo "| load | wall | throughput | p50 | p99 |"
  echo "|---|---|---|---|---|"
  run 3000 16 warm
  run 1000 16 bench
  run 6000 4 fill 100
} > "$results/platform.md"
autostart=$("$java_home/bin/java" -cp "$cp" dev.kiln.platform.bench.AutostartLatency "$url" "$token" probe:latest 35)
rss=$(rss_mb)
kill "$server"; wait "$server" 2>/dev/null || true
t0=$(date +%s.%N)
start_server
t1=$(date +%s.%N)
count=$(curl -s -H "Authorization: Bearer $token" "$url/v1/instances" | grep -o '"uuid"' | wc -l)
kill "$server"; wait "$server" 2>/dev/null || true
{
  echo
  echo "| measure | value | goal |"
  echo "|---|---|---|"
  echo "| server RSS with $count instance records | $rss MB | <= 300 MB |"
  echo "$autostart"
  echo "| restart with $count records to its first answer (JVM start included) | $(python3 -c "print(f'{$t1-$t0:.2f}')") s | <= 2 s |"
} >> "$results/platform.md"
cat "$results/platform.md"
