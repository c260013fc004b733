package dev.kiln.platform.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import dev.kiln.platform.vmm.Accel;
import dev.kiln.platform.vmm.LaunchSpec;
import dev.kiln.platform.vmm.QemuVmm;
import dev.kiln.platform.vmm.VmExit;
import dev.kiln.platform.vmm.VmHandle;

/**
 * bench/roms.sh's boot comparison: the Unikraft probe guest running {@code exit=0} (it powers
 * QEMU off through isa-debug-exit at once), booted through kiln serve and by hand, interleaved.
 *
 * <ul>
 *   <li><b>kiln</b>: from sending {@code POST /v1/instances} with autostart to the answer of
 *       {@code GET /v1/instances/wait?state=stopped} (sent as soon as the POST answered); the
 *       instance is deleted after the clock stops.</li>
 *   <li><b>by hand</b>: from {@code ProcessBuilder.start()} of kiln's own QEMU argv, read from
 *       {@code /proc/PID/cmdline} of a QEMU kiln started, minus {@code -S}, in a directory with
 *       the same kernel and initrd linked as kiln links them, to QEMU's exit (status 1 is
 *       {@code exit=0} through isa-debug-exit, checked every round).</li>
 *   <li><b>by hand, paused + QMP</b>: the same argv with {@code -S}, as kiln's VMM runs it:
 *       start, connect to the QMP socket (retrying until it exists), greeting,
 *       {@code qmp_capabilities}, {@code cont}, then to QEMU's exit; the times of the greeting
 *       and of {@code cont}'s answer are kept as parts.</li>
 *   <li><b>kiln's VMM alone</b>: {@link QemuVmm#start} of the same kernel, initrd, command line,
 *       memory and vCPUs in this JVM (kiln's launch code without HTTP, SQLite or the instance
 *       service), from the call to the guest's exit being reported; the time {@code start}
 *       returned is kept as a part.</li>
 * </ul>
 *
 * The order of the sides rotates from round to round. Prints one JSON object with every
 * round's times in ms. Arguments: {@code URL TOKEN IMAGE ROUNDS DATA-DIR SCRATCH-DIR}.
 */
public final class BootVsQemu {
    private static final Pattern BOOT_US = Pattern.compile("\"boot_time_us\":(\\d+)");
    private static final Pattern STOPPED_AT = Pattern.compile("\"stopped_at\":\"([^\"]+)\"");
    private static final Pattern UUID = Pattern.compile("\"uuid\":\"([0-9a-f-]{36})\"");

    private final String url, token, image;
    private final Path data, scratch;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private List<String> plainArgv, pausedArgv;
    private Path kernel, initrd;
    private QemuVmm vmm;

    private BootVsQemu(String url, String token, String image, Path data, Path scratch) {
        this.url = url;
        this.token = token;
        this.image = image;
        this.data = data;
        this.scratch = scratch;
    }

