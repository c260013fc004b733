# Shared by the benchmark scripts: inputs, tools, and a summary table.
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/.." && pwd)
work=${KILN_BENCH_WORK:-$bench_dir/work}
results=$bench_dir/results
mkdir -p "$work" "$results"

need() {
  local missing=()
  for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: missing tools: ${missing[*]} (Debian: apt-get install hyperfine time cpio libarchive-tools erofs-utils)" >&2
    exit 2
  fi
}

# make_small_tree DIR COUNT: COUNT files of 0-2 KiB, 100 per directory, 1000 per top directory
# (the same files for the same COUNT); nothing happens when DIR exists.
make_small_tree() {
  [ -d "$1" ] && return 0
  echo "bench: creating $2 small files in $1" >&2
  python3 - "$1" "$2" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
r = random.Random(42)
for i in range(count):
    d = os.path.join(root, "d%03d" % (i // 1000), "s%02d" % ((i // 100) % 10))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    size = r.randint(0, 2048)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write((b"kiln small file %d\n" % i) * (size // 20 + 1))
PY
}

# The two input trees of the issue: a copy of /usr/share (the /usr tree) and 100 000 small files.
prepare_trees() {
  if [ ! -d "$work/usr-share" ]; then
    echo "bench: copying /usr/share to $work/usr-share" >&2
    cp -a /usr/share "$work/usr-share"
  fi
  make_small_tree "$work/small-100k" 100000
  # Warm the page cache so every tool reads from memory.
  find "$work/usr-share" "$work/small-100k" -type f -print0 | xargs -0 cat > /dev/null
  # kiln builds itself on first use; do it outside the timings.
  "$repo/kiln" --version >/dev/null
}

tree_stats() {
  local files bytes
  files=$(find "$1" | wc -l)
  bytes=$(du -sb "$1" | cut -f1)
  echo "$files $bytes"
}

# peak_rss_mb CMD...: runs CMD once under /usr/bin/time -v and prints the peak RSS in MB.
peak_rss_mb() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log"
  rm -f "$log"
}

# interleaved_runs RUNS OUT.json NAME PREPARE COMMAND [NAME PREPARE COMMAND]...: one warm-up
# round, then RUNS timed rounds, each running every COMMAND once in turn (PREPARE before it,
# untimed). OUT.json holds hyperfine's fields (times, median, mean, stddev) plus median user and
# system CPU; a failing command ends the benchmark.
interleaved_runs() {
  python3 - "$@" <<'PY'
import json, os, statistics, subprocess, sys, time
runs, out, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
tools = [(args[i], args[i + 1], args[i + 2]) for i in range(0, len(args), 3)]
times = {name: [] for name, _, _ in tools}
for round in range(runs + 1):
    for name, prepare, command in tools:
        subprocess.run(prepare, shell=True, check=True)
        t0 = time.perf_counter()
        p = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if status != 0:
            sys.exit(f"bench: {name} failed: {command}")
        if round > 0:
            times[name].append((wall, usage.ru_utime, usage.ru_stime))
results = []
for name, _, command in tools:
    w = [t[0] for t in times[name]]
    results.append({"command": name, "commandline": command, "times": w, "median": statistics.median(w), "mean": statistics.mean(w),
                    "stddev": statistics.stdev(w) if len(w) > 1 else 0, "user": statistics.median(t[1] for t in times[name]),
                    "system": statistics.median(t[2] for t in times[name])})
    print(f"{name}: median {statistics.median(w):.2f} s of {', '.join(f'{x:.2f}' for x in w)}", file=sys.stderr)
json.dump({"results": results}, open(out, "w"), indent=2)
PY
}
