package dev.kiln.cli;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Directories;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import dev.kiln.platform.guest.GuestKitException;
import dev.kiln.platform.guest.LinuxGuestKit;
import dev.kiln.platform.vmm.QemuVmm;
import dev.kiln.platform.vmm.VmmException;
import dev.kiln.platform.volume.VolumeBacking;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code kiln demo}: the platform end to end on this machine, in under a minute. A Linux guest
 * (the host's kernel, busybox and kiln's init), an image ROM and an inline ROM, a platform started
 * in-process on a temporary data directory, and an instance created through the HTTP API with
 * the same client {@code kiln instance} uses, so what the demo shows is what a user of the API
 * gets. The guest reads both ROMs and writes to a new volume; the write is then read on the host.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, sortOptions = false,
        description = {"Shows the platform at work: a Linux guest with an inline ROM, an image ROM and a new volume, created through kiln serve's API.",
                "The platform runs in-process on a temporary data directory and a free loopback port. The guest's console is printed, "
                        + "its write to the volume read back on the host, and everything removed at the end (also on Ctrl-C or failure).",
                "Needs the Debian packages linux-image-amd64, busybox-static and qemu-system-x86."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--keep", description = "Leave the data directory (the platform's database, images and the volume) for inspection.")
    boolean keep;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the guest's kernel is extracted once (default: $XDG_CACHE_HOME/kiln or ~/.cache/kiln).")
    Path cache;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60", description = "How long the guest may run (default: ${DEFAULT-VALUE}).")
    int timeout;

    static final String INSTANCE = "demo", VOLUME = "demo-data", GUEST_IMAGE = "demo-linux:latest", ROM_IMAGE = "demo-site:latest";
    static final String INLINE_TEXT = "Hello from an inline ROM: files sent in the API request, built into EROFS by the platform.";
    static final String IMAGE_TEXT = "Hello from an image ROM: a ROM-only OCI image kiln packed.";
    static final String GUESTBOOK = "guestbook.txt";

    /**
     * The application: kiln's init runs the instance's args as a command. One line of sh with no
     * double quote, which the Linux command line cannot carry; the volume's line names the run, so
     * that the host proves this run's write and not an older file's.
     */
    static List<String> args() {
        return List.of("sh", "-c", "echo inline ROM /etc/app/greeting.txt: $(cat /etc/app/greeting.txt); "
                + "echo image ROM /srv/hello.txt: $(cat /srv/hello.txt); "
                + "echo image ROM /srv: $(ls /srv /srv/docs); "
                + "echo run $DEMO_RUN: written by the guest on Linux $(uname -r) >> /data/" + GUESTBOOK + " && sync && "
                + "echo volume /data/" + GUESTBOOK + ": $(cat /data/" + GUESTBOOK + ")");
    }

    private final PrintStream out = System.out;
    private final long started = System.nanoTime();

    @Override
    public Integer call() throws Exception {
        Path data = Files.createTempDirectory("kiln-demo-");
        Session session = new Session(data, keep);
        // Ctrl-C: the same cleanup as a normal end, so no guest or directory outlives the demo.
        Thread hook = new Thread(() -> {
            session.interrupted = true;
            session.close();
            // Said here: the JVM halts once the hooks end, maybe before the demo's own thread could say it.
            System.err.println("kiln: demo: interrupted; the guest is stopped and " + data + (keep ? " kept" : " removed"));
        }, "kiln-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            run(session);
            return KilnCommand.OK;
        } catch (Exception e) {
            // What fails after Ctrl-C fails because the cleanup took the platform away; the hook says what happened.
            if (session.interrupted) return 130;
            throw e;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) the cleanup itself
            }
            session.close();
            if (keep) {
                out.println("kept " + data + " (remove it with rm -r); to look at it through the API:");
                out.println("  kiln serve --data " + data + " --listen 127.0.0.1:8081 &");
                out.println("  export UKC_METRO=http://127.0.0.1:8081 UKC_TOKEN=$(cat " + data.resolve("token") + ")");
                out.println("  kiln instance logs " + INSTANCE + "; kiln volume export " + VOLUME + " " + VOLUME + ".tar");
            }
        }
    }

    private void run(Session s) throws Exception {
        out.println("kiln demo: a Linux guest with two ROMs and a volume, through kiln serve's API");
        out.println("  data directory " + s.data + (keep ? " (kept: --keep)" : " (removed at the end)"));

        long t = System.nanoTime();
        LinuxGuestKit kit = kit();
        String run = UUID.randomUUID().toString().substring(0, 8);
        long kitMs = ms(t);
        out.printf("[1/6] guest: Linux %s with busybox and kiln's init, from this host (%d ms)%n", kit.kernel().version(), kitMs);

        t = System.nanoTime();
        Platform p = s.start();
        long platformMs = ms(t);
        String url = "http://127.0.0.1:" + p.port();
        out.printf("[2/6] platform: kiln serve's API on %s (%d ms)%n", url, platformMs);

        t = System.nanoTime();
        kit.pack(p.images().layout(), GUEST_IMAGE);
        PackRequest.Rom site = new PackRequest.Rom("site", null, List.of(Source.memory()
                .file("hello.txt", (IMAGE_TEXT + "\n").getBytes(StandardCharsets.UTF_8))
                .file("docs/readme.txt", "kraft ROM-only image, EROFS\n".getBytes(StandardCharsets.UTF_8)).build()), ImageFormat.EROFS);
        Packer.pack(PackRequest.builder().rom(site).build(), p.images().layout(), ROM_IMAGE, s.data);
        long packMs = ms(t);
        out.printf("[3/6] images: %s (kernel and initramfs), %s (a ROM-only image) (%d ms)%n", GUEST_IMAGE, ROM_IMAGE, packMs);

        PlatformClient api = PlatformClient.of(url, p.token());
        s.api = api;
        t = System.nanoTime();
        JsonNode created = api.send("POST", "/v1/instances", request(run)).path("data").path("instances").path(0);
        String uuid = created.path("uuid").asString();
        s.instance = uuid;
        String volume = created.path("volumes").path(0).path("uuid").asString("");
        s.volume = volume.isEmpty() ? null : volume;
        long createMs = ms(t);
        out.printf("[4/6] instance %s %s: inline ROM at /etc/app, image ROM at /srv, new volume %s at /data (%d ms)%n",
                INSTANCE, created.path("state").asString(""), VOLUME, createMs);

        t = System.nanoTime();
        Console console = follow(api, uuid);
        long runMs = ms(t);
        JsonNode done = api.send("GET", "/v1/instances/" + uuid, null).path("data").path("instances").path(0);
        int exit = done.path("exit_code").asInt(-1);
        if (!console.ready) {
            throw new KilnException("demo: the guest stopped before its application ran (exit code " + exit + "); its console is above");
        }
        if (exit != 0) throw new KilnException("demo: the guest's application exited with " + exit + "; its console is above");
        out.printf("[5/6] instance stopped, exit code 0 (boot to KILN-READY %d ms, %d ms in all)%n", console.readyMs, runMs);

        // The volume's data as the platform keeps it on the host: through the backing, so the
        // same line reads a plain directory and a loop-mounted ext4 volume alike.
        if (volume.isEmpty()) throw new KilnException("demo: the instance's answer names no volume: " + created);
        Path file = p.instances().volumes().backing().share(UUID.fromString(volume)).resolve(GUESTBOOK);
        if (!Files.isRegularFile(file)) throw new KilnException("demo: " + file + ": the guest's write is not on the host");
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.stream().noneMatch(l -> l.startsWith("run " + run + ":"))) {
            throw new KilnException("demo: " + file + " lacks this run's line (run " + run + "): " + lines);
        }
        out.printf("[6/6] volume %s read on the host, %s:%n", VOLUME, file);
        for (String l : lines) out.println("      " + l);

        out.printf("done in %.1f s: guest kit %d ms, platform start %d ms, images %d ms, create %d ms, guest run %d ms%n",
                ms(started) / 1000.0, kitMs, platformMs, packMs, createMs, runMs);
    }

    /** The kit, or one error naming everything this host lacks (kernel, busybox, QEMU) and the packages to install. */
    private LinuxGuestKit kit() throws IOException {
        List<String> missing = new ArrayList<>();
        LinuxGuestKit kit = null;
        try {
            kit = LinuxGuestKit.find(cacheDir().resolve("linux-guest"));
        } catch (GuestKitException e) {
            missing.add(e.getMessage());
        }
        try {
            QemuVmm.locateQemu();
        } catch (VmmException e) {
            missing.add(e.getMessage());
        }
        if (!missing.isEmpty()) {
            throw new KilnException("demo: this host lacks what the demo's guest is made of: " + String.join("; ", missing)
                    + " (all of it: apt-get install linux-image-amd64 busybox-static qemu-system-x86)");
        }
        return kit;
    }

    private Path cacheDir() {
        if (cache != null) return cache;
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg, "kiln") : Path.of(System.getProperty("user.home"), ".cache", "kiln");
    }

    /** The create request: the guest image, its args, both ROMs and a new volume, started at once. */
    private static Map<String, Object> request(String run) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", INSTANCE);
        body.put("image", GUEST_IMAGE);
        body.put("args", args());
        body.put("env", Map.of("DEMO_RUN", run));
        body.put("roms", List.of(
                Map.of("name", "config", "at", "/etc/app", "files", List.of(Map.of("path", "greeting.txt", "data", INLINE_TEXT + "\n"))),
                Map.of("name", "site", "image", ROM_IMAGE, "at", "/srv")));
        body.put("volumes", List.of(Map.of("name", VOLUME, "size_mb", 16, "at", "/data")));
        body.put("autostart", true);
        return body;
    }

    /** What the console showed: whether the application started, and when. */
    private record Console(boolean ready, long readyMs) {}

    /**
     * Streams the console until the instance stops: lines from KILN-READY on, as they come (the
     * kernel's are noise here), or all of it when the application never started, to say why.
     */
    private Console follow(PlatformClient api, String uuid) throws Exception {
        long t = System.nanoTime(), deadline = t + timeout * 1_000_000_000L;
        long offset = 0, readyMs = -1;
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        List<String> before = new ArrayList<>();
        boolean ready = false;
        out.println("----- guest console -----");
        while (true) {
            // The wait doubles as the poll interval: it returns at once when the guest stops.
            JsonNode w = api.sendLenient("GET", "/v1/instances/" + uuid + "/wait?state=stopped&timeout_ms=200", null);
            boolean stopped = "success".equals(w.path("status").asString());
            JsonNode log = api.send("GET", "/v1/instances/" + uuid + "/log?offset=" + offset, null).path("data").path("instances").path(0);
            byte[] chunk = Base64.getDecoder().decode(log.path("output").asString(""));
            offset = log.path("range").path("end").asLong(offset + chunk.length);
            pending.write(chunk);
            byte[] b = pending.toByteArray();
            int start = 0;
            for (int i = 0; i < b.length; i++) {
                if (b[i] != '\n') continue;
                String line = new String(b, start, i - start, StandardCharsets.UTF_8).replace("\r", "");
                start = i + 1;
                if (!ready && line.contains("KILN-READY")) {
                    ready = true;
                    readyMs = ms(t);
                }
                if (ready) out.println("  " + line);
                else before.add(line);
            }
            pending.reset();
            pending.write(b, start, b.length - start);
            if (stopped && chunk.length == 0) break;
            if (System.nanoTime() > deadline) {
                if (!ready) before.forEach(l -> out.println("  " + l));
                out.println("-------------------------");
                throw new KilnException("demo: the guest did not stop within " + timeout + " s (--timeout)");
            }
        }
        if (pending.size() > 0) {
            String rest = pending.toString(StandardCharsets.UTF_8).replace("\r", "");
            if (ready) out.println("  " + rest);
            else before.add(rest);
        }
        if (!ready) before.forEach(l -> out.println("  " + l));
        out.println("-------------------------");
        return new Console(ready, readyMs);
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    /**
     * What the demo holds that must not outlive it: the platform (and its guest) and the data
     * directory. Closed once, by whichever comes first: the end of the demo or Ctrl-C.
     */
    private static final class Session {
        final Path data;
        final boolean keep;
        Platform platform;
        volatile PlatformClient api;
        volatile String instance;
        volatile String volume;
        volatile boolean interrupted;
        private boolean closed;

        Session(Path data, boolean keep) {
            this.data = data;
            this.keep = keep;
        }

        synchronized Platform start() throws IOException {
            if (closed) throw new KilnException("demo: interrupted");
            platform = Platform.start(new Platform.Options(data, null, "127.0.0.1", 0));
            return platform;
        }

        synchronized void close() {
            if (closed) return;
            closed = true;
            if (platform != null) {
                VolumeBacking volumes = platform.instances().volumes().backing();
                if (!keep && api != null && instance != null) {
                    try {
                        // Through the API, as a user would: a running guest is stopped, and the
                        // instance's own volume goes with it.
                        api.sendLenient("DELETE", "/v1/instances", List.of(Map.of("uuid", instance)));
                    } catch (Exception e) {
                        // closing the platform below stops the guest all the same
                    }
                }
                platform.close(); // stops the guest and unmounts the volumes' host side
                if (!keep) {
                    try {
                        // Whatever the demo got to (a failed create, Ctrl-C), no volume data stays.
                        volumes.collect(Set.of());
                    } catch (IOException | RuntimeException e) {
                        System.err.println("kiln: demo: " + e.getMessage());
                    }
                }
            }
            if (!keep) {
                try {
                    Directories.deleteTree(data);
                } catch (IOException e) {
                    System.err.println("kiln: demo: could not remove " + data + ": " + e.getMessage());
                }
            }
        }
    }
}
