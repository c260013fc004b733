package dev.kiln.platform.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the kit puts in the guest and what it refuses, read back from the initramfs it writes; no boot. */
class LinuxGuestKitRootfsTest {
    /** Shared across runs, as a server's cache would be: the vmlinux is extracted once. */
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "kiln-linux-guest-kit");

    @TempDir static Path tmp;
    static LinuxGuestKit kit;
    static Tree initramfs;

    @BeforeAll
    static void build() throws IOException {
        kit = LinuxGuestKit.find(CACHE);
        Path image = tmp.resolve("initramfs.cpio");
        kit.initramfs().writeTo(image);
        initramfs = Images.read(image);
    }

    @Test
    void theModulesAreAllThereEachAfterWhatModulesDepSaysItNeeds() throws IOException {
        List<String> names = new ArrayList<>();
        for (String f : initramfs.list(new EntryPath(LinuxGuestKit.MODULE_DIR))) {
            assertThat(f).matches("\\d\\d-[a-z0-9_]+\\.ko");
            names.add(f.substring(3, f.length() - 3));
            Node.File file = (Node.File) initramfs.resolve(new EntryPath(LinuxGuestKit.MODULE_DIR + "/" + f));
            byte[] head = new byte[4];
            System.arraycopy(file.content().readAll(), 0, head, 0, 4);
            assertThat(head).as("%s is an uncompressed ELF object, as busybox insmod needs", f)
                    .containsExactly(0x7f, 'E', 'L', 'F');
        }
        // the glob in /init sorts by name, and the names are numbered in load order
        assertThat(names).isEqualTo(kit.moduleOrder());
        assertThat(names).contains("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                "virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic", "libcrc32c", "erofs", "netfs", "fscache",
                "9pnet", "9pnet_virtio", "9p");

        Map<String, List<String>> deps = modulesDep(kit.kernel().modulesDir().resolve("modules.dep"));
        for (int i = 0; i < names.size(); i++) {
            assertThat(names.subList(0, i)).as("what %s needs, loaded before it", names.get(i))
                    .containsAll(deps.get(names.get(i)));
        }
        // libcrc32c's soft dependency, which modules.dep does not carry
        assertThat(names.indexOf("crc32c_generic")).isLessThan(names.indexOf("libcrc32c"));
    }

    @Test
    void initIsTheKitsScriptAndExecutableAndBusyboxIsLinkedForItsApplets() throws IOException {
        Node.File init = (Node.File) initramfs.resolve(new EntryPath("init"));
        assertThat(init.meta().permissions()).isEqualTo(0755);
        assertThat(new String(init.content().readAll(), StandardCharsets.UTF_8)).isEqualTo(LinuxGuestKit.INIT)
                .startsWith("#!/bin/sh\n");

        Node.File busybox = (Node.File) initramfs.resolve(new EntryPath("bin/busybox"));
        assertThat(busybox.meta().permissions()).isEqualTo(0755);
        assertThat(busybox.content().size()).isEqualTo(Files.size(kit.busybox()));
        for (String a : LinuxGuestKit.APPLETS) {
            assertThat(initramfs.resolve(new EntryPath("bin/" + a))).as(a).isInstanceOfSatisfying(Node.Symlink.class,
                    l -> assertThat(l.target()).isEqualTo("busybox"));
        }
        for (String d : List.of("dev", "proc", "sys", "mnt", "tmp", "run", "etc", "root")) {
            assertThat(initramfs.resolve(new EntryPath(d))).as(d).isInstanceOf(Node.Directory.class);
        }
        assertThat(initramfs.resolve(new EntryPath("tmp")).meta().permissions()).isEqualTo(01777);
    }

    /** The applets /init calls are linked, so a change to the script cannot silently call a missing one. */
    @Test
    void everyCommandTheInitRunsIsABuiltinOrALinkedApplet() {
        List<String> called = List.of("mount", "printf", "dd", "poweroff", "insmod", "mkdir", "cat", "grep", "ls",
                "sleep");
        for (String c : called) assertThat(LinuxGuestKit.INIT).contains(c + " ");
        assertThat(LinuxGuestKit.APPLETS).containsAll(called);
    }

    @Test
    void theInitParsesAsShell() throws Exception {
        Path script = tmp.resolve("init.sh");
        Files.writeString(script, LinuxGuestKit.INIT);
        Process p = new ProcessBuilder(kit.busybox().toString(), "sh", "-n", script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    /**
     * The init's kiln.mount loop, run by busybox on the host over a command line LinuxGuest
     * wrote, with the mount replaced by a print: it finds exactly the mounts kiln put there, and
     * nothing an env value or an argument spells like one.
     */
    @Test
    void theMountLoopReadsKilnsMountsAndNothingTheUserWrote() throws Exception {
        String cmdline = new LinuxGuest().commandLine(List.of("kiln.mount=arg:/a:rw", "x"),
                Map.of("SPACED", "x kiln.mount=env:/e:rw y", "PLAIN", "kiln.mount=env2:/e2:rw"),
                List.of(new Mount("vol1", "/data/sub", true), new Mount("vol0", "/data", false)));
        String init = LinuxGuestKit.INIT;
        String mount = "mkdir -p \"$at\" && mount -t 9p -o \"$o\" \"$tag\" \"$at\"";
        assertThat(init).contains(mount, "for w in $(cat /proc/cmdline); do");
        String loop = init.substring(init.indexOf("set -f\n"), init.indexOf("set +f\n"))
                .replace("$(cat /proc/cmdline)", "$(cat \"$1\")").replace(mount, "echo \"MOUNT $tag $at $o\"");
        Path script = tmp.resolve("loop.sh");
        Files.writeString(script, "fail() { echo \"FAIL $*\"; }\n" + loop);
        Path line = tmp.resolve("cmdline");
        Files.writeString(line, cmdline + "\n");
        Process p = new ProcessBuilder(kit.busybox().toString(), "sh", script.toString(), line.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).isEqualTo("""
                MOUNT vol0 /data trans=virtio,version=9p2000.L
                MOUNT vol1 /data/sub trans=virtio,version=9p2000.L,ro
                """);
    }

    @Test
    void theRomLookupIsTwoLinesThatFindTheDiskBySerial() {
        String lookup = LinuxGuestKit.romLookup("cfg", "/mnt/cfg");
        assertThat(lookup).isEqualTo("""
                for d in /sys/block/vd*; do [ "$(cat $d/serial)" = ukp_rom_cfg ] && dev=/dev/${d##*/}; done
                mkdir -p /mnt/cfg && mount -t erofs -o ro "$dev" /mnt/cfg
                """);
    }

    @Test
    void aDynamicallyLinkedOrMissingBusyboxIsRefusedNamingThePackage() {
        // Any dynamically linked program stands in for Debian's non-static busybox.
        Path dynamic = Path.of("/bin/ls");
        assertThatThrownBy(() -> LinuxGuestKit.staticBusybox(dynamic)).isInstanceOfSatisfying(GuestKitException.class, e -> {
            assertThat(e.debianPackage()).isEqualTo("busybox-static");
            assertThat(e.getMessage()).contains("/bin/ls is dynamically linked").contains("apt-get install busybox-static");
        });
        assertThatThrownBy(() -> LinuxGuestKit.staticBusybox(tmp.resolve("busybox")))
                .isInstanceOf(GuestKitException.class).hasMessageContaining("not found").hasMessageContaining("busybox-static");
    }

    @Test
    void noKernelWithModulesIsRefusedNamingThePackage() throws IOException {
        Path boot = Files.createDirectories(tmp.resolve("boot"));
        Path modules = Files.createDirectories(tmp.resolve("modules"));
        Files.writeString(boot.resolve("vmlinuz-6.1.0-9-amd64"), "not a kernel");
        // a kernel whose modules are not installed is no use: it cannot load virtio
        assertThatThrownBy(() -> HostKernel.find(boot, modules)).isInstanceOfSatisfying(GuestKitException.class,
                e -> assertThat(e.debianPackage()).isEqualTo("linux-image-amd64"));

        Files.createDirectories(modules.resolve("6.1.0-9-amd64/kernel"));
        Files.writeString(boot.resolve("vmlinuz-6.1.0-10-amd64"), "not a kernel");
        Files.createDirectories(modules.resolve("6.1.0-10-amd64/kernel"));
        Files.writeString(boot.resolve("vmlinuz-6.1.0-11-amd64"), "not a kernel"); // no modules
        HostKernel k = HostKernel.find(boot, modules);
        assertThat(k.version()).as("the newest by number, among those with modules").isEqualTo("6.1.0-10-amd64");
        assertThat(k.modulesDir()).isEqualTo(modules.resolve("6.1.0-10-amd64"));
    }

    @Test
    void theBootImageIsTheUncompressedKernelWhenItHasAPvhEntry() throws IOException {
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(kit.bootImage())) {
            assertThat(in.readNBytes(head, 0, 4)).isEqualTo(4);
        }
        assertThat(Files.readAllLines(kit.kernel().bzImage().resolveSibling("config-" + kit.kernel().version())))
                .as("Debian's kernels have CONFIG_PVH=y, so this test expects the vmlinux").contains("CONFIG_PVH=y");
        assertThat(head).containsExactly(0x7f, 'E', 'L', 'F');
        assertThat(kit.bootImage().getParent()).isEqualTo(CACHE);
        // a second kit reuses the extracted file
        long modified = Files.getLastModifiedTime(kit.bootImage()).toMillis();
        assertThat(LinuxGuestKit.find(CACHE).bootImage()).isEqualTo(kit.bootImage());
        assertThat(Files.getLastModifiedTime(kit.bootImage()).toMillis()).isEqualTo(modified);
    }

    private static Map<String, List<String>> modulesDep(Path file) throws IOException {
        Map<String, List<String>> out = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            List<String> deps = new ArrayList<>();
            for (String d : line.substring(colon + 1).strip().split("\\s+")) if (!d.isEmpty()) deps.add(KernelModules.nameOf(d));
            out.put(KernelModules.nameOf(line.substring(0, colon)), deps);
        }
        return out;
    }
}
