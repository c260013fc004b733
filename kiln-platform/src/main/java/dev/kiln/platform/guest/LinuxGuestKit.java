package dev.kiln.platform.guest;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A ready-made Linux guest from what this host has installed: Debian's kernel, a static busybox
 * and kiln's {@link #INIT}, which honours {@link LinuxGuest}'s command line (args, env and
 * {@code kiln.mount=} 9p shares), waits for the ROM disks, runs the application and stops the
 * guest with its exit code.
 *
 * <pre>{@code
 * LinuxGuestKit kit = LinuxGuestKit.find(cacheDir);
 * kit.pack(layout, "hello:latest", Source.memory().file("app", script, 0755).build());
 * }</pre>
 *
 * <h2>The root filesystem ({@link #rootfs()})</h2>
 * {@code /init}; {@code /bin/busybox} with links for {@link #APPLETS}; the modules for virtio
 * PCI, virtio-blk, virtio-net, EROFS and 9p as {@code /lib/kiln/modules/NN-name.ko}, numbered
 * in the order modules.dep says they load (the init loads them by glob, so the order is in the
 * names); and the usual empty directories. An application goes on top: {@code /app}, or any
 * program named by the instance's args.
 *
 * <h2>The initramfs is written uncompressed</h2>
 * The kernel unpacks gzip and zstd itself, but under TCG it does so in emulated code; an
 * uncompressed archive is only copied, and QEMU hands it over through fw_cfg DMA whatever its
 * size. Measured on a 2-core host shared with other builds (guest uptime when the application
 * started, best of 6 boots each): plain 3.5 MB 1.45 s, zstd 1.3 MB 1.56 s, gzip 1.4 MB 1.60 s.
 * Single boots varied by more than a second on the busy host, more than the formats differ
 * (Linux 6.1 unpacks the initramfs asynchronously, alongside the device initcalls, which hides
 * most of the decompression), so the choice rests on plain never being slower at best and
 * doing the least emulated work. What it costs is about 2 MB more per image in the store.
 */
public final class LinuxGuestKit {
    /** The busybox applets linked in {@code /bin}: what the init uses and a small toolbox for applications. */
    public static final List<String> APPLETS = List.of("sh", "[", "cat", "cp", "date", "dd", "echo", "env", "false",
            "grep", "head", "hostname", "id", "ifconfig", "insmod", "ip", "kill", "ln", "ls", "mkdir", "mount", "mv",
            "nc", "od", "poweroff", "printf", "ps", "rm", "sed", "sha256sum", "sleep", "stat", "sync", "tail", "test",
            "touch", "tr", "true", "umount", "uname", "wc", "wget");

    /**
     * The modules the init loads, before their dependencies are added. {@code crc32c_generic} is
     * named because {@code libcrc32c} (which EROFS needs) has only a soft dependency on a crc32c
     * implementation, which modules.dep does not list; the generic one, because crc32c-intel
     * needs SSE4.2, which not every emulated CPU offers.
     */
    public static final List<String> MODULES = List.of("virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic",
            "erofs", "ext4", "9pnet_virtio", "9p");

    /** Where the modules lie in the guest. */
    public static final String MODULE_DIR = "lib/kiln/modules";

    static final String BUSYBOX_PACKAGE = "busybox-static";
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    /**
     * kiln's {@code /init}, a POSIX sh script run by busybox as PID 1.
     *
     * <ol>
     * <li>mounts /proc, /sys and /dev (devtmpfs) and loads the modules;</li>
     * <li>mounts each {@code kiln.mount=TAG:AT:ro|rw} of /proc/cmdline: 9p over virtio, tag TAG
     *     at AT (created), read-only for {@code ro};</li>
     * <li>waits, at most 10 s, until every virtio-blk PCI function QEMU attached has its
     *     {@code /dev/vdX}: the disks appear after the driver's probe, asynchronously;</li>
     * <li>prints {@code KILN-READY} and runs its arguments as a command, or {@code /app} when it
     *     has none, with the environment the kernel gave it;</li>
     * <li>prints {@code KILN-EXIT <code>} and ends the guest: the code goes to QEMU's
     *     isa-debug-exit port, which makes QEMU exit with {@code (code << 1) | 1} so that the
     *     platform records it; codes of 128 and above do not fit that status and, like a VMM
     *     without the port, fall through to {@code poweroff -f}.</li>
     * </ol>
     * A step that fails prints a {@code KILN-ERROR} line saying what failed and ends the guest
     * with code 125, rather than run the application without a mount it expects.
     *
     * <p>The mount loop stops at the first {@code --} or quoted word: {@link LinuxGuest} writes
     * the {@code kiln.mount=} words right after its fixed words and quotes only env values and
     * args, which come later, so no env value or argument can pass for a mount. Globbing is off
     * during the loop, since unquoted env values may hold '*'.
     */
    public static final String INIT = """
            #!/bin/sh
            # kiln's init for a Linux guest (PID 1, busybox sh). The kernel hands it the application's
            # args (what follows "--" on its command line) and env; kiln.mount= stays in /proc/cmdline.
            # busybox sh sets PATH=/sbin:/usr/sbin:/bin:/usr/bin when the env has none; programs need it too.
            export PATH
            mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev

            # The code goes to isa-debug-exit (port 0xf4): QEMU exits with (code << 1) | 1.
            halt() {
              echo "KILN-EXIT $1"
              [ "$1" -lt 128 ] && printf "\\\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=244 conv=notrunc 2>/dev/null
              poweroff -f
            }
            fail() { echo "KILN-ERROR $*"; halt 125; }

            # Probing a one-block ROM logs "unable to read RDB block 8": keep that off the application's console.
            read -r level rest < /proc/sys/kernel/printk; echo 1 > /proc/sys/kernel/printk
            for m in /lib/kiln/modules/*.ko; do insmod "$m" || fail "insmod ${m##*/} failed"; done

            # Disks appear after the driver's probe: wait for one /dev/vdX per virtio-blk PCI function.
            want=$(cat /sys/bus/pci/devices/*/uevent 2>/dev/null | grep -cxE 'PCI_ID=1AF4:(1001|1042)')
            i=0
            while [ "$(ls /dev | grep -cx 'vd[a-z]*')" -lt "$want" ]; do
              [ $i -lt 100 ] || fail "$want virtio disks attached, $(ls /dev | grep -cx 'vd[a-z]*') appeared in 10 s"
              sleep 0.1; i=$((i + 1))
            done
            echo "$level" > /proc/sys/kernel/printk

            # Mounts, parents first: kiln.mount=TAG:AT:ro|rw (9p) and kiln.disk=SERIAL:AT:ro|rw (an ext4
            # block volume), written before anything quoted and before "--".
            set -f
            for w in $(cat /proc/cmdline); do
              case "$w" in
                --|*\\"*) break ;;
                kiln.mount=*)
                  m=${w#kiln.mount=}; tag=${m%%:*}; at=${m#*:}; at=${at%:*}
                  o=trans=virtio,version=9p2000.L; [ "${m##*:}" = ro ] && o=$o,ro
                  mkdir -p "$at" && mount -t 9p -o "$o" "$tag" "$at" || fail "kiln.mount=$m: cannot mount 9p tag $tag at $at" ;;
                kiln.disk=*)
                  m=${w#kiln.disk=}; serial=${m%%:*}; at=${m#*:}; at=${at%:*}; dev=
                  set +f; for d in /sys/block/vd*; do [ "$(cat $d/serial)" = "$serial" ] && dev=/dev/${d##*/}; done; set -f
                  o=rw; [ "${m##*:}" = ro ] && o=ro
                  [ -n "$dev" ] && mkdir -p "$at" && mount -t ext4 -o "$o" "$dev" "$at" || fail "kiln.disk=$m: cannot mount disk $serial at $at" ;;
              esac
            done
            set +f


            [ $# -gt 0 ] || [ ! -x /app ] || set -- /app
            [ $# -gt 0 ] || fail "nothing to run: no args, and no executable /app"
            echo KILN-READY
            "$@"
            halt $?
            """;

    private final HostKernel kernel;
    private final Path bootImage;
    private final Path busybox;
    private final List<KernelModules.Module> modules;
    private final MemorySource rootfs;

    private LinuxGuestKit(HostKernel kernel, Path bootImage, Path busybox, List<KernelModules.Module> modules)
            throws IOException {
        this.kernel = kernel;
        this.bootImage = bootImage;
        this.busybox = busybox;
        this.modules = List.copyOf(modules);
        this.rootfs = buildRootfs();
    }

    /**
     * The kit from this host: the newest Debian kernel that has its modules
     * ({@link HostKernel#find()}), its vmlinux extracted into {@code cacheDir} once (see
     * {@link HostKernel#bootImage}), and {@code /bin/busybox}.
     *
     * @throws GuestKitException naming the Debian package to install ({@code linux-image-amd64},
     *                           {@code busybox-static}) when a piece is missing
     */
    public static LinuxGuestKit find(Path cacheDir) throws IOException {
        Objects.requireNonNull(cacheDir, "cacheDir");
        HostKernel kernel = HostKernel.find();
        return new LinuxGuestKit(kernel, kernel.bootImage(cacheDir), staticBusybox(BUSYBOX),
                KernelModules.resolve(kernel, MODULES));
    }

    /** The host kernel the guest runs. */
    public HostKernel kernel() {
        return kernel;
    }

    /** What QEMU's {@code -kernel} gets: the extracted vmlinux, or the bzImage. */
    public Path bootImage() {
        return bootImage;
    }

    /** The busybox binary copied into the guest. */
    public Path busybox() {
        return busybox;
    }

    /** The module names in the order the init loads them, dependencies first. */
    public List<String> moduleOrder() {
        return modules.stream().map(KernelModules.Module::name).toList();
    }

    /** The guest's root filesystem, without an application; in memory, immutable, reusable. */
    public MemorySource rootfs() {
        return rootfs;
    }

    /**
     * The initramfs: {@link #rootfs()} with {@code extra} laid over it in order (an {@code /app},
     * files the application reads), as an uncompressed newc cpio for Linux with fixed times.
     */
    public ImageBuild initramfs(Source... extra) {
        return ImageBuild.builder().source(rootfs).sources(List.of(extra)).format(ImageFormat.CPIO)
                .target(Target.LINUX).mtime(MtimePolicy.fixed(0)).build();
    }

    /**
     * Packs the guest into {@code layout} as {@code tag}: a kraft-dialect image of
     * {@link #bootImage()} and the initramfs of {@link #rootfs()} plus {@code extra}, labelled
     * {@code dev.kiln.guest=linux} so that kiln serve boots it as a Linux guest.
     */
    public Packer.Result pack(OciLayout layout, String tag, Source... extra) throws IOException {
        PackRequest.Builder r = PackRequest.builder().kernel(bootImage).kernelVersion(kernel.version())
                .label(Packer.GUEST_LABEL, "linux").rootfsSource(rootfs);
        for (Source s : extra) r.rootfsSource(s);
        return Packer.pack(r.build(), layout, tag, null);
    }

    /**
     * The README's lookup of a ROM disk by its serial ({@code ukp_rom_<name>}), for an
     * application that mounts it itself: two lines of sh, run after the init (which has waited
     * for the disks). {@code name} and {@code at} are used as given: plain names and paths only.
     */
    public static String romLookup(String name, String at) {
        return "for d in /sys/block/vd*; do [ \"$(cat $d/serial)\" = ukp_rom_" + name + " ] && dev=/dev/${d##*/}; done\n"
                + "mkdir -p " + at + " && mount -t erofs -o ro \"$dev\" " + at + "\n";
    }

    private MemorySource buildRootfs() throws IOException {
        MemorySource.Builder b = Source.memory();
        for (String d : List.of("dev", "etc", "mnt", "proc", "run", "sys")) b.directory(d);
        b.directory("root", Metadata.of(0700));
        b.directory("tmp", Metadata.of(01777));
        b.file("bin/busybox", Files.readAllBytes(busybox), 0755);
        for (String a : APPLETS) b.symlink("bin/" + a, "busybox");
        for (int i = 0; i < modules.size(); i++) {
            KernelModules.Module m = modules.get(i);
            b.file(String.format("%s/%02d-%s.ko", MODULE_DIR, i, m.name()), m.bytes());
        }
        b.file("init", INIT.getBytes(StandardCharsets.UTF_8), 0755);
        return b.build();
    }

    /**
     * {@code file} if it is a statically linked busybox. Debian's {@code busybox} package puts a
     * dynamically linked one at the same path, which dies in a guest without a libc; an ELF with
     * a program interpreter (PT_INTERP) is that one.
     */
    static Path staticBusybox(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new GuestKitException(file + " not found", BUSYBOX_PACKAGE);
        byte[] elf = Files.readAllBytes(file);
        ByteBuffer h = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || h.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
            throw new GuestKitException(file + " is not a 64-bit little-endian ELF program", BUSYBOX_PACKAGE);
        }
        long phoff = h.getLong(32);
        int phentsize = Short.toUnsignedInt(h.getShort(54)), phnum = Short.toUnsignedInt(h.getShort(56));
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * phentsize;
            if (at + 4 > elf.length) break;
            if (h.getInt((int) at) == 3) {
                throw new GuestKitException(file + " is dynamically linked and would not run in the guest",
                        BUSYBOX_PACKAGE);
            }
        }
        return file;
    }
}
