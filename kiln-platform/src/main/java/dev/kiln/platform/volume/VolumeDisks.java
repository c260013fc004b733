package dev.kiln.platform.volume;

import dev.kiln.fs.Entry;
import dev.kiln.fs.Extractor;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.BuildResult;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Directories;
import dev.kiln.platform.volume.VolumeDisk.Kind;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The host side of volumes: where each volume's data lives, how its size is held to, and how it
 * is shared with guests, filled and copied out. Opened on a directory that it owns alone
 * ({@code DATA/volumes}):
 *
 * <pre>
 * UUID/volume      what the volume is (kind, size), written once at creation
 * UUID/disk.ext4   a sparse ext4 image of size_mb; its filesystem UUID is the volume's
 * UUID/mnt/        9p volumes: where the image is loop-mounted (nosuid,nodev,noexec) while shared
 * .tmp-*           work in progress (creation, import, export, deletion): never a volume
 * .old-UUID        a plain-directory volume being replaced by an import
 * </pre>
 *
 * <p>A 9p volume's image stays mounted from the first {@link #share} until {@link #release} or
 * {@link #delete}, across restarts of kiln serve: the mount table is the record, so a server
 * killed with -9 finds its mounts again and guests it adopts keep their shares. An ext4 block
 * volume is never mounted on the host while a guest may use it; QEMU attaches the image.
 *
 * <p>Where loop mounts are impossible (not root, or mount refused), a 9p volume is a plain
 * directory and nothing holds it to its size: {@link #enforcesSize()} says which, for the API to
 * report. Block volumes need no mount and always hold to their size.
 *
 * <p>Operations on one volume run one at a time; different volumes proceed in parallel. The
 * caller keeps guests off a volume while it is imported into or deleted (a mounted share in use
 * cannot be unmounted, and the call fails saying so) and off a block volume while it is exported.
 */
public final class VolumeDisks {
    /** mke2fs 1.47 makes ext4 down to 128 KiB (no journal below 2 MiB); the API counts whole MiB. */
    public static final int MIN_SIZE_MB = 1;
    /**
     * 1 TiB: the image is sparse (an empty one takes its 256 MiB journal on the host), but the host
     * must be able to hold what guests write; past this, a host directory serves better.
     */
    public static final int MAX_SIZE_MB = 1 << 20;

    static final String DESCRIPTION = "volume";
    static final String IMAGE = "disk.ext4";
    static final String MOUNT = "mnt";
    static final String TEMP = ".tmp-";
    static final String OLD = ".old-";
    private static final String SHARE_OPTIONS = "nosuid,nodev,noexec";

    private final Path root;
    private final boolean loopMounts;
    private final String sizeNote;
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();

    private VolumeDisks(Path root, boolean loopMounts, String sizeNote) {
        this.root = root;
        this.loopMounts = loopMounts;
        this.sizeNote = sizeNote;
    }

    /**
     * Opens (creating if missing) the volumes directory {@code dir}. Loop mounts are used when this
     * process is root and a trial mount of a small image succeeds; otherwise 9p volumes are plain
     * directories. Call {@link #collect} next, before anything uses a volume.
     */
    public static VolumeDisks open(Path dir) throws IOException {
        return open(dir, true);
    }

    /**
     * Like {@link #open(Path)}; {@code loopMounts} false keeps 9p volumes as plain directories even
     * where mounts work (a host whose loop devices are not to be used).
     */
    public static VolumeDisks open(Path dir, boolean loopMounts) throws IOException {
        Files.createDirectories(dir);
        Path root = dir.toRealPath();
        if (!loopMounts) return new VolumeDisks(root, false, "sizes not enforced: loop mounts turned off");
        if (!Extractor.runningAsRoot()) {
            return new VolumeDisks(root, false, "sizes not enforced: 9p volumes are plain directories, as loop mounts need root");
        }
        String refused = trialMount(root);
        if (refused != null) {
            return new VolumeDisks(root, false, "sizes not enforced: 9p volumes are plain directories, as a loop mount failed: " + refused);
        }
        return new VolumeDisks(root, true, "sizes enforced: every volume is an ext4 image of its size");
    }

    /** Whether new 9p volumes hold to their size (block volumes always do). */
    public boolean enforcesSize() {
        return loopMounts;
    }

    /** One sentence on how sizes are held to here, and why not when they are not: for the server's start-up line. */
    public String sizeNote() {
        return sizeNote;
    }

    /** The directory this was opened on, as a real path. */
    public Path directory() {
        return root;
    }

    /**
     * Creates an empty volume: an ext4 image of {@code sizeMb} MiB (root directory 0755, owned by
     * 0:0, no blocks reserved for root), or an empty directory for a 9p volume where loop mounts
     * are impossible. Built under a temporary name and renamed into place, so a crash leaves no
     * half volume, only a temporary that {@link #collect} removes.
     */
    public VolumeDisk create(UUID id, int sizeMb, Kind kind) throws IOException {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        if (sizeMb < MIN_SIZE_MB || sizeMb > MAX_SIZE_MB) {
            throw new VolumeException("size_mb", "size_mb " + sizeMb + ": a volume holds " + MIN_SIZE_MB + " to "
                    + MAX_SIZE_MB + " MiB (1 TiB)");
        }
        synchronized (lock(id)) {
            if (Files.exists(dir(id), LinkOption.NOFOLLOW_LINKS)) {
                throw new VolumeException("uuid", "volume " + id + " exists already");
            }
            VolumeDisk v = new VolumeDisk(id, kind, sizeMb, kind == Kind.EXT4_BLOCK || loopMounts);
            Path work = workDirectory(id + "-create-");
            try {
                if (v.enforcesSize()) {
                    Path image = work.resolve(IMAGE);
                    sparseFile(image, v.sizeBytes());
                    mkfs(image, id, sizeMb, null);
                }
                if (kind == Kind.NINE_P) {
                    Files.createDirectory(work.resolve(MOUNT), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                }
                v.write(work.resolve(DESCRIPTION));
                Files.move(work, dir(id), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                removeWork(work, e);
                throw e;
            }
            return v;
        }
    }

    /** Whether {@code id} is a volume here. */
    public boolean exists(UUID id) {
        return Files.isRegularFile(dir(id).resolve(DESCRIPTION), LinkOption.NOFOLLOW_LINKS);
    }

    /** The volume {@code id}, if it exists here. */
    public Optional<VolumeDisk> find(UUID id) throws IOException {
        return exists(id) ? Optional.of(VolumeDisk.read(dir(id).resolve(DESCRIPTION))) : Optional.empty();
    }

    /**
     * The host directory to share over 9p for the 9p volume {@code id}: its image is mounted there
     * if it is not already (by this server, or by one before a restart). Calling it again, from any
     * thread, gives the same directory and mounts nothing more.
     */
    public Path share(UUID id) throws IOException {
        synchronized (lock(id)) {
            VolumeDisk v = require(id);
            if (v.kind() != Kind.NINE_P) {
                throw new VolumeException("filesystem", "volume " + id + " is an ext4 block volume: a guest gets its disk,"
                        + " and the host never mounts it");
            }
            Path mnt = dir(id).resolve(MOUNT);
            if (!v.enforcesSize()) return mnt;
            if (mounted(v)) return mnt;
            if (!loopMounts) {
                throw new VolumeException(null, "volume " + id + " keeps its data in an ext4 image, and this host cannot"
                        + " mount it (" + sizeNote + ")");
            }
            mount(image(id), mnt, SHARE_OPTIONS);
            return mnt;
        }
    }

    /** The image to attach read-write as a virtio-blk disk, for the block volume {@code id}. */
    public Path disk(UUID id) throws IOException {
        VolumeDisk v = require(id);
        if (v.kind() != Kind.EXT4_BLOCK) {
            throw new VolumeException("filesystem", "volume " + id + " is a 9p volume: share() gives its directory");
        }
        return image(id);
    }

    /**
     * Unmounts the share of volume {@code id}, if mounted; its data stays in the image. Fails, saying
     * so, while a guest still has the share open.
     */
    public void release(UUID id) throws IOException {
        synchronized (lock(id)) {
            VolumeDisk v = require(id);
            if (v.kind() == Kind.NINE_P && v.enforcesSize()) {
                while (mounted(v)) umount(dir(id).resolve(MOUNT), id);
            }
        }
    }

    /** Unmounts and removes volume {@code id} and its data; false when there was none. */
    public boolean delete(UUID id) throws IOException {
        synchronized (lock(id)) {
            if (!Files.exists(dir(id), LinkOption.NOFOLLOW_LINKS)) return false;
            removeVolumeDirectory(dir(id), id);
            locks.remove(id);
            return true;
        }
    }

    /**
     * Space in volume {@code id}. {@code free} is what files can still take; {@code used} is the
     * rest of {@code size}, the filesystem's own structures (journal, inode tables) included, so
     * a fresh volume shows some use. A mounted volume answers from the filesystem (statvfs), an
     * unmounted image from its superblock (dumpe2fs), which for a block volume in use is what the
     * guest last wrote there. A plain-directory volume reports its files and the host's free space.
     * Takes no lock, so a listing never waits for an import: during one it sees the old image or
     * the new.
     */
    public Usage usage(UUID id) throws IOException {
        VolumeDisk v = require(id);
        Path mnt = dir(id).resolve(MOUNT);
        if (!v.enforcesSize()) {
            long files;
            try (Stream<Path> s = Files.walk(mnt)) {
                files = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(VolumeDisks::sizeOf).sum();
            }
            return new Usage(v.sizeBytes(), files, Files.getFileStore(mnt).getUsableSpace());
        }
        long free = v.kind() == Kind.NINE_P && mounted(v) ? Files.getFileStore(mnt).getUsableSpace() : Superblock.of(image(id)).freeBytes();
        return new Usage(v.sizeBytes(), Math.max(0, v.sizeBytes() - free), free);
    }

    /**
     * Brings the directory in line with the volumes the platform knows, at start and before any
     * other call: every volume not in {@code keep} is unmounted and removed, as is every temporary
     * (a creation, import or export that a crash interrupted, with any mount it left). Kept
     * volumes stay as they are, mounted shares included. Names this class never makes are left
     * alone.
     */
    public Collected collect(Set<UUID> keep) throws IOException {
        Objects.requireNonNull(keep, "keep");
        List<String> failures = new ArrayList<>();
        for (Mounts.Mount m : Mounts.under(root)) {
            Optional<UUID> owner = volumeOf(m.at());
            if (owner.isPresent() && keep.contains(owner.get()) && m.at().equals(dir(owner.get()).resolve(MOUNT))) continue;
            try {
                umount(m.at(), null);
            } catch (VolumeException e) {
                failures.add(e.getMessage()); // and what is below it stays, as removeTree refuses to delete through a mount
            }
        }
        List<UUID> removed = new ArrayList<>();
        List<Path> temporaries = new ArrayList<>();
        List<Path> entries;
        try (Stream<Path> s = Files.list(root)) {
            entries = s.sorted().toList();
        }
        for (Path p : entries) {
            String name = p.getFileName().toString();
            Optional<UUID> id = uuid(name);
            Optional<UUID> old = name.startsWith(OLD) ? uuid(name.substring(OLD.length())) : Optional.empty();
            try {
                if (id.isPresent()) {
                    if (keep.contains(id.get())) continue;
                    synchronized (lock(id.get())) {
                        removeVolumeDirectory(p, id.get());
                    }
                    locks.remove(id.get());
                    removed.add(id.get());
                } else if (old.isPresent() && keep.contains(old.get()) && !Files.exists(dir(old.get()), LinkOption.NOFOLLOW_LINKS)) {
                    // An import of a plain-directory volume stopped between its two renames: the
                    // old contents are the volume.
                    Files.move(p, dir(old.get()), StandardCopyOption.ATOMIC_MOVE);
                } else if (old.isPresent() || name.startsWith(TEMP)) {
                    removeTree(p);
                    temporaries.add(p);
                }
            } catch (VolumeException e) {
                failures.add(e.getMessage());
            }
        }
        return new Collected(removed, temporaries, failures);
    }

    /**
     * Fills volume {@code id} from {@code source}: a host directory, or any image kiln reads (cpio,
     * tar, EROFS; plain, gzip, zstd or xz). The volume's contents with the source laid over them
     * (a source entry replaces one of the same name; a tar's whiteouts delete) become a new ext4
     * image, built beside the old one with {@code mke2fs -d} and renamed over it only when
     * complete; a share mounted before is mounted again. Owners, modes, times, hard links, devices
     * and xattrs are kept as the source records them (owners only when running as root); the
     * volume's root directory stays 0755 0:0.
     *
     * <p>All or nothing: contents too large for the volume (a {@link VolumeException} on
     * {@code source} saying how much they need), a corrupt archive (kiln's format error, naming the
     * entry or offset) or a host failure leave the volume as it was and nothing behind. No guest
     * may use the volume meanwhile.
     */
    public Imported importFrom(UUID id, Path source) throws IOException {
        Objects.requireNonNull(source, "source");
        synchronized (lock(id)) {
            VolumeDisk v = require(id);
            if (!Files.exists(source)) throw new VolumeException("source", source + ": no such file or directory");
            boolean directory = Files.isDirectory(source);
            if (!directory && (!Files.isRegularFile(source) || ImageFormat.detect(source).isEmpty())) {
                throw new VolumeException("source", source + ": neither a directory nor a cpio, tar or EROFS image"
                        + " (plain, gzip, zstd or xz)");
            }
            Source laid = directory ? Source.directory(source) : Source.image(source);
            Path work = workDirectory(id + "-import-");
            try {
                Imported done = rebuild(v, laid, work);
                removeWork(work, null);
                return done;
            } catch (IOException | RuntimeException e) {
                removeWork(work, e);
                throw e;
            }
        }
    }

    /** The import's work, in {@code work}, which the caller removes whatever happens. */
    private Imported rebuild(VolumeDisk v, Source laid, Path work) throws IOException {
        UUID id = v.id();
        Path mnt = dir(id).resolve(MOUNT);
        boolean unmounted = false;
        try {
            Path current = mnt;
            boolean shared = v.enforcesSize() && v.kind() == Kind.NINE_P && mounted(v);
            if (v.enforcesSize() && !shared) current = readOnlyMount(v, work.resolve("old"));
            Superblock empty = v.enforcesSize() ? emptyFilesystem(v, work.resolve(IMAGE)) : null;
            Path staging = work.resolve("tree");
            Need need;
            List<String> warnings;
            try (Tree tree = ImageBuild.builder().source(Source.directory(current)).source(laid).owners(Ownership.KEEP)
                    // The format only satisfies the builder: the tree is extracted, not written.
                    .mtime(MtimePolicy.KEEP).format(ImageFormat.TAR).temporaryDirectory(work).build().tree()) {
                need = Need.of(tree, empty == null ? 4096 : empty.blockSize());
                if (empty != null) need.check(v, empty);
                warnings = new Extractor(Extractor.runningAsRoot()).extract(tree, staging);
            }
            Imported imported = new Imported(need.entries(), need.fileBytes(), warnings);
            if (!v.enforcesSize()) {
                Files.setPosixFilePermissions(staging, Files.getPosixFilePermissions(mnt));
                replaceDirectory(v, staging, work);
                return imported;
            }
            if (!shared) umount(current, id);
            Host.Result r = Host.run(mkfsArgs(work.resolve(IMAGE), id, v.sizeMb(), staging));
            if (r.status() != 0) {
                if (r.err().contains("Could not allocate")) throw need.tooBig(v, empty, r);
                throw new VolumeException(null, r.failure());
            }
            removeTree(staging);
            if (shared) {
                umount(mnt, id);
                unmounted = true;
            }
            Files.move(work.resolve(IMAGE), image(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (unmounted) {
                unmounted = false;
                mount(image(id), mnt, SHARE_OPTIONS);
            }
            return imported;
        } catch (IOException | RuntimeException e) {
            // Failed after the share was unmounted and before the new image took its place: the
            // old image is still the volume, and its guests expect it mounted.
            if (unmounted) {
                try {
                    mount(image(id), mnt, SHARE_OPTIONS);
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    /**
     * Writes volume {@code id}'s contents to {@code out} as the image format its name says
     * ({@code .cpio}, {@code .tar}, {@code .erofs}, with {@code .gz}, {@code .zst} or {@code .xz}
     * for cpio and tar), owners, modes and times kept, ext4's lost+found left out. The file appears
     * complete or not at all. A mounted share is read where it is; an unmounted image through a
     * temporary read-only mount, a block volume's after {@code e2fsck -p} (see {@link #importFrom}).
     */
    public BuildResult exportTo(UUID id, Path out) throws IOException {
        Objects.requireNonNull(out, "out");
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (ImageFormat.fromFileName(name).isEmpty()) {
            throw new VolumeException("out", out + ": the name says no image format kiln writes (.cpio, .tar, .erofs,"
                    + " optionally .gz, .zst or .xz)");
        }
        synchronized (lock(id)) {
            VolumeDisk v = require(id);
            Path work = workDirectory(id + "-export-");
            try {
                Path mnt = dir(id).resolve(MOUNT);
                boolean direct = !v.enforcesSize() || v.kind() == Kind.NINE_P && mounted(v);
                Path from = direct ? mnt : readOnlyMount(v, work.resolve("ro"));
                ImageBuild.Builder b = ImageBuild.builder().source(Source.directory(from)).owners(Ownership.KEEP)
                        .mtime(MtimePolicy.KEEP).fileName(name).temporaryDirectory(work);
                if (v.enforcesSize()) b.exclude("/lost+found");
                BuildResult r = b.build().writeTo(out);
                if (!direct) umount(from, id);
                removeWork(work, null);
                return r;
            } catch (IOException | RuntimeException e) {
                removeWork(work, e);
                throw e;
            }
        }
    }

    /** Space in a volume, in bytes; see {@link #usage}. */
    public record Usage(long sizeBytes, long usedBytes, long freeBytes) {}

    /**
     * What {@link #collect} removed: volumes by id and temporaries by path; and what it could not
     * (an unknown volume still in use, say), each failure a message, the rest of the work done.
     */
    public record Collected(List<UUID> volumes, List<Path> temporaries, List<String> failures) {
        public Collected {
            volumes = List.copyOf(volumes);
            temporaries = List.copyOf(temporaries);
            failures = List.copyOf(failures);
        }
    }

    /**
     * What an import wrote: the entries of the volume's new tree, the bytes of its files, and what
     * could not be restored (owners and devices when not root, say).
     */
    public record Imported(long entries, long fileBytes, List<String> warnings) {
        public Imported {
            warnings = List.copyOf(warnings);
        }
    }

    // ---- layout -------------------------------------------------------------------------------

    private Path dir(UUID id) {
        return root.resolve(id.toString());
    }

    private Path image(UUID id) {
        return dir(id).resolve(IMAGE);
    }

    private Object lock(UUID id) {
        return locks.computeIfAbsent(Objects.requireNonNull(id, "id"), k -> new Object());
    }

    private VolumeDisk require(UUID id) throws IOException {
        try {
            return VolumeDisk.read(dir(id).resolve(DESCRIPTION));
        } catch (NoSuchFileException e) {
            throw new VolumeException("uuid", "no volume " + id);
        }
    }

    /** The volume a path in this directory belongs to, by its first name below the root. */
    private Optional<UUID> volumeOf(Path p) {
        if (!p.startsWith(root) || p.equals(root)) return Optional.empty();
        return uuid(root.relativize(p).getName(0).toString());
    }

    private static Optional<UUID> uuid(String name) {
        try {
            UUID u = UUID.fromString(name);
            return u.toString().equals(name) ? Optional.of(u) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private Path workDirectory(String what) throws IOException {
        return Files.createTempDirectory(root, TEMP + what, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    // ---- mounts -------------------------------------------------------------------------------

    /**
     * Whether the volume's image is mounted at its mnt. Something else mounted there is an
     * error: sharing it would hand a guest the wrong data.
     */
    private boolean mounted(VolumeDisk v) throws IOException {
        Path mnt = dir(v.id()).resolve(MOUNT);
        List<Mounts.Mount> there = Mounts.at(mnt);
        for (Mounts.Mount m : there) {
            if (!m.loopFile().map(f -> f.equals(image(v.id()).toString())).orElse(false)) {
                throw new VolumeException(null, mnt + " has " + m.source() + " (" + m.type() + m.loopFile().map(f -> ", " + f).orElse("")
                        + ") mounted on it, not volume " + v.id() + "'s image; unmount it");
            }
        }
        return !there.isEmpty();
    }

    private static void mount(Path image, Path at, String options) throws IOException {
        Host.check(List.of("mount", "-t", "ext4", "-o", "loop," + options, image.toString(), at.toString()));
    }

    /**
     * A temporary read-only mount of the volume's image. A block volume's image holds what a guest
     * wrote, so {@code e2fsck -p} first replays its journal (a read-only mount could not) and
     * refuses a damaged filesystem rather than hand it to the host's kernel.
     */
    private Path readOnlyMount(VolumeDisk v, Path at) throws IOException {
        if (!loopMounts) {
            throw new VolumeException(null, "volume " + v.id() + ": reading its image needs a loop mount, which this host cannot do ("
                    + sizeNote + ")");
        }
        if (v.kind() == Kind.EXT4_BLOCK) fsck(v);
        Files.createDirectory(at);
        mount(image(v.id()), at, "ro," + SHARE_OPTIONS);
        return at;
    }

    private void fsck(VolumeDisk v) throws IOException {
        Host.Result r = Host.run(List.of("e2fsck", "-f", "-p", image(v.id()).toString()));
        // 1: errors corrected; 2: corrected, and a mounted root would need a reboot (not ours).
        if (r.status() > 2) {
            throw new VolumeException(null, "volume " + v.id() + ": its filesystem has errors e2fsck cannot mend unattended: " + r.failure());
        }
    }

    /** Unmounts {@code at}; {@code id} names the volume in the message when it is in use. */
    private static void umount(Path at, UUID id) throws IOException {
        Host.Result r = Host.run(List.of("umount", at.toString()));
        if (r.status() == 0) return;
        if (r.err().contains("busy")) {
            throw new VolumeException(null, (id == null ? at.toString() : "volume " + id) + " is in use (a guest still has it?): " + r.failure());
        }
        throw new VolumeException(null, r.failure());
    }

    /** Null when a loop mount works here, else what refused it. */
    private static String trialMount(Path root) throws IOException {
        Path work = Files.createTempDirectory(root, TEMP + "trial-");
        try {
            Path image = work.resolve(IMAGE), at = Files.createDirectory(work.resolve(MOUNT));
            sparseFile(image, 1 << 20);
            mkfs(image, UUID.randomUUID(), 1, null);
            Host.Result r = Host.run(List.of("mount", "-t", "ext4", "-o", "loop,ro," + SHARE_OPTIONS, image.toString(), at.toString()));
            if (r.status() != 0) return r.failure();
            umount(at, null);
            return null;
        } finally {
            removeTree(work);
        }
    }

    // ---- filesystems --------------------------------------------------------------------------

    /** A file of {@code bytes} that takes no space until written. */
    private static void sparseFile(Path file, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    private static void mkfs(Path image, UUID id, int sizeMb, Path from) throws IOException {
        Host.check(mkfsArgs(image, id, sizeMb, from));
    }

    /**
     * ext4 over the whole file. No blocks are reserved for root: a volume's size is all its
     * users'. The filesystem UUID is the volume's, which a Linux guest can mount by. The root
     * directory is 0755 0:0 whoever runs this: root (a root QEMU serving 9p, a guest's root)
     * writes there, as on any fresh ext4, and mke2fs -d never copies the staging root's mode.
     */
    private static List<String> mkfsArgs(Path image, UUID id, int sizeMb, Path from) {
        List<String> a = new ArrayList<>(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-m", "0", "-U", id.toString(),
                "-E", "root_owner=0:0"));
        // mke2fs sizes the journal for throughput: 4 MiB of a 32 MiB volume, 1 GiB of a large
        // one, all written at once. A volume's size is its users' promise, so from 8 MiB on the
        // journal is 1/64 of it, 1 to 256 MiB; below, mke2fs's own (1 MiB, none at 1 MiB) stays.
        if (sizeMb >= 8) a.addAll(List.of("-J", "size=" + Math.clamp(sizeMb / 64, 1, 256)));
        if (from != null) a.addAll(List.of("-d", from.toString()));
        a.add(image.toString());
        return a;
    }

    /** An empty ext4 of the volume's size at {@code at}, and what its superblock says about room. */
    private static Superblock emptyFilesystem(VolumeDisk v, Path at) throws IOException {
        sparseFile(at, v.sizeBytes());
        mkfs(at, v.id(), v.sizeMb(), null);
        return Superblock.of(at);
    }

    /** Room in an unmounted image, from its superblock (dumpe2fs -h), which the kernel brings up to date at unmount. */
    record Superblock(long blockSize, long blockCount, long freeBlocks, long freeInodes) {
        private static final Pattern FIELD = Pattern.compile("^(Block size|Block count|Free blocks|Free inodes):\\s+(\\d+)\\s*$", Pattern.MULTILINE);

        /**
         * What files can take once mounted: ext4 holds back 2% of the blocks, at most 4096, for
         * its own metadata (s_resv_clusters), and statvfs leaves them out too.
         */
        long freeBytes() {
            return Math.max(0, freeBlocks - Math.min(blockCount / 50, 4096)) * blockSize;
        }

        static Superblock of(Path image) throws IOException {
            String out = Host.check(List.of("dumpe2fs", "-h", image.toString()));
            long[] f = {-1, -1, -1, -1};
            List<String> names = List.of("Block size", "Block count", "Free blocks", "Free inodes");
            for (Matcher m = FIELD.matcher(out); m.find(); ) f[names.indexOf(m.group(1))] = Long.parseLong(m.group(2));
            for (int i = 0; i < f.length; i++) {
                if (f[i] < 0) throw new VolumeException(null, "dumpe2fs -h " + image + ": no \"" + names.get(i) + "\" in its output");
            }
            return new Superblock(f[0], f[1], f[2], f[3]);
        }
    }

    /** What a tree needs of a filesystem, counted before anything is written. */
    private record Need(long entries, long files, long fileBytes, long leastBytes) {
        /**
         * At least {@code leastBytes} of blocks: every file rounded up to whole blocks, a block per
         * directory (extent trees, long symlinks and xattrs come on top).
         */
        static Need of(Tree tree, long blockSize) {
            long entries = 0, files = 0, bytes = 0, blocks = 0;
            for (Entry e : tree.entries()) {
                entries++;
                switch (e.node()) {
                    case Node.File f -> {
                        files++;
                        bytes += f.content().size();
                        blocks += (f.content().size() + blockSize - 1) / blockSize;
                    }
                    case Node.Directory d -> blocks++;
                    default -> { }
                }
            }
            return new Need(entries, files, bytes, blocks * blockSize);
        }

        /** Refuses, before any copying, a tree that cannot fit whatever the layout. */
        void check(VolumeDisk v, Superblock empty) {
            if (leastBytes > empty.freeBytes() || entries > empty.freeInodes()) throw tooBig(v, empty, null);
        }

        VolumeException tooBig(VolumeDisk v, Superblock empty, Host.Result mkfs) {
            String msg = String.format(Locale.ROOT, "the volume's contents with the import need at least %s and %d inodes"
                            + " (%d entries, %d bytes in %d files); volume %s (size_mb %d) has room for %s and %d inodes",
                    mib(leastBytes), entries, entries, fileBytes, files, v.id(), v.sizeMb(), mib(empty.freeBytes()), empty.freeInodes());
            if (mkfs != null) msg += " (mke2fs: " + firstLine(mkfs.err()) + ")";
            return new VolumeException("source", msg);
        }

        private static String mib(long bytes) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }

        private static String firstLine(String s) {
            String t = s.strip();
            int nl = t.indexOf('\n');
            return nl < 0 ? t : t.substring(0, nl);
        }
    }

    // ---- removal ------------------------------------------------------------------------------

    /**
     * Removes a volume's directory: its share unmounted first (failing while in use), then renamed
     * to a temporary so that a crash half way leaves no volume that looks whole, then deleted.
     */
    private void removeVolumeDirectory(Path dir, UUID id) throws IOException {
        for (Mounts.Mount m : Mounts.under(dir)) umount(m.at(), id);
        Path gone = root.resolve(TEMP + "deleted-" + id + "-" + UUID.randomUUID());
        Files.move(dir, gone, StandardCopyOption.ATOMIC_MOVE);
        removeTree(gone);
    }

    /** Swaps a plain-directory volume's data for {@code staging}, through a restorable .old- name. */
    private void replaceDirectory(VolumeDisk v, Path staging, Path work) throws IOException {
        Path next = Files.createDirectory(work.resolve("volume"));
        Files.move(staging, next.resolve(MOUNT), StandardCopyOption.ATOMIC_MOVE);
        v.write(next.resolve(DESCRIPTION));
        Path old = root.resolve(OLD + v.id());
        Files.move(dir(v.id()), old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(next, dir(v.id()), StandardCopyOption.ATOMIC_MOVE);
        removeTree(old);
    }

    /**
     * Deletes a tree that must hold no mount: one found means an unmount failed, and deleting
     * through it would destroy a volume's data.
     */
    private static void removeTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        List<Mounts.Mount> left = Mounts.under(p.toRealPath());
        if (!left.isEmpty()) {
            throw new VolumeException(null, p + " still has " + left.getFirst().at() + " mounted; not deleting through it");
        }
        Directories.deleteTree(p);
    }

    /** Removes a work directory after success or failure; a failure to clean never hides the first error. */
    private static void removeWork(Path work, Throwable first) throws IOException {
        try {
            for (Mounts.Mount m : Mounts.under(work)) Host.run(List.of("umount", m.at().toString()));
            removeTree(work);
        } catch (IOException | RuntimeException e) {
            if (first != null) first.addSuppressed(e);
            else throw e;
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0; // removed while counted
        }
    }

    @Override
    public String toString() {
        return "VolumeDisks[" + root + ", " + sizeNote + "]";
    }

}