    public static void main(String[] a) throws Exception {
        BootVsQemu b = new BootVsQemu(a[0], a[1], a[2], Path.of(a[4]).toRealPath(), Path.of(a[5]));
        int rounds = Integer.parseInt(a[3]);
        b.capture();
        Map<String, List<Double>> t = new LinkedHashMap<>();
        for (String k : List.of("kiln", "kiln_post", "kiln_vmm_start", "kiln_spawned", "kiln_pid_recorded", "kiln_qemu_exit", "kiln_stopped_at", "hand", "paused", "paused_greeting", "paused_cont", "vmm", "vmm_start")) t.put(k, new ArrayList<>());
        int warm = 10;
        for (int r = 0; r < warm + rounds; r++) {
            for (int s = 0; s < 4; s++) {
                switch ((r + s) % 4) {
                    case 0 -> {
                        double[] k = b.kiln("boot" + r);
                        if (r >= warm) {
                            t.get("kiln").add(k[0]);
                            t.get("kiln_post").add(k[1]);
                            t.get("kiln_vmm_start").add(k[2]);
                            t.get("kiln_spawned").add(k[3]);
                            t.get("kiln_pid_recorded").add(k[4]);
                            t.get("kiln_qemu_exit").add(k[5]);
                            t.get("kiln_stopped_at").add(k[6]);
                        }
                    }
                    case 1 -> {
                        double h = b.byHand();
                        if (r >= warm) t.get("hand").add(h);
                    }
                    case 2 -> {
                        double[] v = b.vmmAlone(r);
                        if (r >= warm) {
                            t.get("vmm").add(v[0]);
                            t.get("vmm_start").add(v[1]);
                        }
                    }
                    default -> {
                        double[] p = b.pausedWithQmp();
                        if (r >= warm) {
                            t.get("paused").add(p[0]);
                            t.get("paused_greeting").add(p[1]);
                            t.get("paused_cont").add(p[2]);
                        }
                    }
                }
            }
        }
        StringBuilder out = new StringBuilder("{\"rounds\":").append(rounds).append(",\"warmup\":").append(warm)
                .append(",\"argv\":[");
        for (int i = 0; i < b.plainArgv.size(); i++) out.append(i > 0 ? "," : "").append(quote(b.plainArgv.get(i)));
        out.append("],\"ms\":{");
        int i = 0;
        for (Map.Entry<String, List<Double>> e : t.entrySet()) {
            out.append(i++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":[");
            for (int j = 0; j < e.getValue().size(); j++) out.append(j > 0 ? "," : "").append(String.format(Locale.ROOT, "%.3f", e.getValue().get(j)));
            out.append(']');
        }
        System.out.println(out.append("}}"));
    }

