package dev.kiln.platform.rom;

import static dev.kiln.platform.rom.InlineRomsTest.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.oci.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RomStoreTest {
    @TempDir
    Path tmp;

    static final List<InlineFile> CONFIG = List.of(file("/config.json", "{\"id\":\"abc\"}"), file("conf.d/extra.conf", "x=1\n"));

    @Test
    void identicalInlineRomsAreStoredOnceAndDifferentOnesTwice() throws Exception {
        RomStore store = RomStore.open(tmp.resolve("roms"));
        RomStore.Stored a = store.putInline("roms[0]", CONFIG);
        RomStore.Stored again = store.putInline("roms[3]", List.of(file("config.json", "{\"id\":\"abc\"}"), file("/conf.d/extra.conf", "x=1\n")));
        RomStore.Stored other = store.putInline("roms[0]", List.of(file("config.json", "{\"id\":\"abd\"}"), file("conf.d/extra.conf", "x=1\n")));
        assertThat(again).isEqualTo(a);
        assertThat(other.digest()).isNotEqualTo(a.digest());
        assertThat(store.digests()).containsExactlyInAnyOrder(a.digest(), other.digest());
        assertThat(a.path()).isEqualTo(tmp.resolve("roms/sha256").resolve(a.digest().encoded())).isRegularFile();
        assertThat(Files.size(a.path())).isEqualTo(a.size());
        assertThat(Digest.of(Files.readAllBytes(a.path()))).isEqualTo(a.digest());
        assertThat(store.contains(a.digest())).isTrue();
        assertThat(store.path(other.digest())).isEqualTo(other.path());
    }

    @Test
    void theSameFilesBuildTheSameBytesInAnotherStore() throws Exception {
        RomStore.Stored a = RomStore.open(tmp.resolve("one")).putInline(CONFIG);
        RomStore.Stored b = RomStore.open(tmp.resolve("two")).putInline(CONFIG);
        assertThat(Files.readAllBytes(b.path())).isEqualTo(Files.readAllBytes(a.path()));
    }

    @Test
    void theRomIsAnErofsImageWithTheFilesRootOwnedAndParentsCreated() throws Exception {
        RomStore.Stored s = RomStore.open(tmp.resolve("roms")).putInline(List.of(file("/etc/app/config.json", "{}\n"),
                new InlineFile("bin/data", new byte[] {0, 1, 2, (byte) 0xff})));
        assertThat(Files.readAllBytes(s.path())).satisfies(b ->
                assertThat(b[1024] & 0xff | (b[1025] & 0xff) << 8 | (b[1026] & 0xff) << 16 | (b[1027] & 0xff) << 24)
                        .as("EROFS superblock magic").isEqualTo(0xE0F5E1E2));
        try (Tree t = Images.read(s.path())) {
            List<String> listed = new ArrayList<>();
            t.entries().forEach(e -> listed.add(String.format("%s %c %04o %d:%d %d", e.path().display(), Node.letter(e.node()),
                    e.node().meta().permissions(), e.node().meta().uid(), e.node().meta().gid(), e.node().meta().mtime())));
            assertThat(listed).containsExactly("/ d 0755 0:0 0", "/bin d 0755 0:0 0", "/bin/data - 0644 0:0 0", "/etc d 0755 0:0 0",
                    "/etc/app d 0755 0:0 0", "/etc/app/config.json - 0644 0:0 0");
            assertThat(((Node.File) t.resolve(EntryPath.parse("etc/app/config.json"))).content().readAll()).asString().isEqualTo("{}\n");
            assertThat(((Node.File) t.resolve(EntryPath.parse("bin/data"))).content().readAll()).containsExactly(0, 1, 2, 0xff);
        }
        Path fsck = Path.of("/usr/bin/fsck.erofs");
        if (!Files.isExecutable(fsck)) fail("fsck.erofs is needed to check kiln's ROMs: apt-get install erofs-utils");
        Process p = new ProcessBuilder(fsck.toString(), "--extract=" + tmp.resolve("x"), s.path().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(tmp.resolve("x/etc/app/config.json")).hasContent("{}");
    }

    @Test
    void aRefusedRomStoresNothing() throws Exception {
        RomStore store = RomStore.open(tmp.resolve("roms"));
        assertThatThrownBy(() -> store.putInline("roms[1]", List.of(file("a/../b", "x"))))
                .isInstanceOf(RomException.class).hasMessageStartingWith("roms[1].files[0].path: ");
        assertThat(store.digests()).isEmpty();
        try (var s = Files.list(tmp.resolve("roms/sha256"))) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void collectDeletesUnreferencedBlobsAndLeftoverTemporaryFiles() throws Exception {
        RomStore store = RomStore.open(tmp.resolve("roms"), Duration.ZERO);
        RomStore.Stored kept = store.putInline(CONFIG);
        RomStore.Stored gone = store.putInline(List.of(file("a", "1")));
        Path leftover = Files.writeString(tmp.resolve("roms/sha256/." + gone.digest().encoded() + ".1234-1.tmp"), "partial");
        Path foreign = Files.writeString(tmp.resolve("roms/sha256/README"), "not a blob");
        RomStore.Collected c = store.collect(Set.of(kept.digest()));
        assertThat(c.blobs()).containsExactly(gone.digest());
        assertThat(c.temporaryFiles()).containsExactly(leftover);
        assertThat(store.digests()).containsExactly(kept.digest());
        assertThat(gone.path()).doesNotExist();
        assertThat(leftover).doesNotExist();
        assertThat(foreign).exists();
        assertThat(store.collect(Set.of(kept.digest())).blobs()).isEmpty();
    }

    @Test
    void aBlobJustPutSurvivesACollectThatDoesNotKnowItYet() throws Exception {
        RomStore store = RomStore.open(tmp.resolve("roms"));
        RomStore.Stored fresh = store.putInline(CONFIG);
        assertThat(store.collect(Set.of()).blobs()).isEmpty();
        assertThat(fresh.path()).exists();
        // A new process (a restart) has put nothing: the same blob, unreferenced, goes.
        assertThat(RomStore.open(tmp.resolve("roms")).collect(Set.of()).blobs()).containsExactly(fresh.digest());
    }

    @Test
    void deleteRemovesOneBlob() throws Exception {
        RomStore store = RomStore.open(tmp.resolve("roms"));
        RomStore.Stored s = store.putInline(CONFIG);
        assertThat(store.delete(s.digest())).isTrue();
        assertThat(store.contains(s.digest())).isFalse();
        assertThat(store.delete(s.digest())).isFalse();
    }

    @Test
    void concurrentPutsOfTheSameContentAllGetTheOneWholeBlob() throws Exception {
        RomStore store = RomStore.open(tmp.resolve("roms"));
        List<InlineFile> big = List.of(new InlineFile("data", new byte[512 << 10]), file("b", "b"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<RomStore.Stored>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) fs.add(pool.submit(() -> store.putInline(big)));
            Set<RomStore.Stored> results = new java.util.HashSet<>();
            for (Future<RomStore.Stored> f : fs) results.add(f.get());
            assertThat(results).hasSize(1);
            RomStore.Stored s = results.iterator().next();
            assertThat(Digest.of(Files.readAllBytes(s.path()))).isEqualTo(s.digest());
            try (var listing = Files.list(tmp.resolve("roms/sha256"))) {
                assertThat(listing).containsExactly(s.path());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
