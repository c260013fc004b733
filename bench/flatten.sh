#!/usr/bin/env bash
# Flattening a container image into an LZ4HC EROFS root filesystem: kiln (the image's layers read
# straight into the EROFS writer) vs umoci unpack followed by mkfs.erofs of the unpacked rootfs,
# side by side in one run. Writes bench/results/flatten.md and flatten.json (hyperfine raw data).
#
# The image: five gzip layers made of parts of /usr/share (about 300 MB uncompressed), the upper
# ones also deleting a few files of the lower ones, assembled by umoci (umoci raw add-layer).
# kiln runs through a small Java main in kiln-oci's test sources (dev.kiln.oci.bench.Flatten)
# until `kiln build` takes container images, with the JVM flags ./kiln uses for LZ4HC.
. "$(dirname "$0")/lib.sh"
need hyperfine /usr/bin/time mkfs.erofs umoci
uuid=2f3d8e52-5c0b-4b8e-9a59-1c1f3a0b7e11
img=$work/flatten-image
out=$work/flatten-out
mkdir -p "$out"

if [ ! -d "$img" ]; then
  echo "bench: building a 5-layer image from /usr/share in $img" >&2
  parts=$work/flatten-parts
  rm -rf "$parts" && mkdir -p "$parts"
  # Five bins of top-level /usr/share directories, up to 92 MB each, largest first.
  python3 - "$parts" <<'PY'
import os, subprocess, sys
parts = sys.argv[1]
sizes = []
for name in sorted(os.listdir("/usr/share")):
    p = os.path.join("/usr/share", name)
    if os.path.islink(p) or not os.path.isdir(p):
        continue
    kb = int(subprocess.run(["du", "-sk", p], capture_output=True, text=True).stdout.split()[0])
    sizes.append((kb, name))
sizes.sort(reverse=True)
bins = [[0, []] for _ in range(5)]
budget = 92 * 1024
for kb, name in sizes:
    b = min(bins, key=lambda x: x[0])
    if b[0] + kb > budget:
        if kb > budget and b[0] == 0:
            pass  # a directory bigger than a bin is split below, by its subdirectories
        else:
            continue
    b[0] += kb
    b[1].append(name)
for i, (kb, names) in enumerate(bins):
    with open(os.path.join(parts, "layer%d.list" % i), "w") as f:
        f.write("\n".join(names) + "\n")
PY
  for i in 0 1 2 3 4; do
    args=()
    while read -r d; do
      [ -n "$d" ] || continue
      if [ "$(du -sk "/usr/share/$d" | cut -f1)" -gt $((92 * 1024)) ]; then
        # Too big for one layer: its entries in name order that fit in the bin's size.
        total=0
        for s in $(ls "/usr/share/$d" | sort); do
          k=$(du -sk "/usr/share/$d/$s" | cut -f1)
          [ $((total + k)) -gt $((92 * 1024)) ] && continue
          total=$((total + k)); args+=("usr/share/$d/$s")
        done
      else
        args+=("usr/share/$d")
      fi
    done < "$parts/layer$i.list"
    tar -C / --numeric-owner -cf "$parts/layer$i.tar" "${args[@]}"
    if [ "$i" -gt 0 ]; then
      # An upper layer also deletes the first three files of the layer below (OCI whiteouts).
      mkdir -p "$parts/wh$i"
      tar -tf "$parts/layer$((i - 1)).tar" | awk '!/\/$/ && n < 3 {print; n++}' | while read -r f; do
        mkdir -p "$parts/wh$i/$(dirname "$f")"
        : > "$parts/wh$i/$(dirname "$f")/.wh.$(basename "$f")"
      done
      tar -C "$parts/wh$i" --numeric-owner -rf "$parts/layer$i.tar" .
    fi
  done
  umoci init --layout "$img"
  umoci new --image "$img:bench"
  for i in 0 1 2 3 4; do umoci raw add-layer --image "$img:bench" "$parts/layer$i.tar"; done
  rm -rf "$parts"
fi

# kiln's side: the kiln-oci classes and their dependencies.
"$repo/kiln" --version >/dev/null   # builds kiln-fs and kiln-cli on first use
. "$repo/scripts/jdk.sh"; kiln_find_jdk
cp_file=$work/flatten.classpath
(cd "$repo" && JAVA_HOME="$KILN_JAVA_HOME" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
  mvn -B -ntp -q install -DskipTests -pl kiln-fs,kiln-oci && \
  JAVA_HOME="$KILN_JAVA_HOME" mvn -B -ntp -q dependency:build-classpath -pl kiln-oci -Dmdep.outputFile="$cp_file" >/dev/null)
