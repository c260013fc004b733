package dev.kiln.platform.rom;

import static dev.kiln.platform.vmm.TestGuests.console;
import static dev.kiln.platform.vmm.TestGuests.probeInitrd;
import static dev.kiln.platform.vmm.TestGuests.probeKernel;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.guest.UnikraftGuest;
import dev.kiln.platform.rom.InitrdComposer.Placement;
import dev.kiln.platform.vmm.LaunchSpec;
import dev.kiln.platform.vmm.VmExit;
import dev.kiln.platform.vmm.VmHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A composed initrd booted by the real Unikraft 0.17 probe guest under QEMU. */
class InitrdComposerUnikraftTest {
    @TempDir
    Path work;

    static String fnv1a64(byte[] b) {
        long h = 0xcbf29ce484222325L;
        for (byte x : b) {
            h ^= x & 0xff;
            h *= 0x100000001b3L;
        }
        return String.format("%016x", h);
    }

    @Test
    void theProbeSeesTheRomsAtTheirMountPointsAndNotTheBaseFilesTheyHide() throws Exception {
        byte[] settings = "{\"id\":\"abc\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] extra = "x=1\n".getBytes(StandardCharsets.UTF_8);
        RomStore.Stored inline = RomStore.open(work.resolve("roms")).putInline("roms[0]",
                List.of(new InlineFile("/settings.json", settings), new InlineFile("conf.d/extra.conf", extra)));
        byte[] page = "<h1>served</h1>\n".getBytes(StandardCharsets.UTF_8);
        OciLayout layout = OciLayout.create(work.resolve("images"));
        Packer.pack(PackRequest.builder().rom(new PackRequest.Rom("www", null,
                List.of(Source.memory().file("index.html", page).build()), ImageFormat.EROFS)).build(), layout, "www:v1", work);
        RomImages.Resolved www = new RomImages(layout, Set.of()).resolve("roms[1].image", "www:v1");

        Path base = probeInitrd(work); // holds /etc/app/config.json
        InitrdComposer.Composition initrd = InitrdComposer.open(work.resolve("initrds")).compose(base, "probe", List.of(
                new Placement(inline.path(), inline.digest().toString(), "/etc/app"),
                new Placement(www.path(), www.blob().toString(), "/srv/www")), Target.UNIKRAFT);

        String cmdline = new UnikraftGuest(true).commandLine(List.of("walk=/etc", "walk=/srv", "cat=/etc/app/settings.json",
                "cat=/srv/www/index.html", "cat=/etc/app/config.json"), Map.of(), List.of());
        LaunchSpec spec = LaunchSpec.of("rom-boot", work.resolve("run"), probeKernel(), cmdline).withInitrd(initrd.file()).withMemory(64);
        VmHandle vm = vmm().start(spec);
        VmExit exit = vm.exit().get(60, TimeUnit.SECONDS);
        String c = console(vm);
        assertThat(exit.cause()).as(c).isEqualTo(VmExit.Cause.GUEST_SHUTDOWN);
        // Walk lines: E type mode uid gid size nlink ino mtime path [hashes]; ino and directory times vary.
        List<String> walked = c.lines().filter(l -> l.startsWith("E ")).map(l -> {
            String[] f = l.split(" ");
            return String.join(" ", f[1], f[2], f[3], f[4], f[5], f[1].equals("f") ? f[8] : "-", f[9], f.length > 10 ? f[10] : "");
        }).toList();
        assertThat(walked).containsExactlyInAnyOrder(
                "d 0755 0 0 0 - /etc ",
                "d 0755 0 0 0 - /etc/app ",
                "d 0755 0 0 0 - /etc/app/conf.d ",
                "f 0644 0 0 " + extra.length + " 0 /etc/app/conf.d/extra.conf fnv1a64=" + fnv1a64(extra),
                "f 0644 0 0 " + settings.length + " 0 /etc/app/settings.json fnv1a64=" + fnv1a64(settings),
                "d 0755 0 0 0 - /srv ",
                "d 0755 0 0 0 - /srv/www ",
                "f 0644 0 0 " + page.length + " 0 /srv/www/index.html fnv1a64=" + fnv1a64(page));
        assertThat(c).contains("CAT /etc/app/settings.json size=" + settings.length + " fnv1a64=" + fnv1a64(settings)
                        + " data={\"id\":\"abc\"}\\x0a\n")
                .contains("CAT /srv/www/index.html size=" + page.length + " fnv1a64=" + fnv1a64(page) + " data=<h1>served</h1>\\x0a\n")
                .contains("ERR cat=/etc/app/config.json errno=2\n")
                .contains("PROBE-DONE errors=1\n");
    }
}
