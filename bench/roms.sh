#!/usr/bin/env bash
# The ROM issue's goals against a real ./kiln serve on loopback (issue 19):
# - 1 000 POST /v1/instances without autostart, each with its own 4 KiB inline ROM, 16 concurrent
#   clients: >= 500 creates/s, p99 <= 40 ms; the same load without ROMs, interleaved, as the baseline;
# - 1 000 creates sharing one inline ROM store it once (blobs in DATA/roms/sha256 counted after);
# - initrd composition (64 MiB base + 1 MiB ROM at `at`): <= 100 ms first, <= 2 ms cached, taken
#   from bench/compose.sh (run here unless ROMS_COMPOSE=reuse, then its last results are read);
# - the probe guest booted through kiln versus kiln's own QEMU argv run by hand: kiln adds <= 20 ms
#   at the median (interval and sides: BootVsQemu's class comment).
# Writes bench/results/roms.md and roms.json. ROMS_ROUNDS (3) create rounds per side, ROMS_BOOTS
# (30) boot rounds.
. "$(dirname "$0")/lib.sh"
need curl python3 qemu-system-x86_64
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
rounds=${ROMS_ROUNDS:-3}
boots=${ROMS_BOOTS:-30}
# test-compile builds the drivers; ./kiln packages kiln.jar when stale (nothing is installed). The
# drivers run on kiln.jar's class path (BootVsQemu calls kiln's VMM directly).
(cd "$repo" && JAVA_HOME=$java_home MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow mvn -q -B -o test-compile -pl kiln-platform -am)
"$repo/kiln" --version >/dev/null
java=("$java_home/bin/java" -XX:+UseSerialGC -cp "$repo/kiln-platform/target/test-classes:$repo/kiln-cli/target/kiln.jar")
data=$work/roms-data
port=18082
url=http://127.0.0.1:$port
load() { cut -d' ' -f1-3 /proc/loadavg; }
rm -rf "$data" "$work/roms-by-hand"
mkdir -p "$data"
printf 'hello\n' > "$work/roms-motd"
"$repo/kiln" pack --kernel "$repo/test-guests/unikraft-probe/kernel-qemu-x86_64" --rootfs "$work/roms-motd:/etc/motd" \
  -o "oci:$data/images:probe:latest" 2>/dev/null
