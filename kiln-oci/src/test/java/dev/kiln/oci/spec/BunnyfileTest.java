package dev.kiln.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.Source;
import dev.kiln.oci.pack.Dialect;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.RootfsType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class BunnyfileTest extends SpecFixture {
    private static final String HEAD = """
            #syntax=harbor.nbfc.io/nubificus/bunny:latest
            version: v0.1
            """;

    @Test
    void aBunnyfileAndTheEquivalentFlagsMakeTheSameImage() throws IOException {
        Path f = write("bunnyfile", HEAD + """
                platforms:
                  framework: unikraft
                  version: v0.17.0
                  monitor: qemu
                  architecture: x86_64
                rootfs:
                  from: scratch
                  type: initrd
                  include:
                    - rootfs/etc:/etc
                    - source: conf
                      destination: /conf
                kernel:
                  from: local
                  path: kernel
                cmd: ["-v", "/conf/redis.conf"]
                entrypoint: ["/bin/redis"]
                envs:
                  - A=1
                """);
        SpecFile spec = read(f);
        assertThat(spec).isInstanceOf(Bunnyfile.class);
        assertThat(spec.notes()).isEmpty();
        // kiln pack --dialect urunc --unikernel-type unikraft --hypervisor qemu --unikernel-version v0.17.0
        //   --kernel kernel --rootfs rootfs/etc:/etc --rootfs conf:/conf --rootfs-type initrd -e A=1 ...
        PackRequest flags = PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).unikernelType("unikraft").hypervisor("qemu")
                .unikernelVersion("v0.17.0").architecture("x86_64").kernel(kernel)
                .rootfsSource(Source.parse(dir.resolve("rootfs/etc") + ":/etc")).rootfsSource(Source.parse(dir.resolve("conf") + ":/conf"))
                .rootfsType(RootfsType.INITRD).entrypoint(List.of("/bin/redis")).cmd(List.of("-v", "/conf/redis.conf")).env("A=1").build();
        PackRequest fromFile = request(spec);
        assertThat(fromFile.urunc()).isEqualTo(flags.urunc());
        assertThat(fromFile.urunc().binaryPath()).isEqualTo("/.boot/kernel");
        assertThat(fromFile.urunc().rootfsPath()).isEqualTo("/.boot/rootfs");
        assertThat(digest(fromFile, "file")).isEqualTo(digest(flags, "flags"));
    }

    // The examples of the reference (bunny's README and examples), as bunnyfiles kiln reads.

    @Test
    void unikraftWithAnInitrdBuiltFromIncludedFiles() throws IOException {
        Path f = write("bunnyfile", HEAD + """
                platforms:
                  framework: unikraft
                  version: v0.15.0
                  monitor: qemu
                  architecture: x86
                rootfs:
                  from: scratch
                  type: initrd
                  include:
                    - conf:/conf
                kernel:
                  from: local
                  path: kernel
                cmd: ["-c", "/conf/redis.conf"]
                """.replace("x86\n", "amd64\n"));
        PackRequest r = request(read(f));
        assertThat(r.urunc().rootfsType()).isEqualTo(RootfsType.INITRD);
        assertThat(r.rootfs().sources()).hasSize(1);
    }

    @Test
    void rumprunRedisWithTheConfigurationAsARawRootfs() throws IOException {
        Path f = write("bunnyfile", HEAD + """
                platforms:
                  framework: rumprun
                  monitor: hvt
                rootfs:
                  from: scratch
                  type: raw
                  include:
                    - conf/:/conf
                kernel:
                  from: local
                  path: kernel
                cmd: ["redis-server", "/data/conf/redis.conf"]
                """);
        PackRequest r = request(read(f));
        assertThat(r.urunc().unikernelType()).isEqualTo("rumprun");
        assertThat(r.urunc().rootfsType()).isEqualTo(RootfsType.RAW);
    }

    @Test
    void aGenericFrameworkDefaultsToRawAndUnikraftToInitrd() throws IOException {
        String body = """
                platforms:
                  framework: %s
                  monitor: qemu
                rootfs:
                  include:
                    - rootfs/etc:/etc
                kernel:
                  from: local
                  path: kernel
                """;
        assertThat(request(read(write("bunnyfile", HEAD + body.formatted("linux")))).urunc().rootfsType()).isEqualTo(RootfsType.RAW);
        assertThat(request(read(write("bunnyfile", HEAD + body.formatted("unikraft")))).urunc().rootfsType()).isEqualTo(RootfsType.INITRD);
    }

    @Test
    void aLinuxGuestWithAPrebuiltBlockImageTakesItAsItIs() throws IOException {
        Files.write(dir.resolve("disk.ext4"), new byte[8192]);
        Path f = write("bunnyfile", HEAD + """
                platforms:
                  framework: linux
                  monitor: firecracker
                rootfs:
                  from: local
                  path: disk.ext4
                  type: block
                kernel:
                  from: local
                  path: kernel
                cmd: ["/sbin/init"]
                """);
        PackRequest r = request(read(f));
        assertThat(r.rootfs().prebuilt()).isEqualTo(dir.resolve("disk.ext4"));
        assertThat(r.urunc().blkMntPoint()).isEqualTo("/");
        digest(r, "block"); // packs: an ext4 file kiln cannot read as a tree is used as it is
    }

    @Test
    void nginxFromAUnikraftImageIsRefusedForNowSayingWhy() throws IOException {
        Path f = write("bunnyfile", HEAD + """
                platforms:
                  framework: unikraft
                  version: v0.15.0
                  monitor: qemu
                rootfs:
                  from: local
                  path: rootfs.cpio
                kernel:
                  from: unikraft.org/nginx:1.15
                  path: /unikraft/bin/kernel
                """);
        Files.write(dir.resolve("rootfs.cpio"), new byte[512]);
        refused(f, 11).hasMessageContaining("kernel.from: \"unikraft.org/nginx:1.15\"").hasMessageContaining("not supported yet");
    }

    @Test
    void theDeprecatedCmdlineIsSplitAtSpacesWhenCmdIsMissing() throws IOException {
        Path f = write("bunnyfile", HEAD + """
                platforms: {framework: unikraft, monitor: qemu}
                kernel: {from: local, path: kernel}
                cmdline: "-v  --flag x"
                """);
        SpecFile s = read(f);
        assertThat(request(s).cmd()).containsExactly("-v", "--flag", "x");
        assertThat(s.notes()).singleElement().asString().contains(":5: cmdline: deprecated");
    }

    // bunny's validation rules, each with the field and line named.

    private Path body(String text) throws IOException {
        return write("bunnyfile", text);
    }

    @Test
    void theVersionIsRequiredAndAtMostV01() throws IOException {
        refused(body("platforms: {framework: unikraft, monitor: qemu}\nkernel: {from: local, path: kernel}\n"), 0)
                .hasMessageContaining("version: required");
        refused(body("version: v0.2\nplatforms: {framework: unikraft, monitor: qemu}\nkernel: {from: local, path: kernel}\n"), 1)
                .hasMessageContaining("version: \"v0.2\": kiln reads bunnyfiles up to v0.1");
        refused(body("version: banana\n"), 1).hasMessageContaining("version: \"banana\": not a version");
        assertThat(read(body("version: 0.1\nplatforms: {framework: unikraft, monitor: qemu}\nkernel: {from: local, path: kernel}\n"))
                .kind()).isEqualTo(SpecKind.BUNNYFILE);
    }

    @Test
    void frameworkMonitorAndTheKernelAreRequired() throws IOException {
        refused(body("version: v0.1\nplatforms:\n  monitor: qemu\nkernel: {from: local, path: kernel}\n"), 2)
                .hasMessageContaining("platforms.framework: required");
        refused(body("version: v0.1\nplatforms:\n  framework: unikraft\nkernel: {from: local, path: kernel}\n"), 2)
                .hasMessageContaining("platforms.monitor: required");
        refused(body("version: v0.1\nplatforms: {framework: unikraft, monitor: qemu}\nkernel:\n  path: kernel\n"), 3)
                .hasMessageContaining("kernel.from: required");
        refused(body("version: v0.1\nplatforms: {framework: unikraft, monitor: qemu}\nkernel:\n  from: local\n"), 3)
                .hasMessageContaining("kernel.path: required");
        refused(body("version: v0.1\nplatforms: {framework: unikraft, monitor: qemu}\nkernel:\n  from: local\n  path: nope\n"), 5)
                .hasMessageContaining("kernel.path: " + dir.resolve("nope") + ": no such file");
    }

    private static final String OK = "version: v0.1\nplatforms: {framework: linux, monitor: qemu}\nkernel: {from: local, path: kernel}\n";

    @Test
    void aPathNeedsFromLocal() throws IOException {
        refused(body(OK + "rootfs:\n  from: scratch\n  path: x.cpio\n"), 6).hasMessageContaining("rootfs.path: needs rootfs.from local");
        refused(body(OK + "rootfs:\n  path: x.cpio\n"), 5).hasMessageContaining("rootfs.path: needs rootfs.from local");
    }

    @Test
    void aPathOrFromLocalCannotBeRaw() throws IOException {
        refused(body(OK + "rootfs:\n  from: local\n  path: x.cpio\n  type: raw\n"), 7)
                .hasMessageContaining("rootfs.type: raw cannot be combined with rootfs.path");
        refused(body(OK + "rootfs:\n  from: local\n  type: raw\n"), 6)
                .hasMessageContaining("rootfs.type: raw cannot be combined with from: local");
    }

    @Test
    void includeCannotBeCombinedWithFromLocal() throws IOException {
        refused(body(OK + "rootfs:\n  from: local\n  path: kernel\n  include:\n    - conf:/conf\n"), 7)
                .hasMessageContaining("rootfs.include: cannot be combined with from: local");
    }

    @Test
    void includeOverAnImageNeedsRaw() throws IOException {
        refused(body(OK + "rootfs:\n  from: alpine:3\n  type: initrd\n  include:\n    - conf:/conf\n"), 7)
                .hasMessageContaining("rootfs.include: adding files to an existing non-raw rootfs is not supported");
        refused(body(OK + "rootfs:\n  from: alpine:3\n  type: raw\n  include:\n    - conf:/conf\n"), 5)
                .hasMessageContaining("rootfs.from: \"alpine:3\"").hasMessageContaining("container images as sources are not supported yet");
    }

    @Test
    void anIncludeNeedsASource() throws IOException {
        refused(body(OK + "rootfs:\n  include:\n    - conf:/conf\n    - :/x\n"), 7)
                .hasMessageContaining("rootfs.include[1]: \":/x\": the part before ':' (the file to include) is empty");
        refused(body(OK + "rootfs:\n  include:\n    - destination: /x\n"), 6).hasMessageContaining("rootfs.include[0].source: required");
        refused(body(OK + "rootfs:\n  include:\n    - {from: busybox:1, source: /bin, destination: /bin}\n"), 6)
                .hasMessageContaining("rootfs.include[0].from: \"busybox:1\"");
        refused(body(OK + "rootfs:\n  include:\n    - missing:/x\n"), 6).hasMessageContaining("no such file or directory");
    }

    @Test
    void aTypeTheFrameworkCannotTakeIsRefused() throws IOException {
        refused(body(OK.replace("linux", "unikraft") + "rootfs:\n  type: block\n  include:\n    - conf:/conf\n"), 5)
                .hasMessageContaining("rootfs.type: block: bunny cannot set a block rootfs for unikraft");
        refused(body(OK + "rootfs:\n  type: tmpfs\n"), 5).hasMessageContaining("rootfs.type: \"tmpfs\": initrd, raw or block");
    }

    @Test
    void uruncRulesArePointedAtTheLineThatSetTheField() throws IOException {
        // urunc runs no linux guest on hvt: the builder's rule, reported where the file set the field.
        refused(body("version: v0.1\nplatforms:\n  framework: linux\n  monitor: hvt\nkernel: {from: local, path: kernel}\n"), 3)
                .hasMessageContaining("platforms.framework: unikernelType \"linux\" with hypervisor hvt");
        refused(body("version: v0.1\nplatforms:\n  framework: linux\n  monitor: hvx\nkernel: {from: local, path: kernel}\n"), 4)
                .hasMessageContaining("platforms.monitor: hypervisor \"hvx\": urunc knows");
        refused(body("version: v0.1\nplatforms:\n  framework: mirage\n  monitor: qemu\nkernel: {from: local, path: kernel}\n"
                + "rootfs:\n  type: initrd\n  include:\n    - conf:/conf\n"), 7)
                .hasMessageContaining("rootfs.type: rootfs type initrd: urunc cannot give that to a mirage guest");
    }

    @Test
    void unknownKeysAreRefusedWithTheirLine() throws IOException {
        refused(body(OK + "entrypont: [\"/x\"]\n"), 4).hasMessageContaining("entrypont: unknown key");
        refused(body(OK.replace("monitor: qemu", "monitor: qemu, arhc: x86") + ""), 2).hasMessageContaining("platforms.arhc: unknown key");
        refused(body(OK + "cmd: \"-v\"\n"), 4).hasMessageContaining("cmd: expected a list of strings");
        refused(body(OK + "envs: [\"A:1\"]\n"), 4).hasMessageContaining("envs[0]: \"A:1\": expected KEY=VALUE");
        refused(body(OK + "cmd: [a]\ncmd: [b]\n"), 5).hasMessageContaining("cmd: given twice (first at line 4)");
    }

    @Test
    void aLocalRootfsFileOfAGenericFrameworkNeedsItsType() throws IOException {
        Files.write(dir.resolve("disk.img"), new byte[4096]);
        refused(body(OK + "rootfs:\n  from: local\n  path: disk.img\n"), 4).hasMessageContaining("rootfs.type: required with from: local for linux");
    }
}
