#!/usr/bin/env bash
# Initrd composition: an image's 64 MiB newc initrd with a 1 MiB ROM mounted at /etc/app (what the
# base has there hidden), kiln's InitrdComposer against doing it by hand with GNU cpio (extract
# the base, remove /etc/app, extract the ROM there, find | cpio -o -H newc), side by side in one
# run. Writes bench/results/compose.md and compose.json (the process timings).
# Goal (the ROM issue): <= 100 ms the first time, <= 2 ms from the cache. Also times RomStore.putInline of
# distinct 4 KiB inline ROMs (the platform's benchmark needs >= 500 creates/s, each with one).
. "$(dirname "$0")/lib.sh"
need cpio
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
runs=${1:-10}
(cd "$repo" && JAVA_HOME=$java_home MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
  mvn -q -B -o test-compile -pl kiln-platform -am)
(cd "$repo" && JAVA_HOME=$java_home mvn -q -B -o dependency:build-classpath -pl kiln-platform -Dmdep.outputFile="$work/compose.classpath" >/dev/null)
# The modules' own classes first: the local repository may hold older snapshots of them.
cp="$repo/kiln-fs/target/classes:$repo/kiln-oci/target/classes:$repo/kiln-platform/target/classes:$repo/kiln-platform/target/test-classes"
cp="$cp:$(cat "$work/compose.classpath")"
java=("$java_home/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -cp "$cp")
in=$work/compose
"${java[@]}" dev.kiln.platform.bench.ComposeBench inputs "$in"
out=$work/compose-out
mkdir -p "$out"
# By hand, as the reference way: the ROM as a cpio archive (GNU cpio reads no EROFS).
by_hand="rm -rf $out/x && mkdir $out/x && cd $out/x && cpio -id --quiet < $in/base.cpio && rm -rf etc/app && mkdir -p etc/app \
  && (cd etc/app && cpio -id --quiet < $in/rom.cpio) && find . | cpio -o -H newc --quiet > $out/by-hand.cpio"
interleaved_runs "$runs" "$results/compose.json" \
  "kiln, a JVM per compose (cold start), EROFS ROM" "sync" "${java[*]} dev.kiln.platform.bench.ComposeBench once $in rom.erofs $out/cache" \
  "GNU cpio by hand, cpio ROM" "sync" "$by_hand"
{
  echo "# Initrd composition: kiln vs GNU cpio by hand"
  echo
  echo "$(date -u +%Y-%m-%d), commit $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, $(uname -r), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Base: a 64 MiB newc initrd (1,024 files of 64 KiB in 32 directories, plus /etc/app/config.json); ROM: 1 MiB"
  echo "(16 files of 64 KiB) at /etc/app, hiding the base's /etc/app. kiln reads the ROM as EROFS (as the platform stores"
  echo "inline ROMs), GNU cpio as a cpio archive of the same files. Output: one uncompressed newc archive, checked for Unikraft."
  echo
  echo "## In the server (warm JVM, $runs first composes each into an empty cache, 100 cache hits after each)"
  echo
  echo "| what | runs | p50 | p99 | max |"
  echo "|---|---|---|---|---|"
  "${java[@]}" dev.kiln.platform.bench.ComposeBench loop "$in" rom.erofs "$runs"
  "${java[@]}" dev.kiln.platform.bench.ComposeBench loop "$in" rom.cpio "$runs"
  echo
  echo "## A process per compose, side by side ($runs interleaved rounds after a warm-up; wall time)"
  echo
  echo "| what | median | mean ± σ | user | system |"
  echo "|---|---|---|---|---|"
  python3 - "$results/compose.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {r['command']} | {r['median']*1000:.0f} ms | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms | {r['user']*1000:.0f} ms | {r['system']*1000:.0f} ms |")
PY
  echo
  echo "## Inline ROMs stored as a create stores them (RomStore.putInline, distinct 4 KiB ROMs, 5 s after a 2 s warm-up)"
  echo
  echo "| what | threads | puts | wall | puts/s | p50 | p99 |"
  echo "|---|---|---|---|---|---|---|"
  for threads in 1 $(nproc); do "${java[@]}" dev.kiln.platform.bench.RomPutBench "$work/rom-put" 5 "$threads"; done
  echo
  echo "Sizes: kiln $(stat -c %s "$out"/cache/*.cpio) bytes, by hand $(stat -c %s "$out/by-hand.cpio") bytes."
} > "$results/compose.md"
rm -rf "$out"
cat "$results/compose.md"
