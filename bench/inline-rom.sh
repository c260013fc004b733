#!/usr/bin/env bash
# Inline-ROM EROFS builds as kiln serve makes them: 16 files of 4 KiB from bytes, built in-process
# through the public API (ImageBuild + Source.memory) on one client thread per core sharing one
# executor, after warm-up; mkfs.erofs building the same files from a directory, a process per
# build, side by side in the same run. Writes bench/results/inline-rom.md.
# Goal (issue 16): >= 2 000 builds/s on the 2 cores, p99 <= 5 ms per build.
. "$(dirname "$0")/lib.sh"
need mkfs.erofs
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
(cd "$repo" && JAVA_HOME=$java_home MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
  mvn -q -B -o test-compile -pl kiln-fs)
cp="$repo/kiln-fs/target/classes:$repo/kiln-fs/target/test-classes"
(cd "$repo" && mvn -q -B -o dependency:build-classpath -pl kiln-fs -Dmdep.outputFile="$work/inline-rom.classpath" >/dev/null)
cp="$cp:$(cat "$work/inline-rom.classpath")"
seconds=${1:-10}
{
  echo "# Inline-ROM builds: kiln in-process vs mkfs.erofs"
  echo
  echo "$(date -u +%Y-%m-%d), commit $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, $(uname -r), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Each build: 16 files of 4 KiB (8 in /etc/app, 8 in /etc/app/conf.d), uncompressed EROFS, mtime 0;"
  echo "64 distinct file sets in turn. kiln: ImageBuild.toBytes() in one JVM (serial GC as ./kiln runs it),"
  echo "${seconds} s after a warm-up; mkfs.erofs: the same files from a directory, -T0 --all-root, a process per build."
  echo
  echo "| builder | client threads | builds | wall | builds/s | p50 | p99 |"
  echo "|---|---|---|---|---|---|---|"
  "$java_home/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC \
    -cp "$cp" dev.kiln.fs.build.InlineRomBench "$work" "$seconds" "$(nproc)"
} > "$results/inline-rom.md"
cat "$results/inline-rom.md"
