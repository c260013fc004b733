package dev.kiln.platform.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceRom;
import dev.kiln.platform.instance.InstanceState;
import dev.kiln.platform.volume.Volume;
import dev.kiln.platform.volume.VolumeState;
import dev.kiln.platform.instance.RestartPolicy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The same store contract on SQLite and on a real PostgreSQL. */
class StoreTest {
    static Postgres pg;
    @TempDir static Path tmp;

    @BeforeAll
    static void postgres() throws Exception {
        pg = Postgres.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) pg.close();
    }

    private static int databases;

    static JdbcStore open(String kind) throws Exception {
        return kind.equals("sqlite") ? JdbcStore.sqlite(tmp.resolve("db" + databases++ + ".sqlite"))
                : JdbcStore.postgresql(pg.newDatabase("t" + databases++), 4);
    }

    static Instance instance(String name, long seq) {
        return new Instance(UUID.randomUUID(), name, "oci:x@sha256:" + "0".repeat(64), InstanceState.STOPPED, Instant.parse("2026-12-06T10:00:00Z"),
                seq, 128, 1, List.of("a", "b c"), new TreeMap<>(Map.of("K", "V")), RestartPolicy.NEVER, Set.of("delete-on-stop"),
                0, 0, null, null, null, null, null, null, List.of(new Instance.Service(8080, 80, "tcp")), List.of(), 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void instancesRoundTripAndUpdatesCheckTheirVersion(String kind) throws Exception {
        try (JdbcStore s = open(kind)) {
            Instance a = instance("web", s.nextSeq());
            assertThat(s.insert(a)).isTrue();
            assertThat(s.insert(instance("web", s.nextSeq()))).as("names are unique").isFalse();
            assertThat(s.byUuid(a.uuid())).contains(a);
            assertThat(s.byName("web")).contains(a);
            Instance running = s.update(a.withState(InstanceState.RUNNING)).orElseThrow();
            assertThat(running.version()).isEqualTo(2);
            assertThat(s.update(a.withState(InstanceState.STOPPING))).as("a stale version is refused").isEmpty();
            assertThat(s.byName("web").orElseThrow().state()).isEqualTo(InstanceState.RUNNING);
            for (int i = 0; i < 5; i++) s.insert(instance("n" + i, s.nextSeq()));
            List<Instance> page = s.list(0, 3);
            assertThat(page).extracting(Instance::name).containsExactly("web", "n0", "n1");
            assertThat(s.list(page.getLast().createdSeq(), 0)).extracting(Instance::name).containsExactly("n2", "n3", "n4");
            assertThat(s.count()).isEqualTo(6);
            assertThat(s.delete(a.uuid())).isTrue();
            assertThat(s.byUuid(a.uuid())).isEmpty();
            s.setting("token", "x");
            s.setting("token", "y");
            assertThat(s.setting("token")).contains("y");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void concurrentCreatesOfOneNameMakeExactlyOne(String kind) throws Exception {
        try (JdbcStore s = open(kind)) {
            ExecutorService e = Executors.newFixedThreadPool(16);
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int i = 0; i < 64; i++) fs.add(e.submit(() -> s.insert(instance("same", s.nextSeq()))));
            int won = 0;
            for (Future<Boolean> f : fs) if (f.get()) won++;
            e.shutdown();
            assertThat(won).isEqualTo(1);
            assertThat(s.count()).isEqualTo(1);
        }
    }

    private static Volume volume(String name, long seq) {
        return new Volume(UUID.randomUUID(), name, Instant.parse("2026-12-06T10:00:00Z"), seq, 16, Volume.NINE_P, VolumeState.AVAILABLE,
                true, null, null, null, false, false, 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void anInstanceItsRomReferencesAndItsVolumesChangeTogetherOrNotAtAll(String kind) throws Exception {
        try (JdbcStore s = open(kind)) {
            Volume existing = volume("data", s.nextSeq());
            assertThat(s.insertVolume(existing)).isTrue();
            assertThat(s.insertVolume(volume("data", s.nextSeq()))).as("volume names are unique").isFalse();
            InstanceRom rom = new InstanceRom("cfg", "/etc/app", null, List.of(new InstanceRom.InlineFile("a", "text", "x")), "sha256:" + "a".repeat(64));
            InstanceRom image = new InstanceRom("img", null, "r:1@sha256:" + "c".repeat(64), null, "sha256:" + "b".repeat(64));
            Instance i = withRoms(instance("web", s.nextSeq()), List.of(rom, image));
            Volume mine = volume("mine", s.nextSeq()).attached(i.uuid(), "/m", false);
            Volume attached = existing.attached(i.uuid(), "/data", true);

            // A volume changed since it was read: nothing of the create is written.
            Volume stale = existing.withVersion(7).attached(i.uuid(), "/data", true);
            assertThat(s.insert(i, List.of(mine), List.of(stale))).isEqualTo(Store.Insert.VOLUME_CHANGED);
            assertThat(s.byUuid(i.uuid())).isEmpty();
            assertThat(s.volumeByName("mine")).isEmpty();
            assertThat(s.romDigests()).isEmpty();

            assertThat(s.insert(i, List.of(mine), List.of(attached))).isEqualTo(Store.Insert.OK);
            assertThat(s.byUuid(i.uuid()).orElseThrow().roms()).containsExactly(rom, image);
            assertThat(s.romDigests()).as("inline ROMs only: image ROMs live in the image store").containsExactly(rom.digest());
            assertThat(s.romReferenced(rom.digest())).isTrue();
            assertThat(s.volumesOf(i.uuid())).extracting(Volume::name).containsExactly("data", "mine");
            assertThat(s.volume(existing.uuid()).orElseThrow().readonly()).isTrue();

            Volume detached = s.volume(existing.uuid()).orElseThrow().detached();
            assertThat(s.delete(i.uuid(), List.of(detached), List.of(mine.uuid()))).isTrue();
            assertThat(s.romDigests()).isEmpty();
            assertThat(s.volumeByName("mine")).isEmpty();
            assertThat(s.volume(existing.uuid()).orElseThrow().attachedTo()).isNull();
            assertThat(s.volumes(0, 0)).extracting(Volume::name).containsExactly("data");
            assertThat(s.deleteVolume(existing.uuid())).isTrue();
        }
    }

    private static Instance withRoms(Instance i, List<InstanceRom> roms) {
        return i.patched(i.image(), i.args(), i.env(), i.memoryMb(), i.vcpus(), roms);
    }
}