# The server logs its collections (a line per pause; the pauses are part of the latencies).
gclog=$work/roms-gc.log
KILN_JAVA_OPTS="${KILN_JAVA_OPTS:-} -Xlog:gc:file=$gclog" "$repo/kiln" serve --data "$data" --listen 127.0.0.1:$port > "$work/roms-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$data/token" 2>/dev/null)" "$url/v1/instances?count=1"; do sleep 0.02; done
token=$(cat "$data/token")
tick_ms=$((1000 / $(getconf CLK_TCK)))
# The server's CPU time so far (user + system), in ms.
server_cpu() { awk -v t="$tick_ms" '{print ($14 + $15) * t}' "/proc/$server/stat"; }
# gc_pauses FROM-LINE: the server's full and young collections logged after that line, as JSON fields.
gc_pauses() {
  tail -n +"$(( $1 + 1 ))" "$gclog" | awk '/Pause Full/ {f++; fs+=$NF+0; if ($NF+0 > fm) fm=$NF+0} /Pause Young/ {y++; ys+=$NF+0}
    END {printf "\"full_gcs\":%d,\"full_gc_ms\":%.1f,\"full_gc_max_ms\":%.1f,\"young_gcs\":%d,\"young_gc_ms\":%.1f", f, fs, fm, y, ys}'
}
# creates COUNT CLIENTS PREFIX ROM: RomCreateLoad's JSON line, plus the server's CPU time and collections during the run.
creates() {
  local c0 g0 line
  c0=$(server_cpu)
  g0=$(wc -l < "$gclog")
  line=$("${java[@]}" dev.kiln.platform.bench.RomCreateLoad "$url" "$token" probe:latest "$@")
  echo "${line%\}},\"server_cpu_ms\":$(( $(server_cpu) - c0 )),$(gc_pauses "$g0")}"
}
blobs() { find "$data/roms/sha256" -type f ! -name '.*' 2>/dev/null | wc -l; }
blob_bytes() { find "$data/roms/sha256" -type f ! -name '.*' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
# delete PREFIX COUNT: deletes PREFIX0..PREFIX(COUNT-1), 500 per request (untimed).
delete() {
  python3 - "$1" "$2" > "$work/roms-delete.txt" <<'PY'
import json, sys
p, n = sys.argv[1], int(sys.argv[2])
for i in range(0, n, 500):
    print(json.dumps([{"name": f"{p}{k}"} for k in range(i, min(n, i + 500))]))
PY
  while read -r body; do
    curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "$url/v1/instances"
  done < "$work/roms-delete.txt"
}

out=$work/roms-run.json
{
  echo "{\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"commit\":\"$(git -C "$repo" rev-parse --short HEAD)\",\"cores\":$(nproc),\"kernel\":\"$(uname -r)\","
  echo "\"load_before\":\"$(load)\","
  # Warm-up: the server's JIT and the client's, both kinds of body.
  creates 2000 16 warmbase none > /dev/null
  creates 2000 16 warmrom distinct > /dev/null
  echo "\"load_after_warmup\":\"$(load)\",\"creates\":["
  for r in $(seq 1 "$rounds"); do
    [ "$r" -gt 1 ] && echo ","
    creates 1000 16 "base$r-" none
    echo ","
    creates 1000 16 "rom$r-" distinct
  done
  # The same two loads with 4 clients: how much of the tail is 16 requests queueing on 2 cores.
  echo "],\"creates_4_clients\":["
  creates 1000 4 q4base- none
  echo ","
  creates 1000 4 q4rom- distinct
  echo "],\"load_after_creates\":\"$(load)\","
  echo "\"distinct\":{\"rom_instances\":$((3000 + 1000 * rounds)),\"blobs\":$(blobs),\"bytes\":$(blob_bytes)},"
  delete warmbase 2000; delete warmrom 2000
  for r in $(seq 1 "$rounds"); do delete "base$r-" 1000; delete "rom$r-" 1000; done
  delete q4base- 1000; delete q4rom- 1000
  echo "\"after_delete\":{\"blobs\":$(blobs),\"bytes\":$(blob_bytes)},"
  echo "\"shared\":$(creates 1000 16 shared- shared | tr -d '\n'),"
  echo "\"shared_store\":{\"instances\":1000,\"blobs\":$(blobs),\"bytes\":$(blob_bytes),\"db_bytes\":$(du -cb "$data"/kiln.db* | tail -1 | cut -f1)},"
  delete shared- 1000
  echo "\"load_before_boots\":\"$(load)\","
  echo "\"boot\":$("${java[@]}" dev.kiln.platform.bench.BootVsQemu "$url" "$token" probe:latest "$boots" "$data" "$work/roms-by-hand"),"
  echo "\"load_after_boots\":\"$(load)\"}"
} > "$out"
kill "$server"; wait "$server" 2>/dev/null || true
trap - EXIT

if [ "${ROMS_COMPOSE:-run}" != reuse ]; then "$bench_dir/compose.sh" > /dev/null; fi

python3 - "$out" "$results/compose.md" "$results/roms.json" "$results/roms.md" <<'PY'
import json, math, re, statistics, sys
run = json.load(open(sys.argv[1]))
compose_md = open(sys.argv[2]).read()
med = statistics.median

def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(len(s) * p) - 1))] if s else float("nan")

# Composition rows of bench/compose.sh ("In the server"), EROFS ROM.
comp = {}
for what in ("first compose", "cache hit"):
    m = re.search(r"\| kiln, in-process \(warm JVM\), " + what + r", ROM rom.erofs \| (\d+) \| ([\d.]+) ms \| ([\d.]+) ms \| ([\d.]+) ms \|", compose_md)
    comp[what] = {"runs": int(m[1]), "p50_ms": float(m[2]), "p99_ms": float(m[3]), "max_ms": float(m[4])} if m else None