    /**
     * Starts probe guests through kiln (untimed) until a watcher has read one's QEMU argv and the
     * targets of its kernel and initrd links (QEMU waits paused for kiln's {@code cont}, so there is
     * time), then builds the by-hand directory and checks that the argv boots the guest there.
     */
    private void capture() throws Exception {
        for (int attempt = 0; attempt < 10 && plainArgv == null; attempt++) {
            AtomicReference<List<String>> argv = new AtomicReference<>();
            AtomicReference<Path[]> links = new AtomicReference<>();
            Thread watcher = Thread.ofPlatform().daemon().start(() -> {
                while (argv.get() == null && !Thread.currentThread().isInterrupted()) {
                    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                        for (Path p : procs.filter(x -> x.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                            try {
                                Path cwd = Files.readSymbolicLink(p.resolve("cwd"));
                                if (!cwd.startsWith(data)) continue;
                                byte[] cmd = Files.readAllBytes(p.resolve("cmdline"));
                                List<String> words = List.of(new String(cmd, StandardCharsets.UTF_8).split("\0"));
                                if (words.isEmpty() || !words.getFirst().endsWith("qemu-system-x86_64") || !words.contains("-S")) continue;
                                Path kernel = cwd.resolve("kernel").toRealPath(), initrd = cwd.resolve("initrd").toRealPath();
                                links.set(new Path[] {kernel, initrd});
                                argv.set(words);
                                return;
                            } catch (IOException gone) {
                                // not ours, gone, or past its links: the next one
                            }
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            kiln("capture" + attempt);
            watcher.interrupt();
            watcher.join();
            if (argv.get() == null) continue;
            Files.createDirectories(scratch);
            for (String f : List.of("kernel", "initrd", "qmp.sock", "console.sock", "qemu.pid")) Files.deleteIfExists(scratch.resolve(f));
            kernel = links.get()[0];
            initrd = links.get()[1];
            Files.createSymbolicLink(scratch.resolve("kernel"), kernel);
            Files.createSymbolicLink(scratch.resolve("initrd"), initrd);
            pausedArgv = argv.get();
            List<String> plain = new ArrayList<>(pausedArgv);
            plain.remove("-S");
            plainArgv = plain;
        }
        if (plainArgv == null) throw new IllegalStateException("no QEMU of kiln's seen in 10 boots");
        if (pausedArgv.stream().noneMatch(w -> w.contains("exit=0"))) throw new IllegalStateException("argv without exit=0: " + pausedArgv);
        Accel accel = "kvm".equals(after(pausedArgv, "-accel")) ? Accel.KVM : Accel.TCG;
        vmm = QemuVmm.create(QemuVmm.Options.defaults(QemuVmm.locateQemu()).withAccel(accel));
        byHand();
        vmmAlone(-1);
    }

    /**
     * One boot through kiln, in ms from sending the POST: {total, POST answered, kiln's own VMM
     * start (boot_time_us, a duration), QEMU's supervisor spawned (its output file, qemu.log, made
     * then: its birth time), kiln read QEMU's pid (vm.properties written), QEMU's exit (the
     * supervisor's exit-status file), the instance's stopped_at (kiln's clock when it saved the
     * stop)}. Those three are the run directory's file times, read after the clock stopped (to the
     * kernel's timestamp granularity).
     */
    private double[] kiln(String name) throws Exception {
        String body = "{\"name\":\"" + name + "\",\"image\":\"" + image + "\",\"args\":[\"exit=0\"],\"autostart\":true}";
        Instant wall = Instant.now();
        long t0 = System.nanoTime();
        HttpResponse<String> created = send("POST", "/v1/instances", body);
        long t1 = System.nanoTime();
        HttpResponse<String> waited = send("GET", "/v1/instances/wait?name=" + name + "&state=stopped&timeout_s=60", null);
        long t2 = System.nanoTime();
        if (created.statusCode() != 200 || !created.body().contains("\"state\":\"running\"")) {
            throw new IllegalStateException("create with autostart: " + created.statusCode() + " " + created.body());
        }
        if (waited.statusCode() != 200 || !waited.body().contains("\"state\":\"stopped\"")) {
            throw new IllegalStateException("wait for stopped: " + waited.statusCode() + " " + waited.body());
        }
        Matcher u = UUID.matcher(created.body());
        if (!u.find()) throw new IllegalStateException("no uuid: " + created.body());
        Path run = data.resolve("run").resolve(u.group(1).replace("-", "").substring(0, 12));
        double spawned = Duration.between(wall, Files.readAttributes(run.resolve("qemu.log"),
                java.nio.file.attribute.BasicFileAttributes.class).creationTime().toInstant()).toNanos() / 1e6, recorded = since(wall, run.resolve("vm.properties")),
                exited = since(wall, run.resolve("exit-status"));
        String log = send("GET", "/v1/instances/log?name=" + name + "&offset=0", null).body();
        String got = send("GET", "/v1/instances?name=" + name, null).body();
        Matcher m = BOOT_US.matcher(got);
        if (!m.find()) throw new IllegalStateException("no boot_time_us for " + name);
        Matcher st = STOPPED_AT.matcher(got);
        if (!st.find()) throw new IllegalStateException("no stopped_at for " + name);
        double stoppedAt = Duration.between(wall, Instant.parse(st.group(1))).toNanos() / 1e6;
        String console = new String(java.util.Base64.getDecoder().decode(log.replaceAll("(?s).*\"output\":\"([^\"]*)\".*", "$1")), StandardCharsets.UTF_8);
        if (!console.contains("EXIT 0")) throw new IllegalStateException(name + ": the guest did not run exit=0: " + console);
        send("DELETE", "/v1/instances", "[{\"name\":\"" + name + "\"}]");
        return new double[] {(t2 - t0) / 1e6, (t1 - t0) / 1e6, Long.parseLong(m.group(1)) / 1e3, spawned, recorded, exited, stoppedAt};
    }

    /** When {@code file} was last written, in ms after {@code wall}. */
    private static double since(Instant wall, Path file) throws IOException {
        return Duration.between(wall, Files.getLastModifiedTime(file).toInstant()).toNanos() / 1e6;
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Process spawn(List<String> argv) throws IOException {
        for (String f : List.of("qmp.sock", "console.sock", "qemu.pid")) Files.deleteIfExists(scratch.resolve(f));
        return new ProcessBuilder(argv).directory(scratch.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** kiln's argv without -S, from start to QEMU's exit, in ms. */
    private double byHand() throws Exception {
        long t0 = System.nanoTime();
        Process p = spawn(plainArgv);
        int status = p.waitFor();
        long t1 = System.nanoTime();
        if (status != 1) throw new IllegalStateException("QEMU by hand ended with " + status + ", not 1 (exit=0 through isa-debug-exit)");
        return (t1 - t0) / 1e6;
    }

    /** kiln's argv as it is (paused), resumed over QMP: {to exit, to the greeting, to cont's answer} in ms. */
    private double[] pausedWithQmp() throws Exception {
        long t0 = System.nanoTime();
        Process p = spawn(pausedArgv);
        long greeting, cont;
        try (SocketChannel ch = connect(scratch.resolve("qmp.sock"), p)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            var out = Channels.newOutputStream(ch);
            expect(in, "\"QMP\"");
            greeting = System.nanoTime();
            out.write("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
            expect(in, "\"return\"");
            out.write("{\"execute\":\"cont\"}\n".getBytes(StandardCharsets.UTF_8));
            expect(in, "\"return\"");
            cont = System.nanoTime();
        }
        int status = p.waitFor();
        long t1 = System.nanoTime();
        if (status != 1) throw new IllegalStateException("paused QEMU by hand ended with " + status + ", not 1");
        return new double[] {(t1 - t0) / 1e6, (greeting - t0) / 1e6, (cont - t0) / 1e6};
    }

    /** The word after {@code option} in {@code argv}. */
    private static String after(List<String> argv, String option) {
        int i = argv.indexOf(option);
        if (i < 0 || i + 1 >= argv.size()) throw new IllegalStateException("no " + option + " in " + argv);
        return argv.get(i + 1);
    }

    /** kiln's VMM on the captured boot: {to the exit reported, to start's return} in ms. */
    private double[] vmmAlone(int round) throws Exception {
        Path dir = scratch.resolve("vmm" + (round < 0 ? "x" : Integer.toString(round)));
        LaunchSpec spec = new LaunchSpec("bench-" + (round < 0 ? "x" : round), dir.toAbsolutePath(), kernel, initrd, after(pausedArgv, "-append"),
                Integer.parseInt(after(pausedArgv, "-m")), Integer.parseInt(after(pausedArgv, "-smp")), List.of(), List.of(), List.of());
        long t0 = System.nanoTime();
        VmHandle vm = vmm.start(spec);
        long t1 = System.nanoTime();
        VmExit exit = vm.exit().get();
        long t2 = System.nanoTime();
        if (exit.cause() != VmExit.Cause.GUEST_EXIT || exit.exitCode().orElse(-1) != 0) {
            throw new IllegalStateException("kiln's VMM: the guest ended with " + exit);
        }
        return new double[] {(t2 - t0) / 1e6, (t1 - t0) / 1e6};
    }

    private static SocketChannel connect(Path socket, Process p) throws Exception {
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return ch;
            } catch (IOException notYet) {
                ch.close();
                if (!p.isAlive()) throw new IllegalStateException("QEMU ended before its QMP socket was there: " + p.exitValue());
                Thread.sleep(0, 200_000);
            }
        }
    }

    private static void expect(BufferedReader in, String what) throws IOException {
        for (String line; (line = in.readLine()) != null; ) {
            if (line.contains("\"error\"")) throw new IOException("QMP: " + line);
            if (line.contains(what)) return;
        }
        throw new IOException("QMP ended before " + what);
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
