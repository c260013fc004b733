#!/usr/bin/env bash
# Peak memory as trees grow: kiln (EROFS and cpio) and mkfs.erofs 1.5 on 100 000, 300 000 and
# 1 000 000 small files, one run each (peak RSS from /usr/bin/time -v, wall time alongside).
# Writes bench/results/memory.md. The goals say "whatever the tree size"; this shows how far
# that holds.
. "$(dirname "$0")/lib.sh"
need /usr/bin/time mkfs.erofs
out=$work/out
mkdir -p "$out"
"$repo/kiln" --version >/dev/null
measure() { # LABEL CMD...: prints "| LABEL | wall s | peak RSS MB |"
  local log label=$1
  shift
  log=$(mktemp)
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  awk -F': ' -v l="$label" '/Elapsed \(wall clock\)/ {w=$2} /Maximum resident set size/ {r=$2/1024}
    END {n=split(w, p, ":"); s=(n==3 ? p[1]*3600+p[2]*60+p[3] : p[1]*60+p[2]); printf "| %s | %.2f | %.0f |\n", l, s, r}' "$log"
  rm -f "$log"
}
{
  echo "# Peak memory by tree size"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r). One run each; files of 0-2 KiB."
  echo
  echo "| tree / tool | wall s | peak RSS MB |"
  echo "|---|---|---|"
  for n in 100000 300000 1000000; do
    src=$work/small-$n
    [ $n = 100000 ] && src=$work/small-100k # the tree the other benchmarks use
    make_small_tree "$src" $n
    find "$src" -type f -print0 | xargs -0 cat > /dev/null
    measure "$n files: kiln EROFS" "$repo/kiln" build "$src" -o "$out/mem.erofs" --owner root --mtime 0 -q
    measure "$n files: mkfs.erofs 1.5" mkfs.erofs -T0 --all-root --quiet "$out/mem-mkfs.erofs" "$src"
    measure "$n files: kiln cpio" "$repo/kiln" build "$src" -o "$out/mem.cpio" --owner keep --mtime keep -q
  done
} > "$results/memory.md"
rm -f "$out/mem.erofs" "$out/mem-mkfs.erofs" "$out/mem.cpio"
cat "$results/memory.md"
