#!/usr/bin/env bash
# Registry push and pull: kiln's client vs skopeo copy, side by side in one run, against one local
# docker-registry (distribution 2.8, plain HTTP on loopback). A 200 MB image of 4 layers.
# Writes bench/results/registry.md (table) and registry-{push,pull}.json (every timed run).
. "$(dirname "$0")/lib.sh"
need skopeo docker-registry python3 curl
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
runs=${KILN_BENCH_RUNS:-5}
(cd "$repo" && JAVA_HOME=$java_home MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
  mvn -q -B -o test-compile -pl kiln-fs,kiln-oci)
deps=$work/registry-classpath.txt
(cd "$repo" && JAVA_HOME=$java_home mvn -q -B -o dependency:build-classpath -pl kiln-oci \
  -DincludeScope=runtime -Dmdep.outputFile="$deps" >/dev/null)
jackson=$(tr ':' '\n' < "$deps" | grep -v '/dev/kiln/' | paste -sd:)
classes="$repo/kiln-oci/target/classes:$repo/kiln-oci/target/test-classes:$repo/kiln-fs/target/classes"
# The same classes in a jar: a JDK AOT cache takes jars only.
jar=$work/registry-bench.jar
rm -f "$jar"
"$java_home/bin/jar" cf "$jar" -C "$repo/kiln-oci/target/classes" . -C "$repo/kiln-fs/target/classes" . \
  -C "$repo/kiln-oci/target/test-classes" dev/kiln/oci/registry

# JVM flags as ./kiln sets them: the serial collector with a small fixed young generation, and C1
# only for a push (it hashes nothing); a pull hashes every byte, and SHA-256 runs on the CPU's SHA
# instructions only in C2-compiled code, so there C2 compiles the JDK's digest code and nothing else.
base=(-Djdk.httpclient.bufsize=262144 --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -Xmn32m
  -XX:PretenureSizeThreshold=1m -Xlog:cds=off -Xlog:aot=off)
push_flags=("${base[@]}" -XX:TieredStopAtLevel=1)
pull_flags=("${base[@]}" -XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile="$repo/scripts/c2-digests.json"
  -XX:-DisplayVMOutput)
main=dev.kiln.oci.registry.RegistryBench
java=$java_home/bin/java

image=$work/registry-image
if [ ! -f "$image/index.json" ]; then
  echo "bench: creating a 200 MB image of 4 layers in $image" >&2
  "$java" "${base[@]}" -cp "$classes:$jackson" $main image "$image" 200 4 >/dev/null
fi

# The registry: a fresh storage directory, a free port, stopped by its pid when the script ends.
reg=$work/registry-storage
rm -rf "$reg"
mkdir -p "$reg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$reg/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $reg/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: kiln-bench-secret
YAML
docker-registry serve "$reg/config.yml" > "$reg/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; wait $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
  sleep 0.1
done
host=127.0.0.1:$port

# The image both tools pull: pushed once by skopeo, so kiln pulls what another tool wrote.
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$image:bench" "docker://$host/bench/source:1"
out=$work/registry-out
rm -rf "$out"
mkdir -p "$out"

# kiln as ./kiln runs it, with an AOT cache of its classes and profiles (JDK 25), made by one
# training run of a push and a pull.
aot=$work/registry-bench.aot
rm -f "$aot"
"$java" -XX:AOTCacheOutput="$aot" "${base[@]}" -cp "$jar:$jackson" $main train "$image" "docker://$host/train/image:1" "$out/train" \
  >/dev/null 2>&1
[ -f "$aot" ] || { echo "bench: the AOT training run made no cache" >&2; exit 1; }
kiln_jvm() { local flags=("$@"); echo "$java ${flags[*]} -cp $classes:$jackson $main"; }
kiln_aot() { local flags=("$@"); echo "$java -XX:AOTCache=$aot ${flags[*]} -cp $jar:$jackson $main"; }

