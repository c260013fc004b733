package dev.kiln.platform;

import dev.kiln.platform.api.ApiServer;
import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.rom.InitrdComposer;
import dev.kiln.platform.rom.PlatformRoms;
import dev.kiln.platform.rom.RomImages;
import dev.kiln.platform.rom.RomStore;
import dev.kiln.platform.volume.DiskBacking;
import dev.kiln.platform.volume.VolumeService;
import dev.kiln.platform.instance.InstanceRuntime;
import dev.kiln.platform.instance.InstanceService;
import dev.kiln.platform.vmm.QemuVmm;
import dev.kiln.platform.instance.MemoryRule;
import dev.kiln.platform.store.JdbcStore;
import dev.kiln.platform.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Set;

/**
 * kiln serve, wired: the data directory (the SQLite database unless another is given, the image
 * store, the API token), the services and the HTTP server. Constructors for wiring, no
 * container; {@link #close} stops everything it started.
 *
 * @param token     the API token clients send (created on first start, kept in {@code DATA/token}, mode 0600)
 * @param firstStart whether this start created the token (the CLI then says how to use it)
 */
public record Platform(Path data, Store store, ImageCatalog images, InstanceService instances, InstanceRuntime runtime, ApiServer api,
                       String token, boolean firstStart, int adopted, boolean leaveRunning) implements AutoCloseable {

    /**
     * What {@code kiln serve} takes. {@code database}: null for SQLite in the data directory, else a
     * PostgreSQL URL. {@code leaveRunning}: at shutdown, leave the guests running (the next start
     * adopts them) instead of stopping them. {@code insecureRegistries}: registries (host[:port])
     * ROM images are pulled from over plain HTTP.
     */
    public record Options(Path data, String database, String host, int port, boolean leaveRunning, Set<String> insecureRegistries) {
        public Options {
            insecureRegistries = Set.copyOf(insecureRegistries);
        }

        public Options(Path data, String database, String host, int port, boolean leaveRunning) {
            this(data, database, host, port, leaveRunning, Set.of());
        }

        public Options(Path data, String database, String host, int port) {
            this(data, database, host, port, false);
        }
    }

    public static Platform start(Options o) throws IOException {
        Path data = Files.createDirectories(o.data());
        Store store = o.database() == null ? JdbcStore.sqlite(data.resolve("kiln.db")) : JdbcStore.postgresql(o.database(), 8);
        try {
            Services services = Services.open(data, store, o.insecureRegistries());
            int adopted = services.reconcile();
            ImageCatalog images = services.images();
            InstanceService instances = services.instances();
            InstanceRuntime runtime = services.runtime();
            Path tokenFile = data.resolve("token");
            boolean first = false;
            String token;
            if (Files.isRegularFile(tokenFile) && store.setting("token_sha256").isPresent()) {
                token = Files.readString(tokenFile).strip();
            } else {
                token = newToken();
                writePrivate(tokenFile, token + "\n");
                first = true;
            }
            store.setting("token_sha256", ApiServer.tokenHash(token));
            ApiServer api = ApiServer.start(instances, runtime, token, o.host(), o.port());
            return new Platform(data, store, images, instances, runtime, api, token, first, adopted, o.leaveRunning());
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * The platform without its HTTP server, on a data directory and a store: what kiln serve
     * serves and what kiln run drives directly, wired the same way.
     */
    public record Services(ImageCatalog images, PlatformRoms roms, VolumeService volumes, InstanceService instances, InstanceRuntime runtime) {
        public static Services open(Path data, Store store, Set<String> insecureRegistries) throws IOException {
            ImageCatalog images = ImageCatalog.open(data.resolve("images"));
            PlatformRoms roms = new PlatformRoms(RomStore.open(data.resolve("roms")), new RomImages(images.layout(), insecureRegistries),
                    InitrdComposer.open(data.resolve("compose")));
            VolumeService volumes = new VolumeService(store, DiskBacking.open(data.resolve("volumes")), Clock.systemUTC());
            InstanceService instances = new InstanceService(store, images, roms, volumes, MemoryRule.DEFAULT, Clock.systemUTC());
            // The run directories' paths go into unix socket names (at most 107 bytes): short ones.
            Path run = Files.createDirectories(data.resolve("run"));
            InstanceRuntime runtime = new InstanceRuntime(instances, QemuVmm.create(), run, roms);
            return new Services(images, roms, volumes, instances, runtime);
        }

        /**
         * Makes the store, the guests and the data agree after a (re)start: guests adopted or
         * marked stopped, then (with delete-on-stop instances gone) volumes finished or freed and
         * ROM blobs and volume data no row names removed. Returns the guests adopted.
         */
        public int reconcile() throws IOException {
            int adopted = runtime.reconcile();
            volumes.reconcile();
            instances.collectRoms();
            return adopted;
        }
    }

    private static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return "kiln_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Written 0600 from the start (not chmod'ed after), through a temporary renamed into place. */
    private static void writePrivate(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)));
        Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.WRITE);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public int port() {
        return api.port();
    }

    @Override
    public void close() {
        api.close();
        runtime.close(leaveRunning);
        store.close();
    }
}
