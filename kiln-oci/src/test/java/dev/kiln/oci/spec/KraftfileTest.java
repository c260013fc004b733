package dev.kiln.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.pack.PackRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class KraftfileTest extends SpecFixture {
    private SpecOptions withKernel() {
        return SpecOptions.NONE.withKernel(kernel);
    }

    @Test
    void aKraftfileAndTheEquivalentFlagsMakeTheSameImage() throws IOException {
        Files.createDirectories(dir.resolve("assets"));
        Files.writeString(dir.resolve("assets/index.html"), "<p>hi</p>\n");
        Files.write(dir.resolve("data.bin"), new byte[1000]);
        Path f = write("Kraftfile", """
                spec: v0.7
                name: nginx
                unikraft:
                  version: stable
                  kconfig:
                    CONFIG_LIBVFSCORE: "y"
                libraries:
                  musl: stable
                targets:
                  - qemu/x86_64
                rootfs:
                  source: ./rootfs
                  format: erofs
                roms:
                  - ./assets
                  - source: ./data.bin
                    type: file
                cmd: "-c /etc/app.conf -- 'two words'"
                env:
                  HOME: /
                  PORT: 8080
                labels:
                  - org.example.team=web
                """);
        SpecFile spec = SpecFile.read(f, withKernel());
        assertThat(spec.notes()).isEmpty();
        assertThat(((Kraftfile) spec).name()).contains("nginx");
        // kiln pack --kernel kernel --rootfs rootfs --rootfs-format erofs --rom assets --rom-format cpio --rom data.bin
        //   -e HOME=/ -e PORT=8080 --label org.example.team=web -- -c /etc/app.conf -- 'two words'
        PackRequest flags = PackRequest.builder().kernel(kernel).platform("qemu").architecture("x86_64")
                .rootfsSource(Source.parse(dir.resolve("rootfs").toString())).rootfsFormat(ImageFormat.EROFS)
                .rom(PackRequest.Rom.of(null, dir.resolve("assets"), ImageFormat.CPIO)).rom(PackRequest.Rom.of(null, dir.resolve("data.bin"), null))
                .cmd(List.of("-c", "/etc/app.conf", "--", "two words")).env("HOME=/").env("PORT=8080").label("org.example.team", "web").build();
        PackRequest fromFile = request(spec);
        assertThat(fromFile.cmd()).containsExactly("-c", "/etc/app.conf", "--", "two words");
        assertThat(digest(fromFile, "file")).isEqualTo(digest(flags, "flags"));
    }

    @Test
    void aPrebuiltCpioIsUsedAsItIsAndATarballIsBuilt() throws IOException {
        Path cpio = dir.resolve("initramfs.cpio");
        ImageBuild.builder().source(Source.directory(dir.resolve("rootfs"))).format(ImageFormat.CPIO).build().writeTo(cpio);
        PackRequest r = request(SpecFile.read(write("Kraftfile", "spec: v0.6\nrootfs: ./initramfs.cpio\n"), withKernel()));
        assertThat(r.rootfs().prebuilt()).isEqualTo(cpio);
        Path tar = dir.resolve("rootfs.tar");
        ImageBuild.builder().source(Source.directory(dir.resolve("rootfs"))).format(ImageFormat.TAR).build().writeTo(tar);
        PackRequest t = request(SpecFile.read(write("Kraftfile", "spec: v0.6\nrootfs: rootfs.tar\n"), withKernel()));
        assertThat(t.rootfs().prebuilt()).isNull();
        assertThat(t.rootfs().format()).isEqualTo(ImageFormat.CPIO);
    }

    @Test
    void inV06TypeWasTheFormatAndInV07ItIsTheSourceKind() throws IOException {
        PackRequest v6 = request(SpecFile.read(write("Kraftfile", "spec: v0.6\nrootfs:\n  source: rootfs\n  type: erofs\n"), withKernel()));
        assertThat(v6.rootfs().format()).isEqualTo(ImageFormat.EROFS);
        refused(write("Kraftfile", "spec: v0.7\nrootfs:\n  source: rootfs\n  type: erofs\n"), 3, withKernel())
                .hasMessageContaining("rootfs: type erofs: " + dir.resolve("rootfs") + " is a directory");
    }

    @Test
    void theCallersPlatformAndArchitectureChooseTheTarget() throws IOException {
        Path f = write("Kraftfile", "spec: v0.7\ntargets:\n  - qemu/x86_64\n  - platform: firecracker\n    architecture: arm64\n  - xen/x86_64\n");
        Kraftfile first = (Kraftfile) SpecFile.read(f, withKernel());
        assertThat(first.target()).hasToString("qemu/x86_64");
        assertThat(first.notes()).singleElement().asString().contains("packing qemu/x86_64, the first of 3");
        Kraftfile fc = (Kraftfile) SpecFile.read(f, withKernel().withTarget("fc", null));
        assertThat(request(fc).kraft().platform()).isEqualTo("fc");
        assertThat(request(fc).kraft().architecture()).isEqualTo("arm64");
        assertThat(fc.notes()).isEmpty();
        refused(f, 2, withKernel().withTarget("qemu", "arm64")).hasMessageContaining("targets: none is qemu/arm64 (the file has qemu/x86_64, fc/arm64, xen/x86_64)");
        refused(write("Kraftfile", "spec: v0.7\ntargets:\n  - qemu\n"), 3, withKernel()).hasMessageContaining("targets[0]: \"qemu\": expected PLAT/ARCH");
        refused(write("Kraftfile", "spec: v0.7\ntargets:\n  - qemu/riscv\n"), 3, withKernel()).hasMessageContaining("architecture \"riscv\"");
    }

    @Test
    void aRomOnlyKraftfileNeedsNoKernelAndAnyOtherDoes() throws IOException {
        Files.createDirectories(dir.resolve("fs"));
        Files.writeString(dir.resolve("fs/a"), "a");
        PackRequest r = request(read(write("Kraftfile", "spec: v0.7\nroms:\n  - ./fs\n")));
        assertThat(r.kernel()).isNull();
        assertThat(r.roms()).extracting(PackRequest.Rom::name).containsExactly("fs");
        refused(write("Kraftfile", "spec: v0.7\nrootfs: ./rootfs\n"), 0).hasMessageContaining("kernel: a Kraftfile names no kernel");
    }

    @Test
    void envAndLabelsAsListsOrMappings() throws IOException {
        PackRequest r = request(SpecFile.read(write("Kraftfile", "spec: v0.7\nenv:\n  - A=1\n  - B=x=y\nlabels:\n  k: v\n"), withKernel()));
        assertThat(r.env()).containsExactly("A=1", "B=x=y");
        assertThat(r.labels()).containsEntry("k", "v");
        refused(write("Kraftfile", "spec: v0.7\nenv:\n  - HOME\n"), 3, withKernel()).hasMessageContaining("env.HOME: no value");
        refused(write("Kraftfile", "spec: v0.7\nenv:\n  HOME:\n"), 3, withKernel()).hasMessageContaining("env.HOME: no value");
        refused(write("Kraftfile", "spec: v0.7\nlabels:\n  \"a b\": c\n"), 3, withKernel()).hasMessageContaining("labels.a b: a label key is");
    }

    @Test
    void volumesAreCheckedAndKeptOutOfTheImage() throws IOException {
        Kraftfile k = (Kraftfile) SpecFile.read(write("Kraftfile", "spec: v0.7\nvolumes:\n  - ./data:/data:ro\n  - source: ./src\n"
                + "    destination: /src\n    driver: 9pfs\n"), withKernel());
        assertThat(k.volumes()).extracting(Kraftfile.Volume::destination).containsExactly("/data", "/src");
        assertThat(k.volumes().getFirst().readonly()).isTrue();
        assertThat(k.notes()).singleElement().asString().contains("volumes: read and kept out of the image");
        assertThat(request(k).labels()).isEmpty();
        refused(write("Kraftfile", "spec: v0.7\nvolumes: ./a:data\n"), 2, withKernel()).hasMessageContaining("must be absolute");
    }

    @Test
    void theSpecVersionIsRequiredOnceAndV06OrV07() throws IOException {
        refused(write("Kraftfile", "name: x\n"), 0, withKernel()).hasMessageContaining("spec: required");
        refused(write("Kraftfile", "spec: v0.7\nspecification: v0.7\n"), 2, withKernel()).hasMessageContaining("give spec or specification, not both");
        refused(write("Kraftfile", "specification: v0.5\n"), 1, withKernel()).hasMessageContaining("kiln reads Kraftfile spec v0.6 and v0.7");
        assertThat(SpecFile.read(write("Kraftfile", "specification: '0.6'\n"), withKernel())).isInstanceOf(Kraftfile.class);
    }

    @Test
    void runtimeDockerfilesAndImagesAreRefusedForNow() throws IOException {
        refused(write("Kraftfile", "spec: v0.7\nruntime: unikraft.org/python3:latest\n"), 2, withKernel())
                .hasMessageContaining("runtime: a prebuilt kernel from a container image is not supported yet");
        write("Dockerfile", "FROM scratch\n");
        refused(write("Kraftfile", "spec: v0.7\nrootfs: ./Dockerfile\n"), 2, withKernel()).hasMessageContaining("kiln runs no builds");
        refused(write("Kraftfile", "spec: v0.7\nrootfs: nginx:1.25\n"), 2, withKernel())
                .hasMessageContaining("a container image as a filesystem source is not supported yet");
    }

    @Test
    void unknownKeysAreNotedNotRefusedAndTemplatesAreNotFollowed() throws IOException {
        SpecFile s = SpecFile.read(write("Kraftfile", "spec: v0.7\ntemplate: app/elfloader:stable\nrootfss: ./rootfs\n"), withKernel());
        assertThat(s.notes()).extracting(SpecNote::line).containsExactly(2, 3);
        assertThat(s.notes().get(1)).asString().contains("rootfss: unknown key");
    }
}