comp_head = re.search(r"^(\d{4}-\d\d-\d\d), commit (\w+).*load average before the run: ([\d. ]+)\.", compose_md, re.M)

base = [c for c in run["creates"] if c["rom"] == "none"]
rom = [c for c in run["creates"] if c["rom"] == "distinct"]
boot = run["boot"]["ms"]
argv = run["boot"]["argv"]
accel = argv[argv.index("-accel") + 1] if "-accel" in argv else "?"
k, h, p = med(boot["kiln"]), med(boot["hand"]), med(boot["paused"])
rom_med = {f: med(c[f] for c in rom) for f in ("creates_per_s", "p99_ms")}
goals = [
    {"goal": "1 000 creates, distinct 4 KiB inline ROM, 16 clients: throughput", "target": ">= 500 creates/s",
     "value": f"{rom_med['creates_per_s']:.0f} creates/s (median of {len(rom)} runs; worst {min(c['creates_per_s'] for c in rom):.0f})",
     "met": rom_med["creates_per_s"] >= 500},
    {"goal": "same load: p99 latency", "target": "<= 40 ms",
     "value": f"{rom_med['p99_ms']:.1f} ms (median of {len(rom)} runs; worst {max(c['p99_ms'] for c in rom):.1f})",
     "met": rom_med["p99_ms"] <= 40},
    {"goal": "1 000 creates sharing one inline ROM: stored once", "target": "1 blob",
     "value": f"{run['shared_store']['blobs']} blob, {run['shared_store']['bytes']:,} bytes", "met": run["shared_store"]["blobs"] == 1},
]
if comp["first compose"]:
    goals.append({"goal": "compose 64 MiB base + 1 MiB ROM, first time (bench/compose.sh, in-process)", "target": "<= 100 ms",
                  "value": f"p50 {comp['first compose']['p50_ms']:.1f} ms, max {comp['first compose']['max_ms']:.1f} ms ({comp['first compose']['runs']} runs)",
                  "met": comp["first compose"]["p50_ms"] <= 100})
    goals.append({"goal": "same, from the cache", "target": "<= 2 ms",
                  "value": f"p50 {comp['cache hit']['p50_ms']:.3f} ms, p99 {comp['cache hit']['p99_ms']:.3f} ms, max {comp['cache hit']['max_ms']:.1f} ms",
                  "met": comp["cache hit"]["p99_ms"] <= 2})
goals.append({"goal": "probe boot through kiln minus the same QEMU argv by hand, medians", "target": "<= 20 ms",
              "value": f"{k - h:.1f} ms ({k:.1f} - {h:.1f}, {len(boot['kiln'])} rounds)", "met": k - h <= 20})
json.dump({"run": run, "compose": comp, "goals": goals}, open(sys.argv[3], "w"), indent=1)

w = open(sys.argv[4], "w")
pr = lambda *a: print(*a, file=w)
pr("# ROMs on kiln serve: creates, storage, composition, boot (issue 19)")
pr()
pr(f"{run['date'][:10]}, commit {run['commit']}, {run['cores']} cores, {run['kernel']}. Load average (1/5/15 min) before the run "
   f"{run['load_before']}, after the warm-up {run['load_after_warmup']}, after the creates {run['load_after_creates']}, "
   f"before the boots {run['load_before_boots']}, after them {run['load_after_boots']}. The server is ./kiln serve (SQLite), the "
   f"clients a separate JVM on keep-alive HTTP/1.1, sharing the cores with it and with other work on the machine.")
pr()
pr("| goal | target | measured | met |")
pr("|---|---|---|---|")
for g in goals:
    pr(f"| {g['goal']} | {g['target']} | {g['value']} | {'yes' if g['met'] else '**no**'} |")
