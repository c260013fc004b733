package dev.kiln.platform.guest;

import static dev.kiln.platform.vmm.TestGuests.console;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import dev.kiln.platform.vmm.LaunchSpec;
import dev.kiln.platform.vmm.VmExit;
import dev.kiln.platform.vmm.VmHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kit's guest on Debian's kernel under QEMU, as kiln serve launches it: {@link LinuxGuest}'s
 * command line, 9p shares and ROM disks from a {@link LaunchSpec}. Two boots: one where
 * everything is in place and the application checks it all, one where a share is missing.
 */
class LinuxGuestKitBootTest {
    @TempDir static Path work;
    static LinuxGuestKit kit;

    @BeforeAll
    static void findKit() throws Exception {
        kit = LinuxGuestKit.find(LinuxGuestKitRootfsTest.CACHE);
    }

    /**
     * The application the first boot runs: it prints what it got and what it sees, one
     * {@code KILN-T} line per check, and exits 3. The ROM is found by the README's two lines.
     */
    private static final String CHECK = """
            #!/bin/sh
            for a in "$@"; do echo "KILN-T arg [$a]"; done
            echo "KILN-T env GREETING=[$GREETING] PATH=[$PATH]"
            echo "from the guest" >> /data/log && echo "KILN-T rw appended"
            if out=$( (echo x > /ro/new) 2>&1 ); then echo "KILN-T ro write succeeded"; else echo "KILN-T ro write failed: $out"; fi
            echo "KILN-T ro reads [$(cat /ro/hello)]"
            """ + LinuxGuestKit.romLookup("cfg", "/mnt/cfg") + """
            echo "KILN-T rom [$(cat /mnt/cfg/greeting.txt)] on $dev"
            echo "KILN-T rom write: $( (echo x > /mnt/cfg/new) 2>&1 )"
            echo "KILN-T uptime $(cat /proc/uptime)"
            exit 3
            """;

    @Test
    void sharesRomsArgsAndEnvReachTheApplicationAndItsExitCodeEndsTheGuest() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Files.writeString(data.resolve("log"), "from the host\n");
        Path ro = Files.createDirectories(work.resolve("ro"));
        Files.writeString(ro.resolve("hello"), "read me");
        // The decoy comes first, so the ROM the lookup wants is not /dev/vda: found by serial, not by order.
        Path decoy = rom("decoy.erofs", "not this one");
        Path cfg = rom("cfg.erofs", "hello from a kiln ROM");
        Path initramfs = work.resolve("initramfs.cpio");
        kit.initramfs(Source.memory().file("check", CHECK.getBytes(StandardCharsets.UTF_8), 0755).build()).writeTo(initramfs);

        Map<String, String> env = new LinkedHashMap<>();
        env.put("GREETING", "hello world");
        List<String> args = List.of("/check", "two words", "à", "");
        String cmdline = new LinuxGuest().commandLine(args, env,
                List.of(new Mount("vol0", "/data", false), new Mount("vol1", "/ro", true)));
        LaunchSpec spec = spec(cmdline, initramfs)
                .withShares(List.of(new LaunchSpec.Share("vol0", data, false), new LaunchSpec.Share("vol1", ro, true)))
                .withDisks(List.of(new LaunchSpec.Disk(decoy, "ukp_rom_other"), new LaunchSpec.Disk(cfg, "ukp_rom_cfg")));

        long start = System.nanoTime();
        VmHandle vm = vmm().start(spec);
        VmExit exit;
        try {
            exit = vm.exit().get(180, TimeUnit.SECONDS);
        } finally {
            vm.kill().get(60, TimeUnit.SECONDS);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        String c = console(vm);
        System.out.printf("LinuxGuestKitBootTest: %s, %d ms from launch to exit, %s%n", vm.accel(), ms,
                line(c, "KILN-T uptime "));

        assertThat(c).as(c).doesNotContain("KILN-ERROR").contains("KILN-READY\n")
                .as("partition-scan noise of one-block ROMs is kept off the console").doesNotContain("RDB block");
        assertThat(c.indexOf("KILN-READY")).as("ready before the application runs").isLessThan(c.indexOf("KILN-T "));
        assertThat(c).contains("KILN-T arg [two words]\nKILN-T arg [à]\nKILN-T arg []\n");
        assertThat(c).contains("KILN-T env GREETING=[hello world] PATH=[/sbin:/usr/sbin:/bin:/usr/bin]");
        assertThat(c).contains("KILN-T rw appended");
        assertThat(Files.readString(data.resolve("log"))).isEqualTo("from the host\nfrom the guest\n");
        assertThat(line(c, "KILN-T ro write ")).startsWith("failed: ").contains("Read-only file system");
        assertThat(ro.resolve("new")).doesNotExist();
        assertThat(c).contains("KILN-T ro reads [read me]");
        assertThat(c).contains("KILN-T rom [hello from a kiln ROM] on /dev/vdb");
        assertThat(line(c, "KILN-T rom write: ")).contains("Read-only file system");

        assertThat(c).contains("KILN-EXIT 3\n");
        assertThat(exit.cause()).as(exit.detail()).isEqualTo(VmExit.Cause.GUEST_EXIT);
        assertThat(exit.exitCode()).as("the code, through isa-debug-exit").hasValue(3);
    }

    @Test
    void aShareThatCannotBeMountedStopsTheGuestBeforeTheApplicationNamingTheMount() throws Exception {
        Path initramfs = work.resolve("initramfs-app.cpio");
        kit.initramfs(Source.memory().file("app", "#!/bin/sh\necho KILN-T app ran\n".getBytes(StandardCharsets.UTF_8), 0755)
                .build()).writeTo(initramfs);
        // QEMU is given no share tagged "absent"
        String cmdline = new LinuxGuest().commandLine(List.of(), Map.of(), List.of(new Mount("absent", "/data", false)));
        VmHandle vm = vmm().start(spec(cmdline, initramfs));
        VmExit exit;
        try {
            exit = vm.exit().get(180, TimeUnit.SECONDS);
        } finally {
            vm.kill().get(60, TimeUnit.SECONDS);
        }
        String c = console(vm);
        assertThat(c).as(c).contains("KILN-ERROR kiln.mount=absent:/data:rw: cannot mount 9p tag absent at /data\n")
                .contains("KILN-EXIT 125\n").doesNotContain("KILN-READY").doesNotContain("app ran");
        assertThat(exit.exitCode()).as(exit.detail()).hasValue(125);
    }

    private static LaunchSpec spec(String cmdline, Path initramfs) {
        String id = UUID.randomUUID().toString();
        return LaunchSpec.of(id, work.resolve("run-" + id.substring(0, 8)), kit.bootImage(), cmdline)
                .withInitrd(initramfs).withMemory(256);
    }

    /** An EROFS ROM built by kiln holding greeting.txt. */
    private static Path rom(String name, String greeting) throws Exception {
        Path out = work.resolve(name);
        ImageBuild.builder().source(Source.memory().file("greeting.txt", greeting.getBytes(StandardCharsets.UTF_8)).build())
                .format(ImageFormat.EROFS).target(Target.LINUX).build().writeTo(out);
        return out;
    }

    /** The rest of the first console line starting with {@code prefix}, or null. */
    private static String line(String console, String prefix) {
        for (String l : console.split("\n")) if (l.startsWith(prefix)) return l.substring(prefix.length());
        return null;
    }
}
