#!/usr/bin/env bash
# cpio newc: kiln vs GNU cpio vs bsdtar, side by side on the same trees in one run.
# Writes bench/results/cpio.md (table) and cpio-<tree>.json (hyperfine raw data).
. "$(dirname "$0")/lib.sh"
need hyperfine /usr/bin/time cpio bsdtar
prepare_trees
out=$work/out
mkdir -p "$out"
{
  echo "# cpio newc: kiln vs GNU cpio vs bsdtar"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), warm page cache, output on the same disk, each run writing a fresh image (old ones deleted, then sync)."
  echo
  echo "Ratios and rates use the median of the timed runs (the mean is shown with its spread)."
  echo
  echo "| tree | entries | MB | tool | wall s median | wall s (mean ± σ) | MB/s | files/s | peak RSS MB | vs fastest peer |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$results/cpio.md"
for tree in usr-share small-100k; do
  src=$work/$tree
  read -r files bytes < <(tree_stats "$src")
  json=$results/cpio-$tree.json
  # Each run writes a fresh image: the previous ones are deleted and synced first. Otherwise
  # a run pays at random for the previous run's writeback, or for discarding its blocks when
  # it replaces the file (the disk is mounted with discard): single runs varied from 1.3 to 3 s.
  hyperfine --prepare "rm -f $out/kiln.cpio $out/gnu.cpio $out/bsdtar.cpio; sync" --warmup 1 --runs 5 --export-json "$json" \
    -n kiln "$repo/kiln build $src -o $out/kiln.cpio --owner keep --mtime keep -q" \
    -n "gnu-cpio" "cd $src && find . | cpio -o -H newc --quiet > $out/gnu.cpio" \
    -n bsdtar "bsdtar --format newc -cf $out/bsdtar.cpio -C $src ."
  rss_kiln=$(peak_rss_mb "$repo/kiln" build "$src" -o "$out/kiln.cpio" --owner keep --mtime keep -q)
  rss_cpio=$(peak_rss_mb sh -c "cd $src && find . | cpio -o -H newc --quiet > $out/gnu.cpio")
  rss_bsdtar=$(peak_rss_mb bsdtar --format newc -cf "$out/bsdtar.cpio" -C "$src" .)
  python3 - "$json" "$tree" "$files" "$bytes" "$rss_kiln" "$rss_cpio" "$rss_bsdtar" >> "$results/cpio.md" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
tree, files, nbytes = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rss = dict(zip(["kiln", "gnu-cpio", "bsdtar"], sys.argv[5:8]))
stats = {r["command"]: (r["median"], r["mean"], r["stddev"] or 0) for r in data["results"]}
peer = min(stats["gnu-cpio"][0], stats["bsdtar"][0])
for name in ["kiln", "gnu-cpio", "bsdtar"]:
    med, m, s = stats[name]
    print(f"| {tree} | {files} | {nbytes/1e6:.0f} | {name} | {med:.2f} | {m:.2f} ± {s:.2f} | {nbytes/1e6/med:.0f} | {files/med:,.0f} | {rss[name]} | {med/peer:.2f}× |")
PY
done
cat "$results/cpio.md"
