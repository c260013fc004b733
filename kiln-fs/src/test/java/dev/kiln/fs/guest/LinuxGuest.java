package dev.kiln.fs.guest;

import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;

/**
 * A throwaway Linux userland for boot tests: a busybox-static initramfs built as a kiln
 * {@link Tree} and written with kiln's own cpio writer, with an {@code /init} that runs the
 * test's shell commands, prints results on the serial console and powers off.
 *
 * <p>The base initrd holds {@code /bin/busybox} with links for the applets the init uses,
 * {@code /init}, mount points {@code /proc /sys /dev /mnt}, and the requested kernel modules
 * (flattened to {@code /modules/<name>.ko}, decompressed if the distribution compresses them).
 * Tests graft their payload into it or attach images as disks.
 */
public final class LinuxGuest {
    /** virtio over PCI plus the block driver: disks appear as /dev/vda, /dev/vdb, … */
    public static final List<String> VIRTIO_BLK = List.of("virtio_pci", "virtio_blk");

    /**
     * EROFS. {@code libcrc32c} has only a soft dependency on a crc32c implementation
     * ({@code softdep libcrc32c pre: crc32c}), which modules.dep does not list, so it is named
     * here; the generic one, because crc32c-intel needs SSE4.2 that TCG's default CPU lacks.
     */
    public static final List<String> EROFS = List.of("crc32c_generic", "erofs");

    /** The busybox applets the prelude and the tests' scripts call, linked in /bin. */
    static final List<String> APPLETS = List.of("sh", "mount", "umount", "poweroff", "insmod", "find", "stat",
            "sha256sum", "readlink", "sed", "sleep", "usleep", "cat", "ls", "mkdir", "dmesg", "grep", "uname", "wc");

    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final Metadata ROOT_DIR = Metadata.of(0755);
    private static final Metadata EXEC = Metadata.of(0755);
    private static final Metadata DATA = Metadata.of(0644);

    private final Qemu qemu;

    public LinuxGuest(Qemu qemu) {
        this.qemu = qemu;
    }

    public Qemu qemu() {
        return qemu;
    }

