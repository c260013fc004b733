package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code kiln pack -f}: each spec file gives, byte for byte, what its equivalent flags give, and flags override the file. */
class PackSpecFileTest {
    private static final Path KERNEL = dev.kiln.fs.guest.UnikraftProbe.kernel();
    private static final Pattern PACKED = Pattern.compile("kiln: packed \\S+ \\((sha256:[0-9a-f]{64})");

    @TempDir Path tmp;
    Path kernel;

    @BeforeEach
    void inputs() throws IOException {
        kernel = tmp.resolve("kernel");
        if (Files.isRegularFile(KERNEL)) Files.copy(KERNEL, kernel);
        else Files.write(kernel, new byte[100_000]);
        Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(tmp.resolve("rootfs/etc/app.conf"), "port=8080\n");
    }

    private String pack(String name, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "pack";
        all[1] = "-o";
        all[2] = "oci:" + tmp.resolve("layout-" + name) + ":t";
        System.arraycopy(args, 0, all, 3, args.length);
        Cli c = Cli.run(all);
        assertThat(c.exit()).as(c.err()).isZero();
        Matcher m = PACKED.matcher(c.err());
        assertThat(m.find()).as(c.err()).isTrue();
        return m.group(1);
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text);
    }

    @Test
    void aBunnyfileGivesWhatItsFlagsGive() throws IOException {
        Path f = write("bunnyfile", """
                #syntax=harbor.nbfc.io/nubificus/bunny:latest
                version: v0.1
                platforms:
                  framework: unikraft
                  monitor: qemu
                rootfs:
                  include:
                    - rootfs/etc:/etc
                kernel:
                  from: local
                  path: kernel
                cmd: ["-v"]
                """);
        assertThat(pack("file", "-f", f.toString())).isEqualTo(pack("flags", "--dialect", "urunc", "--unikernel-type", "unikraft",
                "--hypervisor", "qemu", "--kernel", kernel.toString(), "--rootfs", tmp.resolve("rootfs/etc") + ":/etc", "--", "-v"));
    }

    @Test
    void aContainerfileGivesWhatItsFlagsGiveWithBuildArgs() throws IOException {
        Path f = write("Containerfile", """
                FROM scratch
                ARG PORT=80
                LABEL com.urunc.unikernel.unikernelType=unikraft com.urunc.unikernel.binary=/.boot/kernel
                COPY kernel /.boot/kernel
                COPY rootfs /
                ENV PORT=$PORT
                CMD ["-v"]
                """);
        assertThat(pack("file", "-f", f.toString(), "--build-arg", "PORT=8080")).isEqualTo(pack("flags", "--dialect", "urunc",
                "--unikernel-type", "unikraft", "--kernel", kernel.toString(), "--rootfs", tmp.resolve("rootfs") + ":/",
                "--rootfs-type", "raw", "-e", "PORT=8080", "--", "-v"));
    }

    @Test
    void aKraftfileGivesWhatItsFlagsGive() throws IOException {
        Path f = write("Kraftfile", """
                spec: v0.7
                targets:
                  - qemu/x86_64
                rootfs: ./rootfs
                cmd: ["-v", "--", "app"]
                env:
                  A: 1
                """);
        assertThat(pack("file", "-f", f.toString(), "--kernel", kernel.toString())).isEqualTo(pack("flags",
                "--kernel", kernel.toString(), "--rootfs", tmp.resolve("rootfs").toString(), "-e", "A=1", "--", "-v", "--", "app"));
    }

    @Test
    void flagsGivenWithTheFileOverrideIt() throws IOException {
        Path f = write("bunnyfile", """
                version: v0.1
                platforms: {framework: unikraft, monitor: qemu}
                kernel: {from: local, path: kernel}
                envs: [A=1, B=2]
                cmd: ["-v"]
                """);
        Path layout = tmp.resolve("o");
        Cli c = Cli.run("pack", "-f", f.toString(), "--hypervisor", "firecracker", "-e", "B=3", "-o", "oci:" + layout + ":t", "--", "-q");
        assertThat(c.exit()).as(c.err()).isZero();
        JsonNode m = JsonMapper.builder().build().readTree(Cli.run("inspect", "--json", "oci:" + layout + ":t").out()).get("manifests").get(0);
        assertThat(m.get("annotations").get("com.urunc.unikernel.hypervisor").asString()).isEqualTo("firecracker");
        assertThat(m.get("config").get("Env").toString()).isEqualTo("[\"A=1\",\"B=3\"]");
        assertThat(m.get("config").get("Cmd").toString()).isEqualTo("[\"-q\"]");
    }

    @Test
    void aMistakeNamesTheFileAndLineAndNotesArePrinted() throws IOException {
        Path f = write("Containerfile", "FROM scratch\nRUN make\n");
        Cli c = Cli.run("pack", "-f", f.toString(), "-o", "oci:" + tmp.resolve("x"));
        assertThat(c.exit()).isNotZero();
        assertThat(c.err()).contains(f + ":2: RUN: kiln builds images without executing anything");
        Path k = write("Kraftfile", "spec: v0.7\nrootfs: ./rootfs\nvolumes: ./d:/d\n");
        Cli ok = Cli.run("pack", "-f", k.toString(), "--kernel", kernel.toString(), "-o", "oci:" + tmp.resolve("y"));
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.err()).contains(k + ":3: volumes: read and kept out of the image");
        Cli noKernel = Cli.run("pack", "-f", k.toString(), "-o", "oci:" + tmp.resolve("z"));
        assertThat(noKernel.err()).contains("kernel: a Kraftfile names no kernel (kraft builds it): pass the built kernel with --kernel");
    }
}