# kiln-fs from this checkout, not the copy in the local Maven repository, which other checkouts' builds replace.
classpath="$repo/kiln-oci/target/test-classes:$repo/kiln-oci/target/classes:$(tr ':' '\n' < "$cp_file" | sed "s|.*/dev/kiln/kiln-fs/.*|$repo/kiln-fs/target/classes|" | paste -sd:)"
kiln_cmd="$KILN_JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -Xmn32m -XX:PretenureSizeThreshold=1m -XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile=$repo/scripts/c2-compressors.json -XX:-DisplayVMOutput -cp $classpath dev.kiln.oci.bench.Flatten oci:$img:bench $out/kiln.erofs $uuid"
umoci_cmd="umoci unpack --image $img:bench $out/bundle >/dev/null && mkfs.erofs -zlz4hc -C65536 -T0 --all-root -U $uuid $out/mkfs.erofs $out/bundle/rootfs >/dev/null"

cat "$img"/blobs/sha256/* > /dev/null   # warm the page cache
layers=$(python3 -c "import json,sys; d='$img'; i=json.load(open(d+'/index.json'))['manifests'][0]['digest'][7:]; m=json.load(open(d+'/blobs/sha256/'+i)); print(len(m['layers']), sum(l['size'] for l in m['layers']))")
json=$results/flatten.json
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --prepare "rm -rf $out/kiln.erofs $out/mkfs.erofs $out/bundle; sync" --runs 3 --export-json "$json" \
  -n kiln "$kiln_cmd" -n "umoci unpack + mkfs.erofs" "$umoci_cmd"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
rss_kiln=$(peak_rss_mb bash -c "$kiln_cmd")
uncompressed=$(du -sb "$out/bundle/rootfs" | cut -f1)
rm -rf "$out/bundle"
size_kiln=$(stat -c %s "$out/kiln.erofs"); size_mkfs=$(stat -c %s "$out/mkfs.erofs")
# Both images must hold the same tree.
"$repo/kiln" diff "$out/kiln.erofs" "$out/mkfs.erofs" --no-owners --no-mtimes >/dev/null || { echo "bench: kiln's and mkfs.erofs's images differ" >&2; exit 1; }
python3 - "$json" "$rss_kiln" "$size_kiln" "$size_mkfs" "$layers" "$uncompressed" "$load_before" "$load_after" > "$results/flatten.md" <<'PY'
import json, sys, datetime, os, subprocess
data = json.load(open(sys.argv[1]))
rss, size_k, size_m = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
n_layers, blob_bytes = sys.argv[5].split()
unc = int(sys.argv[6])
stats = {r["command"]: (r["median"], r["mean"], r["stddev"] or 0, r["times"]) for r in data["results"]}
k, u = stats["kiln"], stats["umoci unpack + mkfs.erofs"]
mkfs = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "erofs-utils"], capture_output=True, text=True).stdout
umoci = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "umoci"], capture_output=True, text=True).stdout
print("# Flattening a container image into an LZ4HC EROFS rootfs: kiln vs umoci unpack + mkfs.erofs")
print()
print(f"{datetime.date.today()}, {os.cpu_count()} cores, {os.uname().release}, warm page cache, each run writing a fresh image (old outputs deleted, then sync).")
print()
print(f"Image: {n_layers} gzip layers of parts of /usr/share ({int(blob_bytes)/1e6:.0f} MB of blobs, {unc/1e6:.0f} MB unpacked by umoci; upper layers delete files of lower ones), assembled by umoci {umoci} (`umoci raw add-layer`).")
print(f"kiln: `dev.kiln.oci.bench.Flatten` (a Java main in kiln-oci's test sources calling `ImageBuild` with `ContainerImageSource`; `kiln build` does not take container images yet), with ./kiln's JVM flags for LZ4HC.")
print(f"Other side: `umoci unpack` then `mkfs.erofs {mkfs} -zlz4hc -C65536` of the unpacked rootfs, in one timed command.")
print("Equal settings: all-root, mtime 0, fixed UUID, LZ4HC, 64 KiB pclusters; the two images hold the same tree (`kiln diff --no-owners --no-mtimes`).")
print()
print("| tool | wall s median | wall s (mean ± σ) | runs | image MB | kiln/other time | kiln/other size |")
print("|---|---|---|---|---|---|---|")
rt = k[0] / u[0]
print(f"| kiln | {k[0]:.2f} | {k[1]:.2f} ± {k[2]:.2f} | {', '.join(f'{t:.2f}' for t in k[3])} | {size_k/1e6:.1f} | {rt:.3f}× | {size_k/size_m:.3f}× |")
print(f"| umoci unpack + mkfs.erofs | {u[0]:.2f} | {u[1]:.2f} ± {u[2]:.2f} | {', '.join(f'{t:.2f}' for t in u[3])} | {size_m/1e6:.1f} | | |")
print()
print(f"Goal: kiln ≤ 0.5× the wall time: {'met' if rt <= 0.5 else 'not met'} ({rt:.3f}×). kiln's peak RSS: {rss} MB.")
print()
print(f"Load average (1, 5, 15 min) before the timed runs: {sys.argv[7]}; after: {sys.argv[8]} (other work on the machine shows as spread between runs).")
PY
cat "$results/flatten.md"