    /**
     * The base initramfs: busybox, the prelude (mounts, helpers, {@code kiln_listing}) followed
     * by {@code script} and a power-off as {@code /init}, and {@code modules} with everything
     * they depend on, in the order the script should {@code kiln_insmod} them (see {@link #loadOrder}).
     */
    public Tree initrd(String script, List<String> modules) throws IOException {
        if (!Files.isRegularFile(BUSYBOX)) {
            throw new AssertionError(BUSYBOX + " not found: install the Debian package busybox-static");
        }
        String busyboxHelp = run(BUSYBOX.toString());
        if (!busyboxHelp.contains("BusyBox")) throw new AssertionError(BUSYBOX + " does not look like busybox");
        // A dynamically linked busybox (Debian's "busybox" package) dies in a libc-less initrd.
        byte[] head;
        try (InputStream in = Files.newInputStream(BUSYBOX)) {
            head = in.readNBytes(4096);
        }
        if (new String(head, StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux")) {
            throw new AssertionError(BUSYBOX + " is dynamically linked: install the Debian package busybox-static");
        }

        Tree t = new Tree(ROOT_DIR);
        t.put(EntryPath.ROOT, new Node.Directory(ROOT_DIR));
        for (String d : List.of("bin", "proc", "sys", "dev", "mnt", "modules")) {
            t.put(new EntryPath(d), new Node.Directory(ROOT_DIR));
        }
        t.put(new EntryPath("bin/busybox"), new Node.File(EXEC, Content.ofFile(BUSYBOX, Files.size(BUSYBOX))));
        for (String a : APPLETS) t.put(new EntryPath("bin/" + a), new Node.Symlink(Metadata.of(0777), "busybox"));

        String init = prelude() + "\n# --- test script ---\n" + script + "\n\necho \"KILN-INIT-DONE uptime $(cat /proc/uptime)\"\npoweroff -f\nsleep 60\n";
        t.put(new EntryPath("init"), new Node.File(EXEC, Content.of(init.getBytes(StandardCharsets.UTF_8))));

        for (ModuleFile m : resolve(modules)) {
            t.put(new EntryPath("modules/" + m.name() + ".ko"), new Node.File(DATA, Content.of(m.load())));
        }
        return t;
    }

    /** The module names, dependencies first, as {@code kiln_insmod} wants them. */
    public List<String> loadOrder(List<String> modules) throws IOException {
        return resolve(modules).stream().map(ModuleFile::name).toList();
    }

    /** Writes {@code tree} as a newc initramfs with kiln's writer. */
    public static Path writeInitrd(Tree tree, Path file, Compression compression) throws IOException {
        CpioWriter.Options defaults = CpioWriter.Options.defaults();
        CpioWriter w = new CpioWriter(new CpioWriter.Options(defaults.crc(), defaults.copyHardLinks(), compression));
        AtomicFile.write(file, ch -> w.write(tree, ch, Progress.NONE));
        return file;
    }

    /** Boots the Debian kernel with {@code initrd} and the disks; fails unless the init ran to its end. */
    public Qemu.Result boot(Path initrd, List<Qemu.Disk> disks) throws IOException {
        Qemu.Result r = qemu.boot(Qemu.Boot.of(initrd).withDisks(disks));
        String c = r.console();
        if (c.contains("KILN-GUEST-ERROR") || c.contains("Initramfs unpacking failed") || c.contains("Kernel panic")
                || !c.contains("KILN-INIT-DONE")) {
            throw new AssertionError("the guest did not complete (" + r.accel() + ", QEMU exit " + r.exitCode() + ", "
                    + r.elapsed().toMillis() + " ms)\nstderr: " + r.stderr() + "\nconsole:\n" + c);
        }
        return r;
    }

    /**
     * A one-line account of where a boot's time went, for test logs: wall clock on the host and
     * the guest's uptime when /init started and when it finished (the rest is firmware, kernel
     * decompression and QEMU start-up).
     */
    public static String timing(Qemu.Result r) {
        return r.accel() + " [" + Qemu.accelReport() + "] wall " + r.elapsed().toMillis() + " ms, guest uptime at /init start "
                + uptime(r.console(), "KILN-INIT-START") + " s, at end " + uptime(r.console(), "KILN-INIT-DONE") + " s";
    }

    private static String uptime(String console, String marker) {
        int i = console.indexOf(marker + " uptime ");
        if (i < 0) return "?";
        String rest = console.substring(i + marker.length() + " uptime ".length());
        int sp = rest.indexOf(' ');
        return sp < 0 ? "?" : rest.substring(0, sp);
    }

    private static String prelude() throws IOException {
        try (InputStream in = LinuxGuest.class.getResourceAsStream("init-prelude.sh")) {
            if (in == null) throw new IOException("resource init-prelude.sh missing from the test classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private record ModuleFile(String name, Path file) {
        /** The module bytes, decompressed: busybox insmod loads only plain ELF objects. */
        byte[] load() throws IOException {
            String f = file.getFileName().toString();
            Compression c = f.endsWith(".xz") ? Compression.XZ : f.endsWith(".zst") ? Compression.ZSTD
                    : f.endsWith(".gz") ? Compression.GZIP : Compression.NONE;
            try (InputStream in = c.decompress(Files.newInputStream(file))) {
                return in.readAllBytes();
            }
        }
    }

    /**
     * Resolves names through modules.dep. A line there reads {@code kernel/a.ko: kernel/b.ko
     * kernel/c.ko} and modprobe loads the dependency list back to front, so we do the same,
     * depth first, each module once.
     */
    private List<ModuleFile> resolve(List<String> names) throws IOException {
        Path dir = qemu.modulesDir();
        Path depFile = dir.resolve("modules.dep");
        if (!Files.isRegularFile(depFile)) {
            throw new AssertionError(depFile + " missing: reinstall the Debian package linux-image-amd64 (or run depmod)");
        }
        Map<String, String> pathByName = new HashMap<>();
        Map<String, List<String>> deps = new HashMap<>();
        for (String line : Files.readAllLines(depFile)) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String mod = line.substring(0, colon);
            pathByName.put(moduleName(mod), mod);
            String rest = line.substring(colon + 1).strip();
            deps.put(mod, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        SequencedSet<String> order = new LinkedHashSet<>();
        for (String n : names) {
            String rel = pathByName.get(n.replace('-', '_'));
            if (rel == null) throw new AssertionError("kernel " + qemu.kernelVersion() + " has no module " + n + " in " + depFile);
            visit(rel, deps, order, new ArrayList<>());
        }
        List<ModuleFile> out = new ArrayList<>();
        for (String rel : order) out.add(new ModuleFile(moduleName(rel), dir.resolve(rel)));
        return out;
    }

    private static void visit(String rel, Map<String, List<String>> deps, SequencedSet<String> order, List<String> stack) {
        if (order.contains(rel)) return;
        if (stack.contains(rel)) throw new AssertionError("module dependency cycle: " + stack + " -> " + rel);
        stack.add(rel);
        for (String d : deps.getOrDefault(rel, List.of()).reversed()) visit(d, deps, order, stack);
        stack.removeLast();
        order.add(rel);
    }

    /** "kernel/fs/erofs/erofs.ko.xz" -> "erofs"; dashes become underscores as the kernel does. */
    private static String moduleName(String rel) {
        String f = rel.substring(rel.lastIndexOf('/') + 1);
        int ko = f.indexOf(".ko");
        return (ko < 0 ? f : f.substring(0, ko)).replace('-', '_');
    }

    private static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return out;
    }
}
