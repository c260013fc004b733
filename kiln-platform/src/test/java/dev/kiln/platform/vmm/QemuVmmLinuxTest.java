package dev.kiln.platform.vmm;

import static dev.kiln.platform.vmm.TestGuests.awaitConsole;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.guest.Qemu;
import dev.kiln.fs.target.Target;
import dev.kiln.platform.guest.LinuxGuest;
import dev.kiln.platform.guest.Mount;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SequencedSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QEMU driver with Debian's Linux kernel and a busybox initramfs built by kiln in memory.
 * One boot (a few seconds under TCG) checks the console, the args and env the guest's init
 * received through {@link LinuxGuest}'s command line, and a port forward that answers on
 * 127.0.0.1 and nowhere else.
 */
class QemuVmmLinuxTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "mount", "insmod", "ifconfig", "httpd", "od", "tr",
            "cat", "mkdir", "sleep", "env");
    private static final List<String> MODULES = List.of("virtio_pci", "virtio_net", "virtio_blk");

    @TempDir
    Path work;

    @Test
    void aLinuxGuestGetsItsArgsEnvADiskAndAPortForwardOnLoopbackOnly() throws Exception {
        Qemu debian = Qemu.find();
        Path initrd = initrd(debian, work.resolve("initrd.cpio"));
        int port = freePort();

        long seed = Long.getLong("kiln.seed", System.nanoTime());
        System.out.println("QemuVmmLinuxTest seed " + seed + " (rerun with -Dkiln.seed=" + seed + ")");
        Random r = new Random(seed);
        List<String> args = new ArrayList<>(List.of("", "a b", "à", "\u00a0x\u00a0", "x=y z", "=v", "-", "---",
                "back\\slash", "it's", "$HOME", "中😀"));
        while (args.size() < 32) args.add(text(r));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("APP_MODE", "test");
        env.put("SPACED", "hello world");
        env.put("EMPTY", "");
        env.put("WIDE", "à\u00a0中");
        while (env.size() < 20) env.put("K" + env.size() + "_" + r.nextInt(1000), text(r));
        String cmdline = new LinuxGuest().commandLine(args, env, List.of(new Mount("vol0", "/data", true)));

        Path disk = work.resolve("disk.img");
        Files.write(disk, new byte[64 * 1024]);
        String id = UUID.randomUUID().toString();
        LaunchSpec spec = LaunchSpec.of(id, work.resolve(id.substring(0, 8)), debian.bootImage(), cmdline)
                .withInitrd(initrd).withMemory(256)
                .withDisks(List.of(new LaunchSpec.Disk(disk, "kiln-disk0")))
                .withForwards(List.of(new LaunchSpec.PortForward(LaunchSpec.Protocol.TCP, port, 8080)));
        VmHandle vm = vmm().start(spec);
        try {
            String c = awaitConsole(vm, s -> s.contains("KILN-READY") || s.contains("Kernel panic"),
                    Duration.ofSeconds(180));
            assertThat(c).doesNotContain("KILN-ERROR").doesNotContain("Kernel panic");

            assertThat(decoded(c, "KILN-ARG ")).as("init's argv after its name").containsExactlyElementsOf(args);
            List<String> seen = decoded(c, "KILN-ENV ");
            for (Map.Entry<String, String> e : env.entrySet()) {
                assertThat(seen).as("init's environment").contains(e.getKey() + "=" + e.getValue());
            }
            assertThat(decoded(c, "KILN-CMDLINE ").getFirst()).contains(" kiln.mount=vol0:/data:ro ");
            assertThat(c).contains("KILN-DISK serial=kiln-disk0 ro=1\n");

            assertThat(httpGet(port)).endsWith("\r\n\r\nkiln-httpd-ok\n");
            assertThat(listeners(port)).as("listening sockets on port " + port).containsExactly("127.0.0.1");
            InetAddress outside = nonLoopbackAddress();
            if (outside != null) {
                assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress(outside, port), 2000))
                        .isInstanceOf(ConnectException.class);
            }

            VmExit e = vm.stop(Duration.ofSeconds(1)).get(60, TimeUnit.SECONDS);
            assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.STOPPED);
        } finally {
            vm.kill().get(60, TimeUnit.SECONDS);
        }
    }

    /** Plain-ASCII-free of '"' and exactly "--": what LinuxGuest accepts, with some non-ASCII. */
    private static String text(Random r) {
        String pool = " !#$%&'()*+,-./:;<=>?@[\\]^_`{|}~abcXYZ019éà中\u00a0";
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(12); i >= 0; i--) b.append(pool.charAt(r.nextInt(pool.length())));
        return b.toString().equals("--") ? "-" : b.toString();
    }

    private static List<String> decoded(String console, String prefix) {
        List<String> out = new ArrayList<>();
        for (String line : console.split("\n")) {
            if (line.startsWith(prefix)) {
                out.add(new String(HexFormat.of().parseHex(line.substring(prefix.length()).strip()), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** busybox, its applets, the modules for a virtio NIC, and an /init that reports and serves. */
    private static Path initrd(Qemu debian, Path out) throws IOException {
        if (!Files.isRegularFile(BUSYBOX)) fail(BUSYBOX + " not found: apt-get install busybox-static");
        MemorySource.Builder files = Source.memory()
                .file("bin/busybox", Files.readAllBytes(BUSYBOX), 0755)
                .directory("proc").directory("sys").directory("dev").directory("modules");
        for (String a : APPLETS) files.symlink("bin/" + a, "busybox");
        List<String> order = new ArrayList<>();
        for (Map.Entry<String, Path> m : modules(debian.modulesDir(), MODULES).entrySet()) {
            try (InputStream in = decompressed(m.getValue())) {
                files.file("modules/" + m.getKey() + ".ko", in.readAllBytes());
            }
            order.add(m.getKey());
        }
        String init = """
                #!/bin/sh
                export PATH=/bin
                mount -t proc proc /proc
                mount -t sysfs sys /sys
                mount -t devtmpfs dev /dev
                hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \\n'; }
                for a in "$@"; do echo "KILN-ARG $(hex "$a")"; done
                env | while IFS= read -r l; do echo "KILN-ENV $(hex "$l")"; done
                echo "KILN-CMDLINE $(hex "$(cat /proc/cmdline)")"
                for m in MODULES; do insmod /modules/$m.ko || echo "KILN-ERROR insmod $m"; done
                i=0; while [ ! -e /sys/class/net/eth0 ] || [ ! -e /sys/block/vda ]; do
                  [ $i -lt 100 ] || break; sleep 0.1; i=$((i+1)); done
                echo "KILN-DISK serial=$(cat /sys/block/vda/serial) ro=$(cat /sys/block/vda/ro)"
                ifconfig lo 127.0.0.1 up
                ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up || echo KILN-ERROR ifconfig
                mkdir -p /www && echo kiln-httpd-ok > /www/index.html
                httpd -p 8080 -h /www || echo KILN-ERROR httpd
                echo KILN-READY
                while true; do sleep 3600; done
                """.replace("MODULES", String.join(" ", order));
        files.file("init", init.getBytes(StandardCharsets.UTF_8), 0755);
        ImageBuild.builder().source(files.build()).format(ImageFormat.CPIO).target(Target.LINUX).build().writeTo(out);
        return out;
    }

    /** Module name → file, dependencies first, from modules.dep (a line reads "path: dep dep ..."). */
    private static Map<String, Path> modules(Path dir, List<String> names) throws IOException {
        Map<String, String> pathOf = new HashMap<>();
        Map<String, List<String>> deps = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String mod = line.substring(0, colon), rest = line.substring(colon + 1).strip();
            pathOf.put(nameOf(mod), mod);
            deps.put(mod, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        SequencedSet<String> order = new LinkedHashSet<>();
        for (String n : names) visit(pathOf.get(n), deps, order);
        Map<String, Path> out = new LinkedHashMap<>();
        for (String rel : order) out.put(nameOf(rel), dir.resolve(rel));
        return out;
    }

    private static void visit(String rel, Map<String, List<String>> deps, SequencedSet<String> order) {
        if (rel == null) fail("a module the test needs is missing from modules.dep");
        if (order.contains(rel)) return;
        for (String d : deps.getOrDefault(rel, List.of()).reversed()) visit(d, deps, order);
        order.add(rel);
    }

    private static String nameOf(String rel) {
        String f = rel.substring(rel.lastIndexOf('/') + 1);
        return f.substring(0, f.indexOf(".ko")).replace('-', '_');
    }

    private static InputStream decompressed(Path ko) throws IOException {
        String f = ko.getFileName().toString();
        Compression c = f.endsWith(".xz") ? Compression.XZ : f.endsWith(".zst") ? Compression.ZSTD
                : f.endsWith(".gz") ? Compression.GZIP : Compression.NONE;
        return c.decompress(Files.newInputStream(ko));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** An HTTP/1.0 GET through the forward; httpd may need a moment after it is started. */
    private static String httpGet(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!response.isEmpty() || System.nanoTime() > deadline) return response;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) throw e;
            }
            Thread.sleep(200);
        }
    }

    /** Local addresses of TCP sockets listening on {@code port}, from /proc/net/tcp and tcp6. */
    private static List<String> listeners(int port) throws IOException {
        List<String> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
                String[] f = line.strip().split("\\s+");
                String[] local = f[1].split(":");
                if (!f[3].equals("0A") || Integer.parseInt(local[1], 16) != port) continue;
                out.add(local[0].length() == 8 ? ipv4(local[0]) : "[" + local[0] + "]");
            }
        }
        return out;
    }

    private static String ipv4(String hexLittleEndian) {
        long v = Long.parseLong(hexLittleEndian, 16);
        return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff);
    }

    private static InetAddress nonLoopbackAddress() throws IOException {
        for (NetworkInterface i : NetworkInterface.networkInterfaces().toList()) {
            if (!i.isUp() || i.isLoopback()) continue;
            for (InetAddress a : i.inetAddresses().toList()) if (a instanceof Inet4Address) return a;
        }
        return null;
    }
}
