package dev.kiln.oci.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.Index;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class PackerTest {
    /** The real Unikraft 0.17 probe kernel; any file would do for packing, this one is what the platform will boot. */
    static final Path PROBE_KERNEL = dev.kiln.fs.guest.UnikraftProbe.kernel();

    @TempDir Path tmp;
    Path kernel;

    @BeforeEach
    void kernel() throws IOException {
        kernel = tmp.resolve("kernel");
        if (Files.isRegularFile(PROBE_KERNEL)) Files.copy(PROBE_KERNEL, kernel);
        else Files.write(kernel, "not a real kernel, only bytes to pack".getBytes(StandardCharsets.UTF_8));
    }

    private static Source app() {
        return Source.memory().file("/etc/app.conf", "port=8080\n".getBytes(StandardCharsets.UTF_8))
                .file("/bin/app", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0755).build();
    }

    private static Manifest manifest(OciLayout l, Descriptor d) throws IOException {
        return ((OciJson.ManifestDocument) OciJson.decodeManifestOrIndex(l.readBlob(d), d.mediaType(), d.digest().toString())).manifest();
    }

    private static Index index(OciLayout l, Descriptor d) throws IOException {
        return ((OciJson.IndexDocument) OciJson.decodeManifestOrIndex(l.readBlob(d), d.mediaType(), d.digest().toString())).index();
    }

    /** The one file a single-file layer holds, and its bytes. */
    private byte[] fileIn(OciLayout l, Descriptor layer, String path) throws IOException {
        Path tar = tmp.resolve("layer-" + layer.digest().encoded() + ".tar");
        try (var in = l.openBlob(layer)) {
            Files.copy(in, tar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (Tree t = Images.read(tar)) {
            return ((Node.File) t.resolve(EntryPath.parse(path))).content().readAll();
        }
    }

    @Test
    void aKraftImageHasTheKernelAndInitrdLayersKraftkitWrites() throws IOException {
        OciLayout l = OciLayout.create(tmp.resolve("layout"));
        PackRequest r = PackRequest.builder().kernel(kernel).rootfsSource(app()).cmd(List.of("-v", "--", "serve"))
                .env("A=1").kernelVersion("0.17.0").build();
        Packer.Result res = Packer.pack(r, l, "v1", null);
        Index idx = index(l, res.index());
        assertThat(idx.manifests()).hasSize(1);
        Descriptor md = idx.manifests().getFirst();
        assertThat(md.platform().os()).isEqualTo("qemu");
        assertThat(md.platform().architecture()).isEqualTo("x86_64");
        assertThat(md.platform().osVersion()).isEqualTo("0.17.0");
        Manifest m = manifest(l, md);
        assertThat(m.layers()).hasSize(2);
        assertThat(m.layers().get(0).mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
        assertThat(m.layers().get(0).annotations()).containsEntry("org.unikraft.kernel.image", "/unikraft/bin/kernel");
        assertThat(m.layers().get(1).annotations()).containsEntry("org.unikraft.kernel.initrd", "/unikraft/bin/initrd");
        assertThat(fileIn(l, m.layers().get(0), "unikraft/bin/kernel")).isEqualTo(Files.readAllBytes(kernel));
        byte[] initrd = fileIn(l, m.layers().get(1), "unikraft/bin/initrd");
        assertThat(new String(initrd, 0, 6, StandardCharsets.US_ASCII)).isEqualTo("070701");
        ImageConfig c = OciJson.decodeConfig(l.readBlob(m.config()), "config");
        assertThat(c.architecture()).isEqualTo("x86_64");
        assertThat(c.os()).isEqualTo("qemu");
        assertThat(c.cmd()).containsExactly("-v", "--", "serve");
        assertThat(c.env()).containsExactly("A=1");
        assertThat(c.diffIds()).containsExactly(m.layers().get(0).digest(), m.layers().get(1).digest());
        assertThat(l.resolve("v1")).contains(new Descriptor(res.index().mediaType(), res.index().digest(), res.index().size(),
                new TreeMap<>(Map.of(OciLayout.REF_NAME, "v1")), null, null));
    }

    @Test
    void theSameRequestGivesTheSameDigest() throws IOException {
        PackRequest r = PackRequest.builder().dialects(EnumSet.allOf(Dialect.class)).kernel(kernel).rootfsSource(app()).build();
        Descriptor a = Packer.pack(r, OciLayout.create(tmp.resolve("a")), "x", null).index();
        Descriptor b = Packer.pack(r, OciLayout.create(tmp.resolve("b")), "x", null).index();
        assertThat(a.digest()).isEqualTo(b.digest());
    }

    @Test
    void oneImageForBothSharesTheKernelAndInitrdAndItsUruncKeysAgreeThreeWays() throws IOException {
        OciLayout l = OciLayout.create(tmp.resolve("layout"));
        PackRequest r = PackRequest.builder().dialects(EnumSet.allOf(Dialect.class)).kernel(kernel).rootfsSource(app())
                .cmd(List.of("serve")).unikernelVersion("0.17.0").build();
        Packer.Result res = Packer.pack(r, l, "both", null);
        Index idx = index(l, res.index());
        assertThat(idx.manifests()).extracting(d -> d.platform().toString()).containsExactly("linux/amd64", "qemu/x86_64");
        Manifest urunc = manifest(l, idx.manifests().get(0)), kraft = manifest(l, idx.manifests().get(1));
        assertThat(urunc.layers().get(0).digest()).as("kernel layer shared").isEqualTo(kraft.layers().get(0).digest());
        assertThat(urunc.layers().get(1).digest()).as("initrd layer shared").isEqualTo(kraft.layers().get(1).digest());

        Map<String, String> annotations = urunc.annotations();
        assertThat(annotations).containsEntry("com.urunc.unikernel.unikernelType", "unikraft")
                .containsEntry("com.urunc.unikernel.hypervisor", "qemu")
                .containsEntry("com.urunc.unikernel.binary", "/unikraft/bin/kernel")
                .containsEntry("com.urunc.unikernel.initrd", "/unikraft/bin/initrd")
                .containsEntry("com.urunc.unikernel.unikernelVersion", "0.17.0");
        ImageConfig c = OciJson.decodeConfig(l.readBlob(urunc.config()), "config");
        assertThat(c.labels()).containsAllEntriesOf(annotations);
        JsonNode json = JsonMapper.builder().build().readTree(fileIn(l, urunc.layers().get(2), "urunc.json"));
        Map<String, String> decoded = new TreeMap<>();
        for (var e : json.properties()) decoded.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue().asString()), StandardCharsets.UTF_8));
        assertThat(decoded).isEqualTo(annotations);
    }

    @Test
    void aRomOnlyImageCarriesRawRomBlobsPaddedToPages() throws IOException {
        OciLayout l = OciLayout.create(tmp.resolve("layout"));
        Path file = Files.write(tmp.resolve("data.bin"), new byte[5000]);
        PackRequest r = PackRequest.builder()
                .rom(new PackRequest.Rom("data", file, null, null))
                .rom(new PackRequest.Rom("site", null, List.of(app()), ImageFormat.EROFS)).build();
        Manifest m = manifest(l, index(l, Packer.pack(r, l, "roms", null).index()).manifests().getFirst());
        assertThat(m.layers()).allSatisfy(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.UNIKRAFT_ROM));
        assertThat(m.layers().get(0).size()).isEqualTo(8192);
        assertThat(m.layers().get(0).annotations()).containsEntry("org.opencontainers.image.title", "data");
        assertThat(m.layers().get(1).size() % 4096).isZero();
        Path rom = tmp.resolve("site.erofs");
        try (var in = l.openBlob(m.layers().get(1))) {
            Files.copy(in, rom);
        }
        try (Tree t = Images.read(rom)) {
            assertThat(t.contains(EntryPath.parse("etc/app.conf"))).isTrue();
        }
    }

    @Test
    void uruncRulesAreCheckedBeforeAnythingIsWritten() throws IOException {
        assertThatThrownBy(() -> PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).build())
                .isInstanceOf(OciException.class).hasMessageContaining("unikernelType: required");
        assertThatThrownBy(() -> PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).unikernelType("unikraft")
                .hypervisor("hvt").build()).hasMessageContaining("urunc does not run that pair");
        assertThatThrownBy(() -> PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).unikernelType("linux")
                .binaryPath("/boot/../vmlinuz").build()).hasMessageContaining("not a clean path");
        assertThatThrownBy(() -> PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).unikernelType("unikraft")
                .rootfsSource(app()).rootfsType(RootfsType.BLOCK).build()).hasMessageContaining("cannot give that to a unikraft guest");
        assertThatThrownBy(() -> PackRequest.builder().dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).unikernelType("rumprun")
                .hypervisor("hvt").rootfsSource(app()).rootfsType(RootfsType.BLOCK).blkMntPoint("/").build())
                .hasMessageContaining("rumprun cannot mount a block device at /");
        assertThatThrownBy(() -> PackRequest.builder().build()).hasMessageContaining("kernel: none given");
    }
}
