#!/usr/bin/env bash
# The guest memory a Unikraft 0.17 initrd really needs, against the rule kiln prints
# (UnikraftMemory). For every tree: kiln builds an initrd with --target unikraft and prints its
# figure; then the smallest QEMU -m with which the unikraft-probe guest extracts the initrd and
# walks all of it (PROBE-DONE errors=0) is found by bisection. Writes
# bench/results/unikraft-memory.md. Acceptance: the rule is never below the measured minimum
# and at most 25 % above it, for every tree.
#
# The probe kernel: $KILN_UNIKRAFT_PROBE, else ../shared/guests/unikraft-probe/kernel-qemu-x86_64
# next to the repository. Trees come from system directories and from seeded generators, so a
# rerun on the same system measures the same trees. ONLY=NAME,NAME measures a subset.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 python3
probe=${KILN_UNIKRAFT_PROBE:-$repo/../shared/guests/unikraft-probe/kernel-qemu-x86_64}
[ -f "$probe" ] || { echo "bench: no Unikraft probe kernel at $probe (set KILN_UNIKRAFT_PROBE)" >&2; exit 2; }
trees=$work/uk-mem
out=$work/uk-mem-out
mkdir -p "$trees" "$out"
"$repo/kiln" --version >/dev/null

# gen NAME PYTHON: runs PYTHON with the tree's directory as sys.argv[1], once.
gen() {
  local dir=$trees/$1
  [ -d "$dir" ] && return 0
  echo "bench: generating $1" >&2
  python3 - "$dir.tmp" <<PY
import os, random, sys
root = sys.argv[1]
os.makedirs(root, exist_ok=True)
r = random.Random(16)
def put(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(r.randbytes(size))
$2
PY
  mv "$dir.tmp" "$dir"
}

# copy NAME SOURCES...: a part of a system directory, copied once.
copy() {
  local dir=$trees/$1
  shift
  [ -d "$dir" ] && return 0
  mkdir -p "$dir.tmp"
  cp -a "$@" "$dir.tmp/"
  mv "$dir.tmp" "$dir"
}

gen tiny-app 'put(root + "/etc/app/config.json", 29); put(root + "/bin/app", 300_000)'
for n in 500 2000 8000; do
  gen small-$n "for i in range($n): put(f'{root}/d{i // 100:03d}/f{i:05d}', r.randint(0, 4096))"
done
gen pages-4096x1000 "for i in range(1000): put(f'{root}/d{i // 100}/f{i:04d}', 4096)"
gen pages-4097x1000 "for i in range(1000): put(f'{root}/d{i // 100}/f{i:04d}', 4097)"
gen large-4x3M "for i in range(4): put(f'{root}/f{i}', 3 << 20)"
gen large-8x1M+1 "for i in range(8): put(f'{root}/f{i}', (1 << 20) + 1)"
gen large-1x24M "put(root + '/f', 24 << 20)"
gen large-2x40M "for i in range(2): put(f'{root}/f{i}', 40 << 20)"
gen links-2000 "
for i in range(200): put(f'{root}/t/f{i:03d}', r.randint(1, 2000))
os.makedirs(root + '/l')
for i in range(2000): os.symlink(f'../t/f{i % 200:03d}', f'{root}/l/l{i:04d}')"
gen deep-60x5 "
p = root
for level in range(60):
    p += '/level'
    for i in range(5): put(f'{p}/f{i}', r.randint(0, 3000))"
gen deep-120x1 "
p = root
for level in range(120):
    p += '/d'
    put(p + '/f', 100)"
gen deep-15x250 "
p = root
for level in range(15):
    p += '/' + chr(97 + level) * 250
    for i in range(40): put(f'{p}/f{i:02d}', r.randint(0, 1000))"
for spec in 500:1 2000:2; do
  gen mixed-${spec%%:*} "
dirs = [root]
for i in range(${spec%%:*}):
    if r.random() < 0.1:
        d = os.path.join(r.choice(dirs), f'd{i}')
        os.makedirs(d)
        dirs.append(d)
    else:
        put(os.path.join(r.choice(dirs), f'f{i}'), int(2 ** r.uniform(0, 21)) if r.random() > 0.05 else 0)"
done
copy zoneinfo-America /usr/share/zoneinfo/America
copy doc-a-f /usr/share/doc/[a-f]*

sources=(
  tiny-app small-500 small-2000 small-8000 pages-4096x1000 pages-4097x1000
  large-4x3M large-8x1M+1 large-1x24M large-2x40M links-2000
  deep-60x5 deep-120x1 deep-15x250 mixed-500 mixed-2000
  zoneinfo-America /usr/share/zoneinfo /usr/share/perl /usr/share/i18n /usr/share/vim
  /usr/share/icons doc-a-f /usr/share/doc /usr/share/locale
)

# boot MIB INITRD: "ok", or the first line that says why the guest did not get through.
boot() {
  local log
  log=$(mktemp)
  timeout 900 qemu-system-x86_64 -accel tcg -cpu max -nographic -nodefaults -serial stdio -display none \
    -m "$1" -no-reboot -kernel "$probe" -initrd "$2" \
    -append 'vfs.fstab=[ "initrd0:/:extract::ramfs=1:" ] -- walk=/' 2>&1 | tr -d '\r' > "$log" || true
  if grep -aq '^PROBE-DONE errors=0' "$log"; then
    echo ok
  else
    # ukcpio's and ukboot's messages, the walk's own errors, or a crash; prefixes trimmed.
    grep -aoE 'ERR: .*|WALK-ERR .*|CRIT: .*|qemu-system[^ ]*: .*' "$log" | head -1 \
      | sed -E 's#^(ERR|CRIT): +\[([a-z]+)\] <([^>]*)> /[^:]*$#\2 <\3>: the guest cut its message after a long path#;
               s/^(ERR|CRIT): +\[[a-z]+\] <[^>]*> //; s#^(/[^:]*): (.*)#\2 (\1)#' | cut -c1-100 | grep -a . \
      || if grep -aq '^PROBE-START' "$log"; then
           echo "the guest stopped without a message after walking $(grep -ac '^E ' "$log") entries"
         else
           echo "no PROBE-START and no message"
         fi
  fi
  rm -f "$log"
}

# bisect INITRD RULE: the smallest -m that boots, and why one MiB less does not.
bisect() {
  local lo=1 hi=$2 mid why
  while [ "$(boot "$hi" "$1")" != ok ]; do lo=$hi; hi=$((hi * 2)); done
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if [ "$(boot "$mid" "$1")" = ok ]; then hi=$mid; else lo=$mid; fi
  done
  why=$(boot $((hi - 1)) "$1")
  echo "$hi|$why"
}

rows=$out/rows
: > "$rows"
for src in "${sources[@]}"; do
  name=${src#/usr/share/}
  [ "$name" = "$src" ] || name=usr-share-$name
  if [ -n "${ONLY:-}" ] && [[ ",$ONLY," != *",$name,"* ]]; then continue; fi
  dir=$src
  [ -d "$dir" ] || dir=$trees/$src
  img=$out/$name.cpio
  log=$("$repo/kiln" build "$dir" -o "$img" --target unikraft --owner root --mtime 0 2>&1)
  rule=$(sed -nE 's/.*the guest needs at least ([0-9]+) MiB.*/\1/p' <<<"$log")
  [ -n "$rule" ] || { echo "bench: kiln printed no memory figure for $name:" >&2; echo "$log" >&2; exit 1; }
  entries=$(sed -nE 's/.*bytes, ([0-9,]+) entries\).*/\1/p' <<<"$log" | tr -d ,)
  files=$(find "$dir" -type f | wc -l)
  bytes=$(stat -c %s "$img")
  start=$(date +%s)
  result=$(bisect "$img" "$rule")
  measured=${result%%|*}
  echo "bench: $name: rule $rule MiB, measured $measured MiB ($(( $(date +%s) - start )) s)" >&2
  echo "$name|$entries|$files|$bytes|$measured|$rule|${result#*|}" >> "$rows"
  rm -f "$img"
done

{
  echo "# Unikraft 0.17 guest memory: measured minimum against kiln's rule"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), $(qemu-system-x86_64 --version | head -1) (TCG),"
  echo "unikraft-probe kernel $(sha256sum "$probe" | cut -c1-12). One bisection per tree."
  echo
  echo "Each initrd is built with \`kiln build DIR -o x.cpio --target unikraft --owner root --mtime 0\`, which"
  echo "prints the rule's figure (\`UnikraftMemory\`). The measured minimum is the smallest \`-m\` (MiB) with"
  echo "which the guest extracts the initrd and walks every entry, reading every file"
  echo "(\`-- walk=/\`, success = \`PROBE-DONE errors=0\`); the last column is what the guest"
  echo "printed with one MiB less (ukcpio's line 145 is \"Failed to load content\"; in the deep trees the"
  echo "guest also resets without a message in the middle of the probe's recursive walk)."
  echo
  echo "| tree | entries | files | archive bytes | measured minimum MiB | rule MiB | rule/measured | with 1 MiB less |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  awk -F'|' '{printf "| %s | %d | %d | %d | %d | %d | %.3f | %s |\n", $1, $2, $3, $4, $5, $6, $6 / $5, $7}' "$rows"
  echo
  awk -F'|' 'NR == 1 {lo = hi = $6 / $5} {r = $6 / $5; if (r < lo) lo = r; if (r > hi) hi = r; if ($6 < $5) below++; if (r > 1.25) above++}
    END {printf "Acceptance (never below the measured minimum, at most 25 %% above it): rule/measured from %.3f to %.3f over %d trees: %s.\n",
      lo, hi, NR, (below + above == 0 ? "met" : "NOT met (" below + 0 " below, " above + 0 " more than 25 % above)")}' "$rows"
  echo
  awk -F'|' '{old = int((2 * $4 + 16 * 1048576 + 1048575) / 1048576); if (old < $5) n++; if (NR == 1 || old / $5 < worst) {worst = old / $5; w = $1}}
    END {printf "The rule kiln printed before (2 × archive + 16 MiB) was below the measured minimum for %d of the %d trees (worst: %s, %.2f of it).\n", n, NR, w, worst}' "$rows"
} > "$results/unikraft-memory.md"
cat "$results/unikraft-memory.md"