pr()
pr(f"## Creates (16 clients unless said, 1 000 each, after 2 000 of each kind as warm-up; baseline and ROM runs interleaved)")
pr()
pr("| run | ROM | wall | creates/s | p50 | p99 | max | server CPU per create | server's full GCs (total, longest) |")
pr("|---|---|---|---|---|---|---|---|---|")
def row(label, c):
    pr(f"| {label} | {c['wall_s']:.2f} s | {c['creates_per_s']:,.0f} | {c['p50_ms']:.1f} ms | {c['p99_ms']:.1f} ms | {c['max_ms']:.1f} ms | "
       f"{c['server_cpu_ms'] / c['creates']:.2f} ms | {c['full_gcs']} ({c['full_gc_ms']:.0f} ms, {c['full_gc_max_ms']:.0f} ms) |")
for i, c in enumerate(run["creates"]):
    row(f"{i // 2 + 1} | {'one distinct 4 KiB inline ROM' if c['rom'] == 'distinct' else 'none (baseline)'}", c)
row("- | the same 4 KiB ROM in all 1 000", run["shared"])
for c in run["creates_4_clients"]:
    row(f"4 clients | {'one distinct 4 KiB inline ROM' if c['rom'] == 'distinct' else 'none (baseline)'}", c)
pr()
cpu = lambda cs: med(c["server_cpu_ms"] / c["creates"] for c in cs)
q4 = {c["rom"]: c for c in run["creates_4_clients"]}
pr(f"A create with a distinct ROM costs the server {cpu(rom):.2f} ms of CPU against {cpu(base):.2f} ms without (medians; the ROM is "
   f"parsed, decoded, built into EROFS, hashed, written and renamed into `roms/sha256/`, and its files are encoded into the "
   f"instance's row and echoed in the answer). On 2 cores shared with the client the ROM runs reached a median of "
   f"{rom_med['creates_per_s']:.0f}/s, at which a closed loop of 16 clients waits 16 / rate = {16000 / rom_med['creates_per_s']:.0f} ms "
   f"per request on average (Little's law): the p99 is queueing, as in the baseline (p99 {med(c['p99_ms'] for c in base):.0f} ms at "
   f"{med(c['creates_per_s'] for c in base):.0f}/s). With 4 clients the same ROM load runs at {q4['distinct']['creates_per_s']:.0f}/s "
   f"with p99 {q4['distinct']['p99_ms']:.1f} ms. The server ran {med(c['full_gcs'] for c in rom):.0f} full collections per 1 000 ROM "
   f"creates (median; 3 before the EROFS metadata buffer was sized to the image, see docs/performance.md).")
pr()
d, a, ss = run["distinct"], run["after_delete"], run["shared_store"]
pr(f"Store: after the runs above, {d['rom_instances']:,} instances with a distinct ROM (and as many without) held {d['blobs']:,} ROM blobs ({d['bytes']:,} bytes, "
   f"{d['bytes'] / max(1, d['blobs']):,.0f} per 4 KiB ROM); after deleting them {a['blobs']} blobs. The shared run (on the emptied "
   f"store): {ss['blobs']} blob of {ss['bytes']:,} bytes in `roms/sha256/` for 1 000 instances; the SQLite files then took "
   f"{ss['db_bytes']:,} bytes (every instance record keeps its ROM's files, to echo them).")
pr()
pr("## Boot: kiln versus its own QEMU command by hand")
pr()
pr(f"The probe guest runs `exit=0` and powers QEMU off at once (isa-debug-exit); QEMU's `-accel {accel}`. "
   f"{len(boot['kiln'])} rounds after {run['boot']['warmup']} warm-up rounds, the four sides in rotating order each round.")
pr("kiln: `POST /v1/instances` (autostart) sent, then `GET /v1/instances/wait?state=stopped` until it answers. By hand: "
   "`ProcessBuilder.start()` of the argv read from `/proc/PID/cmdline` of a QEMU kiln started, without `-S`, in a directory "
   "with the same kernel and initrd linked, until QEMU exits (status 1 = `exit=0`, checked). Paused + QMP: the same argv with `-S`, "
   "connect to QMP, `qmp_capabilities`, `cont`, until QEMU exits. kiln's VMM alone: `QemuVmm.start` of the same kernel, initrd, "
   "command line, memory and vCPUs in the client's JVM, until it reports the exit (kiln's launch code, no HTTP or SQLite).")
