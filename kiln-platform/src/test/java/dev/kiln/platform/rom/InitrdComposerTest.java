package dev.kiln.platform.rom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.cpio.CpioReader;
import dev.kiln.fs.target.Target;
import dev.kiln.platform.rom.InitrdComposer.Placement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class InitrdComposerTest {
    @TempDir
    Path tmp;
    InitrdComposer composer;
    Path base;

    @BeforeEach
    void setUp() throws IOException {
        composer = InitrdComposer.open(tmp.resolve("cache"));
        base = image(ImageFormat.CPIO, "base.cpio", Source.memory()
                .file("etc/app/config.json", bytes("{\"base\":true}"))
                .file("etc/app/old/stale.txt", bytes("stale"))
                .file("etc/hosts", bytes("127.0.0.1 localhost\n"))
                .file("srv", bytes("a file where a ROM goes"))
                .symlink("lib/current", "/opt/v1")
                .file("bin/app", bytes("app"), 0755));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    Path image(ImageFormat f, String name, MemorySource.Builder files) throws IOException {
        Path out = tmp.resolve(name);
        ImageBuild.builder().source(files.build()).format(f).build().writeTo(out);
        return out;
    }

    Path rom(ImageFormat f, String name, String... pathAndText) throws IOException {
        MemorySource.Builder b = Source.memory().directory("/", new Metadata(0750, 0, 0, 1_700_000_000L, 0, null));
        for (int i = 0; i < pathAndText.length; i += 2) b.file(pathAndText[i], bytes(pathAndText[i + 1]));
        return image(f, name, b);
    }

    /** What a consumer sees: "path type mode" per entry, file contents after '='. */
    static List<String> listing(Path cpio) throws IOException {
        List<String> out = new ArrayList<>();
        try (Tree t = Images.read(cpio)) {
            for (Entry e : t.entries()) {
                Node n = e.node();
                String s = e.path().display() + " " + Node.letter(n) + " " + String.format("%04o", n.meta().permissions());
                if (n instanceof Node.File f) s += " =" + new String(f.content().readAll(), StandardCharsets.UTF_8);
                if (n instanceof Node.Symlink l) s += " -> " + l.target();
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void aRomHidesWhatTheBaseHasAtAndBelowItsMountPoint() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "app.erofs", "config.json", "{\"rom\":1}", "conf.d/x.conf", "x");
        InitrdComposer.Composition c = composer.compose(base, "base-1", List.of(new Placement(rom, "rom-1", "/etc/app")), Target.UNIKRAFT);
        assertThat(c.cached()).isFalse();
        assertThat(c.size()).isEqualTo(Files.size(c.file()));
        assertThat(listing(c.file())).containsExactly(
                "/ d 0755",
                "/bin d 0755", "/bin/app - 0755 =app",
                "/etc d 0755",
                "/etc/app d 0750",
                "/etc/app/conf.d d 0755", "/etc/app/conf.d/x.conf - 0644 =x",
                "/etc/app/config.json - 0644 ={\"rom\":1}",
                "/etc/hosts - 0644 =127.0.0.1 localhost\n",
                "/lib d 0755", "/lib/current l 0777 -> /opt/v1",
                "/srv - 0644 =a file where a ROM goes");
        try (Tree t = Images.read(c.file())) {
            assertThat(t.resolve(EntryPath.parse("etc/app")).meta().mtime()).as("the ROM root's time").isEqualTo(1_700_000_000L);
        }
    }

    @Test
    void theResultIsOneNewcArchiveWithParentsBeforeChildren() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "app.erofs", "a/b/c.txt", "c");
        Path out = composer.compose(base, "b", List.of(new Placement(rom, "r", "/deep/er/mount")), Target.UNIKRAFT).file();
        byte[] bytes = Files.readAllBytes(out);
        assertThat(new String(bytes, 0, 6, StandardCharsets.US_ASCII)).isEqualTo("070701");
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        assertThat(text.indexOf("TRAILER!!!")).isEqualTo(text.lastIndexOf("TRAILER!!!")).isPositive();
        List<CpioReader.Member> members = new ArrayList<>();
        try (Tree t = Images.read(out, null, members::add)) {
            assertThat(Target.UNIKRAFT.lintMembers(members)).isEmpty();
        }
        Set<String> seen = new HashSet<>(Set.of("", "."));
        for (CpioReader.Member m : members) {
            assertThat(m.archive()).isZero();
            String name = m.name().startsWith("./") ? m.name().substring(2) : m.name();
            int slash = name.lastIndexOf('/');
            assertThat(seen).as("parent of %s listed before it", name).contains(slash < 0 ? "" : name.substring(0, slash));
            seen.add(name);
        }
        assertThat(listing(out)).contains("/deep d 0755", "/deep/er d 0755", "/deep/er/mount d 0750", "/deep/er/mount/a/b/c.txt - 0644 =c");
    }

    @Test
    void aFileOrSymlinkAtTheMountPointIsReplacedByTheRom() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "www.erofs", "index.html", "<h1>hi</h1>");
        Path out = composer.compose(base, "b", List.of(new Placement(rom, "www", "/srv"), new Placement(rom, "www", "/lib/current")),
                Target.UNIKRAFT).file();
        assertThat(listing(out)).contains("/srv d 0750", "/srv/index.html - 0644 =<h1>hi</h1>",
                "/lib/current d 0750", "/lib/current/index.html - 0644 =<h1>hi</h1>").doesNotContain("/srv - 0644 =a file where a ROM goes");
    }

    @Test
    void aDeeperRomShowsOverAShallowerOneWhateverTheOrderGiven() throws Exception {
        Path outer = rom(ImageFormat.EROFS, "outer.erofs", "b/hidden.txt", "outer", "kept.txt", "outer");
        Path inner = rom(ImageFormat.EROFS, "inner.erofs", "inner.txt", "inner");
        List<Placement> innerFirst = List.of(new Placement(inner, "inner", "/a/b"), new Placement(outer, "outer", "/a"));
        InitrdComposer.Composition c = composer.compose(base, "b", innerFirst, Target.UNIKRAFT);
        assertThat(listing(c.file())).contains("/a d 0750", "/a/b d 0750", "/a/b/inner.txt - 0644 =inner", "/a/kept.txt - 0644 =outer")
                .doesNotContain("/a/b/hidden.txt - 0644 =outer");
        // The same placements in the other order are the same composition: a cache hit.
        InitrdComposer.Composition again = composer.compose(base, "b", List.of(innerFirst.get(1), innerFirst.get(0)), Target.UNIKRAFT);
        assertThat(again.cached()).isTrue();
        assertThat(again.file()).isEqualTo(c.file());
    }

    @ParameterizedTest
    @EnumSource(ImageFormat.class)
    void romsMayBeErofsCpioOrTar(ImageFormat f) throws Exception {
        Path rom = rom(f, "rom." + f.id(), "data/file.txt", "in " + f.id());
        Path out = composer.compose(base, "b", List.of(new Placement(rom, f.id(), "/opt/rom")), Target.UNIKRAFT).file();
        assertThat(listing(out)).contains("/opt d 0755", "/opt/rom/data/file.txt - 0644 =in " + f.id());
    }

    @Test
    void withoutABaseTheInitrdHoldsOnlyTheRoms() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "r.erofs", "x", "1");
        Path out = composer.compose(null, null, List.of(new Placement(rom, "r", "/etc/app")), Target.UNIKRAFT).file();
        assertThat(listing(out)).containsExactly("/ d 0755", "/etc d 0755", "/etc/app d 0750", "/etc/app/x - 0644 =1");
    }

    @Test
    void theSameInputsGiveTheSameBytesAndTheCacheHitReturnsTheSameFileUntouched() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "r.erofs", "x", "1");
        List<Placement> p = List.of(new Placement(rom, "r", "/etc/app"));
        InitrdComposer.Composition first = composer.compose(base, "b", p, Target.UNIKRAFT);
        byte[] bytes = Files.readAllBytes(first.file());
        Object inode = Files.readAttributes(first.file(), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        InitrdComposer.Composition hit = composer.compose(base, "b", p, Target.UNIKRAFT);
        assertThat(hit).isEqualTo(new InitrdComposer.Composition(first.file(), first.size(), true));
        assertThat(Files.readAttributes(hit.file(), java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(inode);
        InitrdComposer.Composition elsewhere = InitrdComposer.open(tmp.resolve("other")).compose(base, "b", p, Target.UNIKRAFT);
        assertThat(elsewhere.cached()).isFalse();
        assertThat(Files.readAllBytes(elsewhere.file())).isEqualTo(bytes);
        // Another key (base, ROM, mount point or target) is another composition.
        assertThat(composer.compose(base, "b2", p, Target.UNIKRAFT).file()).isNotEqualTo(first.file());
        assertThat(composer.compose(base, "b", List.of(new Placement(rom, "r2", "/etc/app")), Target.UNIKRAFT).cached()).isFalse();
        assertThat(composer.compose(base, "b", List.of(new Placement(rom, "r", "/etc/app2")), Target.UNIKRAFT).cached()).isFalse();
        assertThat(composer.compose(base, "b", p, null).cached()).isFalse();
    }

    @Test
    void aCacheHitTakesWellUnderTwoMilliseconds() throws Exception {
        List<Placement> p = List.of(new Placement(rom(ImageFormat.EROFS, "r.erofs", "x", "1"), "r", "/etc/app"));
        composer.compose(base, "b", p, Target.UNIKRAFT);
        for (int i = 0; i < 200; i++) composer.compose(base, "b", p, Target.UNIKRAFT); // warm-up
        long best = Long.MAX_VALUE, total = 0;
        for (int i = 0; i < 100; i++) {
            long t0 = System.nanoTime();
            composer.compose(base, "b", p, Target.UNIKRAFT);
            long t = System.nanoTime() - t0;
            best = Math.min(best, t);
            total += t;
        }
        assertThat(total / 100).as("mean ns per hit").isLessThan(2_000_000);
    }

    @Test
    void concurrentComposesOfOneKeyBuildOnce() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "r.erofs", "x", "1");
        List<Placement> p = List.of(new Placement(rom, "r", "/etc/app"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<InitrdComposer.Composition>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) fs.add(pool.submit(() -> {
                go.await();
                return composer.compose(base, "b", p, Target.UNIKRAFT);
            }));
            go.countDown();
            Set<Path> files = new HashSet<>();
            int built = 0;
            for (Future<InitrdComposer.Composition> f : fs) {
                files.add(f.get().file());
                if (!f.get().cached()) built++;
            }
            assertThat(files).hasSize(1);
            assertThat(built).isEqualTo(1);
            try (var s = Files.list(tmp.resolve("cache"))) {
                assertThat(s).containsExactlyElementsOf(files);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void trimKeepsTheMostRecentlyUsedCompositionsWithinTheLimitAndRemovesLeftovers() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "r.erofs", "x", "1");
        List<Path> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path f = composer.compose(base, "b" + i, List.of(new Placement(rom, "r", "/etc/app")), Target.UNIKRAFT).file();
            Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000L * (i + 1)));
            made.add(f);
        }
        composer.compose(base, "b0", List.of(new Placement(rom, "r", "/etc/app")), Target.UNIKRAFT); // used again: the newest
        Path leftover = Files.writeString(tmp.resolve("cache/.0123.cpio.99.kiln-tmp"), "partial");
        long size = Files.size(made.get(0));
        InitrdComposer.Trimmed t = composer.trim(2 * size);
        assertThat(t.files()).isEqualTo(2);
        assertThat(made.get(0)).exists();
        assertThat(made.get(2)).exists();
        assertThat(made.get(1)).doesNotExist();
        assertThat(leftover).doesNotExist();
        assertThat(composer.trim(0).files()).isEqualTo(2);
    }

    @Test
    void aMountPointMustBeAnAbsoluteCleanPath() throws Exception {
        Path rom = rom(ImageFormat.EROFS, "r.erofs", "x", "1");
        assertThatThrownBy(() -> composer.compose(base, "b", List.of(new Placement(rom, "r", "etc/app")), Target.UNIKRAFT))
                .hasMessageContaining("not an absolute path");
        assertThatThrownBy(() -> composer.compose(base, "b", List.of(new Placement(rom, "r", "/etc/../app")), Target.UNIKRAFT))
                .hasMessageContaining("\"..\"");
    }
}
