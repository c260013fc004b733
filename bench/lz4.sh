#!/usr/bin/env bash
# LZ4 block compressors: kiln (pure Java) vs liblz4 1.9 (Debian liblz4-1, called through FFM),
# same inputs, same process, single thread, after warm-up. Writes bench/results/lz4.md.
# "destSize 4K" fills consecutive 4 KiB outputs from 64 KiB input windows, as the EROFS writer
# does; its byte column is the total of those 4 KiB pclusters.
. "$(dirname "$0")/lib.sh"
[ -e /usr/lib/x86_64-linux-gnu/liblz4.so.1 ] || { echo "bench: apt-get install liblz4-1" >&2; exit 2; }
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
(cd "$repo" && JAVA_HOME=$java_home MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
  mvn -q -B -o test-compile -pl kiln-fs)
cp="$repo/kiln-fs/target/classes:$repo/kiln-fs/target/test-classes"
{
  echo "# LZ4: kiln vs liblz4"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Inputs: 1 MiB of /usr/share/common-licenses + /usr/share/doc text, 1 MiB of /usr/bin binaries,"
  echo "1 MiB of synthetic words (3000-word vocabulary)."
  sample=()
  if [ -d "$work/usr-share" ]; then
    # Real data as the EROFS writer sees it: every 12th file over 4 KiB of the benchmark's
    # /usr/share copy, gzip files left out (the writer probes those with the fast compressor).
    echo "And 32 MiB sampled from the benchmark's copy of /usr/share (every 12th file over 4 KiB, no gzip)."
    sample=("$work/usr-share")
  fi
  echo
  "$java_home/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$cp" dev.kiln.fs.lz4.Lz4Bench "${1:-all}" "${sample[@]}"
} > "$results/lz4.md"
cat "$results/lz4.md"