pr()
V = med(boot["vmm"])
pr("| side | median | p10 | p90 | parts (medians, ms after the start) |")
pr("|---|---|---|---|---|")
pr(f"| kiln serve | {k:.1f} ms | {pct(boot['kiln'], .1):.1f} ms | {pct(boot['kiln'], .9):.1f} ms | supervisor spawned {med(boot['kiln_spawned']):.1f}, "
   f"QEMU's pid read {med(boot['kiln_pid_recorded']):.1f}, POST answered {med(boot['kiln_post']):.1f} (the VMM's start, boot_time_us, "
   f"{med(boot['kiln_vmm_start']):.1f} of it), QEMU exited {med(boot['kiln_qemu_exit']):.1f}, stop saved (stopped_at) {med(boot['kiln_stopped_at']):.1f} |")
pr(f"| kiln's VMM alone | {V:.1f} ms | {pct(boot['vmm'], .1):.1f} ms | {pct(boot['vmm'], .9):.1f} ms | `start` returned {med(boot['vmm_start']):.1f} |")
pr(f"| by hand, paused + QMP | {p:.1f} ms | {pct(boot['paused'], .1):.1f} ms | {pct(boot['paused'], .9):.1f} ms | QMP greeting {med(boot['paused_greeting']):.1f}, "
   f"`cont` answered {med(boot['paused_cont']):.1f} |")
pr(f"| by hand | {h:.1f} ms | {pct(boot['hand'], .1):.1f} ms | {pct(boot['hand'], .9):.1f} ms | |")
pr()
per = lambda a, b: med([x - y for x, y in zip(boot[a], boot[b])])
before = med(boot["kiln_spawned"])
inside = per("kiln_qemu_exit", "kiln_spawned")
saved = per("kiln_stopped_at", "kiln_qemu_exit")
answered = per("kiln", "kiln_stopped_at")
pr(f"kiln adds **{k - h:.1f} ms** to the median boot. Its parts (medians of each round's differences; spawn and exit are the run "
   f"directory's file times, so good to the kernel's timestamp granularity, a few ms):")
pr()
pr(f"- {before:.1f} ms from the request to QEMU's supervisor spawned: HTTP, JSON, the instance saved in SQLite, the image resolved, "
   f"the run directory and its links, `ProcessBuilder` of `setsid sh`;")
pr(f"- {inside:.1f} ms from the spawn to QEMU's exit, {inside - h:+.1f} ms against QEMU by hand: the supervisor shell, polling for "
   f"QEMU's pidfile and QMP socket (5 ms sleeps), QMP and console set-up, `cont`. Starting paused and resuming over QMP costs "
   f"{p - h:+.1f} ms by hand; kiln's VMM alone, exit report included, {V - h:+.1f} ms;")
pr(f"- {saved:.1f} ms from QEMU's exit to the stop saved (the supervisor's exit, the JDK's reaper, QMP and console closed, the "
   f"instance read back; `stopped_at` is taken before the save's SQLite write);")
pr(f"- {answered:.1f} ms from there to the wait's answer at the client (the SQLite write, the waiter woken, its read and JSON, HTTP).")
pr()
if comp["first compose"]:
    pr("## Composition (bench/compose.sh's in-server rows, EROFS ROM)")
    pr()
    if comp_head:
        pr(f"Run by this script ({comp_head[1]}, commit {comp_head[2]}, load average {comp_head[3].strip()}); compose.sh rewrites "
           f"compose.md and compose.json. The goal is judged on the median first compose and on the p99 of the cache hits.")
        pr()
    pr("| what | runs | p50 | p99 | max |")
    pr("|---|---|---|---|---|")
    for what, c in comp.items():
        pr(f"| {what} | {c['runs']} | {c['p50_ms']:.3f} ms | {c['p99_ms']:.3f} ms | {c['max_ms']:.3f} ms |")
PY
cat "$results/roms.md"
