#!/usr/bin/env bash
# EROFS: kiln vs mkfs.erofs (Debian's 1.5) with equal settings, side by side in one run.
# Writes bench/results/erofs.md (table) and erofs-<tree>-<mode>.json (hyperfine raw data).
. "$(dirname "$0")/lib.sh"
need hyperfine /usr/bin/time mkfs.erofs
prepare_trees
out=$work/out
mkdir -p "$out"
uuid=2f3d8e52-5c0b-4b8e-9a59-1c1f3a0b7e11
mkfs_version="mkfs.erofs $(dpkg-query -W -f='${Version}' erofs-utils 2>/dev/null || echo "(version unknown)")"
{
  echo "# EROFS: kiln vs $mkfs_version"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), warm page cache, each run writing a fresh image (old ones deleted, then sync). Equal settings: all-root, mtime 0, fixed UUID, same algorithm and pcluster."
  echo
  echo "Time ratios use the median of the timed runs (the mean is shown with its spread)."
  echo
  echo "| tree | mode | tool | wall s median | wall s (mean ± σ) | image MB | peak RSS MB | kiln/mkfs time | kiln/mkfs size |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$results/erofs.md"
for tree in usr-share small-100k; do
  src=$work/$tree
  for mode in none lz4 lz4hc; do
    case $mode in
      none) mk=""; kz="" ;;
      lz4) mk="-zlz4 -C65536"; kz="--compress lz4 --pcluster 64K" ;;
      lz4hc) mk="-zlz4hc -C65536"; kz="--compress lz4hc --pcluster 64K" ;;
    esac
    json=$results/erofs-$tree-$mode.json
    runs=5; [ "$mode" = lz4hc ] && runs=3
    # Each run writes a fresh image: the previous ones are deleted and synced first. Otherwise
    # a run pays at random for the previous run's writeback, or for discarding its blocks when
    # it replaces the file (the disk is mounted with discard): single runs varied from 1.3 to 3 s.
    hyperfine --prepare "rm -f $out/kiln.erofs $out/mkfs.erofs; sync" --warmup 1 --runs $runs --export-json "$json" \
      -n kiln "$repo/kiln build $src -o $out/kiln.erofs --owner root --mtime 0 --uuid $uuid $kz -q" \
      -n mkfs.erofs "mkfs.erofs -T0 --all-root -U $uuid $mk $out/mkfs.erofs $src"
    rss_kiln=$(peak_rss_mb "$repo/kiln" build "$src" -o "$out/kiln.erofs" --owner root --mtime 0 --uuid $uuid $kz -q)
    rss_mkfs=$(peak_rss_mb mkfs.erofs -T0 --all-root -U $uuid $mk "$out/mkfs.erofs" "$src")
    size_kiln=$(stat -c %s "$out/kiln.erofs"); size_mkfs=$(stat -c %s "$out/mkfs.erofs")
    python3 - "$json" "$tree" "$mode" "$rss_kiln" "$rss_mkfs" "$size_kiln" "$size_mkfs" >> "$results/erofs.md" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
tree, mode = sys.argv[2], sys.argv[3]
rss = {"kiln": sys.argv[4], "mkfs.erofs": sys.argv[5]}
size = {"kiln": int(sys.argv[6]), "mkfs.erofs": int(sys.argv[7])}
stats = {r["command"]: (r["median"], r["mean"], r["stddev"] or 0) for r in data["results"]}
rt = stats["kiln"][0] / stats["mkfs.erofs"][0]
rs = size["kiln"] / size["mkfs.erofs"]
for name in ["kiln", "mkfs.erofs"]:
    med, m, s = stats[name]
    extra = f"{rt:.3f}× | {rs:.3f}×" if name == "kiln" else " | "
    print(f"| {tree} | {mode} | {name} | {med:.2f} | {m:.2f} ± {s:.2f} | {size[name]/1e6:.1f} | {rss[name]} | {extra} |")
PY
  done
done
cat "$results/erofs.md"
