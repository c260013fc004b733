package dev.kiln.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.pack.Dialect;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.RootfsType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerfileTest extends SpecFixture {
    private static final String UNIKRAFT = """
            LABEL com.urunc.unikernel.unikernelType=unikraft \\
                  com.urunc.unikernel.hypervisor="qemu"
            LABEL com.urunc.unikernel.binary=/.boot/kernel
            COPY kernel /.boot/kernel
            """;

    @Test
    void aContainerfileAndTheEquivalentFlagsMakeTheSameImage() throws IOException {
        Path f = write("Containerfile", """
                # syntax=docker/dockerfile:1
                ARG BASE=scratch
                FROM ${BASE} AS app
                ARG CONF=/etc
                """ + UNIKRAFT + """
                # the files the guest sees, as the image's own (mountRootfs=true)
                COPY rootfs/etc ${CONF}
                COPY ["conf/redis.conf", "/conf/"]
                ENV A=1 B="two words" \\
                    C=$CONF/app.conf
                ENV LEGACY a value with spaces
                LABEL org.example.title='Hello $CONF'
                WORKDIR /srv
                WORKDIR data
                ENTRYPOINT ["/bin/redis"]
                CMD ["-v", "${CONF}"]
                """);
        SpecFile spec = read(f);
        assertThat(spec.notes()).isEmpty();
        Containerfile c = (Containerfile) spec;
        assertThat(c.env()).containsExactly("A=1", "B=two words", "C=/etc/app.conf", "LEGACY=a value with spaces");
        assertThat(c.labels()).containsExactly(Map.entry("org.example.title", "Hello $CONF"));
        assertThat(c.cmd()).containsExactly("-v", "${CONF}"); // the exec form is not substituted, as in Docker
        PackRequest flags = PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).unikernelType("unikraft").hypervisor("qemu")
                .kernel(kernel).binaryPath("/.boot/kernel")
                .rootfsSource(Source.parse(dir.resolve("rootfs/etc") + ":/etc"))
                .rootfsSource(Source.parse(dir.resolve("conf/redis.conf") + ":/conf/")).rootfsType(RootfsType.RAW)
                .env("A=1").env("B=two words").env("C=/etc/app.conf").env("LEGACY=a value with spaces")
                .label("org.example.title", "Hello $CONF").workingDir("/srv/data")
                .entrypoint(List.of("/bin/redis")).cmd(List.of("-v", "${CONF}")).build();
        PackRequest fromFile = request(spec);
        assertThat(fromFile.kernel()).isEqualTo(kernel);
        assertThat(fromFile.workingDir()).isEqualTo("/srv/data");
        assertThat(digest(fromFile, "file")).isEqualTo(digest(flags, "flags"));
    }

    @Test
    void buildArgsOverrideDefaultsAndUndeclaredOnesAreNoted() throws IOException {
        Path f = write("Dockerfile", "ARG V=1\nFROM scratch\nARG V\nARG W=${V}-w\nENV X=$W Y=${U:-unset} Z=${V:+set}\n" + UNIKRAFT);
        Containerfile c = (Containerfile) SpecFile.read(f, SpecOptions.NONE.withBuildArgs(Map.of("V", "2", "Q", "3")));
        assertThat(c.env()).containsExactly("X=2-w", "Y=unset", "Z=set");
        assertThat(c.notes()).singleElement().asString().contains("build arguments not declared by any ARG, so unused: Q");
        Containerfile d = (Containerfile) read(f);
        assertThat(d.env()).containsExactly("X=1-w", "Y=unset", "Z=set");
    }

    @Test
    void theShellFormRunsThroughTheShellAsInDocker() throws IOException {
        Containerfile c = (Containerfile) read(write("Containerfile", "FROM scratch\n" + UNIKRAFT
                + "ENTRYPOINT exec /app --port $PORT\nSHELL [\"/bin/ash\", \"-c\"]\nCMD echo hi\n"));
        assertThat(c.entrypoint()).containsExactly("/bin/sh", "-c", "exec /app --port $PORT");
        assertThat(c.cmd()).containsExactly("/bin/ash", "-c", "echo hi");
    }

    @Test
    void continuationsCommentsAndTheEscapeDirective() throws IOException {
        Containerfile c = (Containerfile) read(write("Containerfile", """
                # escape=`
                FROM scratch
                LABEL com.urunc.unikernel.binary=/.boot/kernel
                COPY kernel `
                # a comment inside the instruction

                     /.boot/kernel
                ENV P=C:\\dir
                """));
        assertThat(c.kernel()).isEqualTo(kernel);
        assertThat(c.env()).containsExactly("P=C:\\dir");
    }

    @Test
    void copyChownAndChmodApplyToWhatIsCopied() throws IOException {
        Path f = write("Containerfile", "FROM scratch\n" + UNIKRAFT + "COPY --chown=1000:100 --chmod=0700 rootfs/etc /etc\n"
                + "COPY --chown=7 conf/redis.conf /conf/\n");
        PackRequest r = request(read(f));
        try (Tree t = ImageBuild.builder().sources(r.rootfs().sources()).format(ImageFormat.TAR).build().tree()) {
            Metadata dirMeta = t.resolve(EntryPath.parse("etc")).meta();
            assertThat(dirMeta.uid()).isEqualTo(1000);
            assertThat(dirMeta.gid()).isEqualTo(100);
            assertThat(dirMeta.permissions()).isEqualTo(0700);
            Metadata file = t.resolve(EntryPath.parse("etc/app.conf")).meta();
            assertThat(file.permissions()).isEqualTo(0700);
            assertThat(file.uid()).isEqualTo(1000);
            Metadata conf = t.resolve(EntryPath.parse("conf/redis.conf")).meta();
            assertThat(conf.uid()).isEqualTo(7);
            assertThat(conf.gid()).isEqualTo(7);
            assertThat(t.resolve(EntryPath.parse("conf")).meta().uid()).isZero(); // a parent the copy only implies
        }
        // The raw layer of the packed image keeps those owners.
        dev.kiln.oci.OciLayout l = dev.kiln.oci.OciLayout.create(dir.resolve("chown"));
        var res = dev.kiln.oci.pack.Packer.pack(r, l, "t", null);
        var d = res.manifests().get(Dialect.URUNC);
        var m = ((dev.kiln.oci.OciJson.ManifestDocument) dev.kiln.oci.OciJson.decodeManifestOrIndex(l.readBlob(d), d.mediaType(),
                d.digest().toString())).manifest();
        Path raw = dir.resolve("raw.tar");
        try (var in = l.openBlob(m.layers().get(1))) {
            Files.copy(in, raw);
        }
        try (Tree t = dev.kiln.fs.Images.read(raw)) {
            assertThat(t.resolve(EntryPath.parse("etc/app.conf")).meta().uid()).isEqualTo(1000);
            assertThat(t.resolve(EntryPath.parse("etc/app.conf")).meta().permissions()).isEqualTo(0700);
        }
    }

    @Test
    void addUnpacksALocalTarArchiveAndCopiesOtherFiles() throws IOException {
        Path tar = dir.resolve("app.tar.gz");
        ImageBuild.builder().source(Source.directory(dir.resolve("rootfs"))).format(ImageFormat.TAR).compression("gzip").build().writeTo(tar);
        PackRequest r = request(read(write("Containerfile", "FROM scratch\n" + UNIKRAFT
                + "ADD app.tar.gz /opt/app\nADD --chmod=600 conf/redis.conf /conf/\n")));
        try (Tree t = ImageBuild.builder().sources(r.rootfs().sources()).format(ImageFormat.TAR).build().tree()) {
            assertThat(((Node.File) t.resolve(EntryPath.parse("opt/app/etc/app.conf"))).content().readAll()).asString().isEqualTo("port=8080\n");
            assertThat(t.resolve(EntryPath.parse("conf/redis.conf")).meta().permissions()).isEqualTo(0600);
        }
    }

    @Test
    void anInitrdLabelNamingACopiedFileTakesItAsItIsAndOtherwiseBuildsOne() throws IOException {
        Files.write(dir.resolve("initrd.cpio"), new byte[512]);
        PackRequest prebuilt = request(read(write("Containerfile", "FROM scratch\n" + UNIKRAFT
                + "COPY initrd.cpio /.boot/initrd\nLABEL com.urunc.unikernel.initrd=/.boot/initrd\n")));
        assertThat(prebuilt.rootfs().prebuilt()).isEqualTo(dir.resolve("initrd.cpio"));
        assertThat(prebuilt.urunc().rootfsPath()).isEqualTo("/.boot/initrd");
        PackRequest built = request(read(write("Containerfile", "FROM scratch\n" + UNIKRAFT
                + "COPY rootfs/ /\nLABEL com.urunc.unikernel.initrd=/.boot/rootfs\n")));
        assertThat(built.rootfs().sources()).hasSize(1);
        assertThat(built.urunc().rootfsType()).isEqualTo(RootfsType.INITRD);
        PackRequest flags = PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).unikernelType("unikraft").hypervisor("qemu")
                .kernel(kernel).binaryPath("/.boot/kernel").rootfsSource(Source.parse(dir.resolve("rootfs") + ":/"))
                .rootfsType(RootfsType.INITRD).rootfsPath("/.boot/rootfs").build();
        assertThat(digest(built, "file")).isEqualTo(digest(flags, "flags"));
    }

    @Test
    void bunnysDefaultsAreLinuxOnQemuAndTheCallersKernelReplacesTheCopiedOne() throws IOException {
        Path other = Files.write(dir.resolve("other-kernel"), new byte[4096]);
        Path f = write("Containerfile", "FROM scratch\nCOPY kernel /boot/vmlinuz\nLABEL com.urunc.unikernel.binary=/boot/vmlinuz\n");
        PackRequest r = request(SpecFile.read(f, SpecOptions.NONE.withKernel(other)));
        assertThat(r.kernel()).isEqualTo(other);
        assertThat(r.urunc().unikernelType()).isEqualTo("linux");
        assertThat(r.urunc().hypervisor()).isEqualTo("qemu");
        assertThat(r.urunc().binaryPath()).isEqualTo("/boot/vmlinuz");
        assertThat(r.rootfs()).isNull();
    }

    // What is refused, each with the line and why.

    @Test
    void runIsRefusedSayingWhyAndWhatToDoInstead() throws IOException {
        refused(write("Containerfile", "FROM scratch\n" + UNIKRAFT + "RUN make \\\n  install\n"), 6)
                .hasMessageContaining("RUN: kiln builds images without executing anything")
                .hasMessageContaining("COPY the result");
    }

    @Test
    void aBaseImageASecondStageAndURLsAreRefused() throws IOException {
        refused(write("Containerfile", "FROM alpine:3.20\n"), 1).hasMessageContaining("FROM: alpine:3.20: a base image is not supported yet");
        refused(write("Containerfile", "FROM scratch\nFROM scratch\n"), 2).hasMessageContaining("multi-stage builds are not supported");
        refused(write("Containerfile", "FROM scratch\nADD https://example.org/x.tar /x/\n"), 2)
                .hasMessageContaining("ADD: https://example.org/x.tar: kiln fetches nothing");
        refused(write("Containerfile", "FROM scratch\nCOPY --from=build /a /b\n"), 2).hasMessageContaining("COPY --from:");
        refused(write("Containerfile", "ENV A=1\nFROM scratch\n"), 1).hasMessageContaining("ENV: comes before FROM");
        refused(write("Containerfile", "# nothing\n"), 0).hasMessageContaining("FROM: none");
    }

    @Test
    void unsupportedAndUnknownInstructionsAreRefused() throws IOException {
        refused(write("Containerfile", "FROM scratch\nUSER 1000\n"), 2).hasMessageContaining("USER: not supported");
        refused(write("Containerfile", "FROM scratch\nCOPPY a b\n"), 2).hasMessageContaining("COPPY: unknown instruction");
        refused(write("Containerfile", "FROM scratch\nMAINTAINER me\n"), 2).hasMessageContaining("org.opencontainers.image.authors");
        refused(write("Containerfile", "FROM scratch\nLABEL com.urunc.unikernel.hypervsor=qemu\n"), 2)
                .hasMessageContaining("LABEL com.urunc.unikernel.hypervsor: kiln does not write this urunc key");
    }

    @Test
    void copyMistakesNameTheLine() throws IOException {
        refused(write("Containerfile", "FROM scratch\nCOPY missing /x\n"), 2).hasMessageContaining("COPY: missing: no such file or directory");
        refused(write("Containerfile", "FROM scratch\nCOPY kernel conf /x\n"), 2).hasMessageContaining("must be a directory ending in '/'");
        refused(write("Containerfile", "FROM scratch\nCOPY ../x /x\n"), 2).hasMessageContaining("outside the build context");
        refused(write("Containerfile", "FROM scratch\nCOPY --chown=app kernel /x\n"), 2).hasMessageContaining("COPY --chown: \"app\": give numbers");
        refused(write("Containerfile", "FROM scratch\nCOPY --chmod=u+x kernel /x\n"), 2).hasMessageContaining("COPY --chmod: \"u+x\": an octal mode");
        refused(write("Containerfile", "FROM scratch\nENV A=\"open\n"), 2).hasMessageContaining("ENV: unterminated");
        refused(write("Containerfile", "FROM scratch\nENV A\n"), 2).hasMessageContaining("ENV: A: no value");
    }

    @Test
    void theKernelMustBeFound() throws IOException {
        refused(write("Containerfile", "FROM scratch\nCOPY rootfs /\n"), 0).hasMessageContaining("com.urunc.unikernel.binary: not set, so there is no kernel");
        refused(write("Containerfile", "FROM scratch\nLABEL com.urunc.unikernel.binary=/k\nCOPY rootfs /\n"), 2)
                .hasMessageContaining("binary: /k: no COPY puts a file there on its own");
    }

    @Test
    void conflictingRootfsLabelsAreRefused() throws IOException {
        refused(write("Containerfile", "FROM scratch\n" + UNIKRAFT + "LABEL com.urunc.unikernel.initrd=/i com.urunc.unikernel.mountRootfs=true\n"), 6)
                .hasMessageContaining("cannot be combined with mountRootfs=true");
        refused(write("Containerfile", "FROM scratch\n" + UNIKRAFT + "COPY rootfs /\nLABEL com.urunc.unikernel.mountRootfs=false\n"), 6)
                .hasMessageContaining("the guest would never see them");
        refused(write("Containerfile", "FROM scratch\n" + UNIKRAFT + "LABEL com.urunc.unikernel.mountRootfs=yes\n"), 6)
                .hasMessageContaining("\"yes\": true or false");
        // urunc's rule (no initrd for mirage), at the label that chose the rootfs.
        refused(write("Containerfile", "FROM scratch\n" + UNIKRAFT.replace("unikraft", "mirage") + "COPY rootfs /\n"
                + "LABEL com.urunc.unikernel.initrd=/.boot/rootfs\n"), 7)
                .hasMessageContaining("rootfs type initrd: urunc cannot give that to a mirage guest");
    }
}