# Timed in interleaved rounds (each round runs every command once, in turn), not hyperfine's one
# command after the other: the cores are shared, and load that drifts over a minute would
# otherwise land on one tool only. One warm-up round, then $runs timed rounds; medians.
# Every push goes to a new repository (it holds no blob yet, so every byte is sent). skopeo
# remembers where it saw each blob (/var/lib/containers/cache/blob-info-cache-v1.boltdb when
# root) and would mount the blobs from an earlier run's repository instead of sending them, so
# that cache is removed before each of its runs: both tools start cold, as kiln's client does.
# Every pull goes to an empty directory, the previous run's deleted and synced first.
new_repo='$(date +%s%N)'
interleaved_runs "$runs" "$results/registry-push.json" \
  kiln "true" "$(kiln_aot "${push_flags[@]}") push $image docker://$host/kiln/p$new_repo:1" \
  kiln-no-aot "true" "$(kiln_jvm "${push_flags[@]}") push $image docker://$host/kiln/j$new_repo:1" \
  skopeo "rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb" \
    "skopeo --insecure-policy copy -q --dest-tls-verify=false oci:$image:bench docker://$host/skopeo/p$new_repo:1"
interleaved_runs "$runs" "$results/registry-pull.json" \
  kiln "rm -rf $out/kiln; sync" "$(kiln_aot "${pull_flags[@]}") pull docker://$host/bench/source:1 $out/kiln" \
  kiln-no-aot "rm -rf $out/kiln-no-aot; sync" "$(kiln_jvm "${pull_flags[@]}") pull docker://$host/bench/source:1 $out/kiln-no-aot" \
  skopeo "rm -rf $out/skopeo; sync" "skopeo --insecure-policy copy -q --src-tls-verify=false docker://$host/bench/source:1 oci:$out/skopeo:1"

# Every pull must hold the same image, byte for byte.
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$image/index.json")
for d in kiln kiln-no-aot skopeo; do
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$out/$d/index.json")
  [ "$got" = "$want" ] || { echo "bench: $d pulled $got, the image is $want" >&2; exit 1; }
  diff -r "$image/blobs" "$out/$d/blobs" >/dev/null || { echo "bench: $d's blobs differ from the image's" >&2; exit 1; }
done
bytes=$(du -sb "$image/blobs" | cut -f1)

python3 - "$results" "$bytes" "$runs" "$(nproc)" "$(uname -r)" "$(skopeo --version | cut -d' ' -f3)" \
  "$(docker-registry --version | awk '{print $3}')" "$("$java" -version 2>&1 | head -1)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  > "$results/registry.md" <<'PY'
import json, sys, datetime
results, nbytes, runs, cores, kernel, skopeo, registry, java, load = sys.argv[1:10]
nbytes = int(nbytes)
print("# Registry push and pull: kiln vs skopeo")
print()
print(f"{datetime.date.today()}, {cores} cores shared with other work (load average at the end: {load}), {kernel};")
print(f"docker-registry {registry} on loopback (plain HTTP, filesystem storage), skopeo {skopeo}, {java}.")
print(f"One image of 4 layers, {nbytes/1e6:.0f} MB of blobs (random data in gzip streams of stored blocks, so that")
print(f"skopeo copies the layers as they are instead of compressing them). 1 warm-up round and {runs} timed")
print("rounds, each running every command once in turn; every push to a new repository, every pull into")
print("an empty directory. Wall time, and the CPU time of the process and its children (medians).")
print("`kiln` runs as ./kiln does, with an AOT cache; `kiln-no-aot` is the same JVM without it.")
print("Ratios use the medians.")
print()
print("| direction | tool | wall s median | wall s (mean ± σ) | MB/s | user s | sys s | wall / skopeo |")
print("|---|---|---|---|---|---|---|---|")
for direction in ["push", "pull"]:
    data = json.load(open(f"{results}/registry-{direction}.json"))
    stats = {r["command"]: r for r in data["results"]}
    for name in ["kiln", "kiln-no-aot", "skopeo"]:
        r = stats[name]
        ratio = r["median"] / stats["skopeo"]["median"]
        cell = f"**{ratio:.2f}×**" if name == "kiln" else ("" if name == "skopeo" else f"{ratio:.2f}×")
        print(f"| {direction} | {name} | {r['median']:.2f} | {r['mean']:.2f} ± {r['stddev'] or 0:.2f} | {nbytes/1e6/r['median']:.0f} | {r['user']:.2f} | {r['system']:.2f} | {cell} |")
PY
cat "$results/registry.md"
