#!/usr/bin/env bash
# A/B: the CLI at an older commit against the working tree, on the EROFS and cpio benchmark
# builds, runs interleaved (old, new, new, old, ...) so drift and background load hit both
# sides alike. Usage: bench/ab.sh OLD_REV [ROUNDS]. Writes bench/results/ab-<old>-<new>.md.
. "$(dirname "$0")/lib.sh"
need /usr/bin/time
old=$(git -C "$repo" rev-parse --short "${1:?usage: bench/ab.sh OLD_REV [ROUNDS]}")
new=$(git -C "$repo" rev-parse --short HEAD)
rounds=${2:-6}
prepare_trees
tree_old=$work/ab-$old
if [ ! -d "$tree_old" ]; then
  git -C "$repo" worktree add --detach "$tree_old" "$old" >/dev/null
fi
"$tree_old/kiln" --version >/dev/null
out=$work/out
mkdir -p "$out"
uuid=2f3d8e52-5c0b-4b8e-9a59-1c1f3a0b7e11
cases=(
  "usr-share cpio|build $work/usr-share -o $out/X.cpio -q"
  "usr-share erofs none|build $work/usr-share -o $out/X.erofs --owner root --mtime 0 --uuid $uuid -q"
  "usr-share erofs lz4|build $work/usr-share -o $out/X.erofs --owner root --mtime 0 --uuid $uuid --compress lz4 --pcluster 64K -q"
  "small-100k cpio|build $work/small-100k -o $out/X.cpio -q"
  "small-100k erofs none|build $work/small-100k -o $out/X.erofs --owner root --mtime 0 --uuid $uuid -q"
)
timed() { # prints the wall seconds of one fresh-output run
  rm -f "$out"/X.*; sync
  /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1
}
{
  echo "# A/B: kiln at $old (old) against $new (new)"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "$rounds rounds per case, old and new interleaved (the order alternates each round); every run writes"
  echo "a fresh output (old ones deleted, then sync). Median wall seconds; new/old < 1 means faster."
  echo
  echo "| case | old median s | new median s | new/old | old runs | new runs |"
  echo "|---|---|---|---|---|---|"
} > "$results/ab-$old-$new.md"
for c in "${cases[@]}"; do
  name=${c%%|*}; args=${c#*|}
  a=(); b=()
  for ((i = 0; i < rounds; i++)); do
    if ((i % 2 == 0)); then
      a+=("$(timed "$tree_old/kiln" $args)"); b+=("$(timed "$repo/kiln" $args)")
    else
      b+=("$(timed "$repo/kiln" $args)"); a+=("$(timed "$tree_old/kiln" $args)")
    fi
  done
  python3 - "$name" "${a[*]}" "${b[*]}" >> "$results/ab-$old-$new.md" <<'PY'
import statistics, sys
name, a, b = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
ma, mb = statistics.median(a), statistics.median(b)
print(f"| {name} | {ma:.2f} | {mb:.2f} | {mb/ma:.3f} | {' '.join(f'{x:.2f}' for x in a)} | {' '.join(f'{x:.2f}' for x in b)} |")
PY
done
cat "$results/ab-$old-$new.md"
