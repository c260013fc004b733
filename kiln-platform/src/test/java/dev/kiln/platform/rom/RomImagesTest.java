package dev.kiln.platform.rom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.oci.registry.CredentialStore;
import dev.kiln.oci.registry.RegistryClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RomImagesTest {
    @TempDir
    Path tmp;
    OciLayout layout;

    @BeforeEach
    void layout() throws IOException {
        layout = OciLayout.create(tmp.resolve("images"));
    }

    /** A kraft ROM-only image as {@code kiln pack --dialect kraft --rom site=DIR} makes it. */
    static Packer.Result packRom(OciLayout layout, String tag, List<PackRequest.Rom> roms, Path tmp) throws IOException {
        PackRequest.Builder b = PackRequest.builder();
        for (PackRequest.Rom r : roms) b.rom(r);
        return Packer.pack(b.build(), layout, tag, tmp);
    }

    static PackRequest.Rom site(String name, String text) {
        return new PackRequest.Rom(name, null, List.of(Source.memory().file("index.html", text.getBytes(StandardCharsets.UTF_8)).build()),
                ImageFormat.EROFS);
    }

    @Test
    void aKraftRomImageResolvesToItsOneRomBlobInPlacePinnedToItsDigest() throws Exception {
        Packer.Result packed = packRom(layout, "site:v1", List.of(site("site", "<h1>hi</h1>")), tmp);
        RomImages images = new RomImages(layout, Set.of());
        RomImages.Resolved r = images.resolve("roms[1].image", "site:v1");
        assertThat(r.pinned()).isEqualTo("site:v1@" + packed.index().digest());
        assertThat(r.path()).isEqualTo(layout.blobPath(r.blob())).isRegularFile();
        assertThat(r.size()).isEqualTo(Files.size(r.path()));
        try (Tree t = Images.read(r.path())) {
            assertThat(((Node.File) t.resolve(EntryPath.parse("index.html"))).content().readAll()).asString().isEqualTo("<h1>hi</h1>");
        }
        assertThat(images.resolve("roms[1].image", "site@" + packed.index().digest())).isEqualTo(
                new RomImages.Resolved("site@" + packed.index().digest(), r.blob(), r.path(), r.size()));
        assertThat(images.resolve("roms[1].image", "oci://site:v1@" + packed.index().digest())).isEqualTo(r);
    }

    @Test
    void aTagWithoutATagMeansLatest() throws Exception {
        packRom(layout, "site:latest", List.of(site("site", "x")), tmp);
        assertThat(new RomImages(layout, Set.of()).resolve("roms[0].image", "site").pinned()).startsWith("site:latest@sha256:");
    }

    @Test
    void aUnikernelImageIsRefusedAsNotARomImage() throws Exception {
        Path kernel = Files.write(tmp.resolve("kernel"), new byte[8192]);
        Packer.pack(PackRequest.builder().kernel(kernel).build(), layout, "app:latest", tmp);
        assertThatThrownBy(() -> new RomImages(layout, Set.of()).resolve("roms[0].image", "app:latest"))
                .isInstanceOf(RomException.class)
                .hasMessage("roms[0].image: image \"app:latest\" is not a ROM image: its layers are a kernel"
                        + " (a ROM image has one layer of type application/vnd.unikraft.rom.v1)")
                .extracting(e -> ((RomException) e).field()).isEqualTo("roms[0].image");
    }

    @Test
    void anImageWithTwoRomsIsRefusedNamingThem() throws Exception {
        packRom(layout, "two:v1", List.of(site("alpha", "a"), site("beta", "b")), tmp);
        assertThatThrownBy(() -> new RomImages(layout, Set.of()).resolve("roms[0].image", "two:v1"))
                .hasMessageContaining("is not a ROM image: it holds 2 ROMs (alpha, beta)");
    }

    @Test
    void anUnknownImageIsRefusedNamingTheLayout() {
        assertThatThrownBy(() -> new RomImages(layout, Set.of()).resolve("roms[3].image", "nope:v1"))
                .isInstanceOf(RomException.class).hasMessageStartingWith("roms[3].image: image \"nope:v1\": no such image in ");
    }

    @Test
    void aRomBlobWithACorruptedByteIsRefusedNamingItsDigest() throws Exception {
        packRom(layout, "site:v1", List.of(site("site", "<h1>hi</h1>")), tmp);
        Digest blob = new RomImages(layout, Set.of()).resolve("roms[0].image", "site:v1").blob();
        Path file = layout.blobPath(blob);
        byte[] b = Files.readAllBytes(file);
        b[1100] ^= 1;
        Files.write(file, b);
        // A fresh process checks the blob on its first use.
        assertThatThrownBy(() -> new RomImages(layout, Set.of()).resolve("roms[0].image", "site:v1"))
                .isInstanceOf(RomException.class)
                .hasMessageStartingWith("roms[0].image: image \"site:v1\": ROM blob " + blob + " does not match its descriptor")
                .hasMessageContaining("content does not match its digest " + blob);
    }

    @Test
    void aRomImageNotInTheLayoutIsPulledFromAPlainHttpRegistryOnce() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("src"));
        Packer.Result packed = packRom(src, "site:v1", List.of(site("site", "pulled")), tmp);
        try (Registry registry = Registry.start(tmp.resolve("registry"))) {
            try (RegistryClient c = RegistryClient.create(RegistryClient.Config.defaults().withCredentials(CredentialStore.none()).withInsecure(true))) {
                c.push(src, packed.index(), new ImageReference.Registry(registry.host(), "roms/site", "v1", null));
            }
            RomImages images = new RomImages(layout, Set.of(registry.host()));
            String ref = registry.host() + "/roms/site:v1";
            RomImages.Resolved r = images.resolve("roms[0].image", ref);
            assertThat(r.pinned()).isEqualTo(ref + "@" + packed.index().digest());
            assertThat(layout.resolve(ref)).map(Descriptor::digest).hasValue(packed.index().digest());
            try (Tree t = Images.read(r.path())) {
                assertThat(((Node.File) t.resolve(EntryPath.parse("index.html"))).content().readAll()).asString().isEqualTo("pulled");
            }
            // docker:// names the same image, found in the layout now; with the registry gone it still resolves.
            registry.close();
            assertThat(new RomImages(layout, Set.of()).resolve("roms[0].image", "docker://" + ref)).isEqualTo(r);
        }
    }

    @Test
    void aRegistryThatIsNotReachableIsReportedAsAFailedPull() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String ref = "127.0.0.1:" + port + "/roms/site:v1";
        assertThatThrownBy(() -> new RomImages(layout, Set.of("127.0.0.1:" + port)).resolve("roms[0].image", ref))
                .isInstanceOf(RomException.class).hasMessageStartingWith("roms[0].image: image \"" + ref + "\": pull failed: ");
    }

    /** Debian's docker-registry, plain HTTP, no auth, on a free loopback port. */
    record Registry(Process process, int port) implements AutoCloseable {
        static Registry start(Path dir) throws Exception {
            Path binary = Path.of("/usr/bin/docker-registry");
            if (!Files.isExecutable(binary)) fail("docker-registry is needed for the pull test: apt-get install docker-registry");
            Files.createDirectories(dir.resolve("storage"));
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path config = Files.writeString(dir.resolve("config.yml"), """
                    version: 0.1
                    log:
                      level: warn
                      accesslog:
                        disabled: true
                    storage:
                      filesystem:
                        rootdirectory: "%s"
                    http:
                      addr: 127.0.0.1:%d
                    """.formatted(dir.resolve("storage"), port));
            Process p = new ProcessBuilder(binary.toString(), "serve", config.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("registry.log").toFile()).start();
            Registry r = new Registry(p, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline && p.isAlive()) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return r;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            r.close();
            throw new IOException("docker-registry did not start: " + Files.readString(dir.resolve("registry.log")));
        }

        String host() {
            return "127.0.0.1:" + port;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
    }
}
