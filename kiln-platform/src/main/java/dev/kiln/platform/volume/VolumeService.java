package dev.kiln.platform.volume;

import dev.kiln.platform.guest.Mount;
import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceException;
import dev.kiln.platform.instance.InstanceSpec;
import dev.kiln.platform.instance.InstanceState;
import dev.kiln.platform.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The rules of volumes: names, sizes, the state machine (attach only an available volume to a
 * stopped instance, detach of a running one deferred until it stops, no delete while attached),
 * import and export while no guest has the volume mounted. The store keeps what this class
 * decides; {@link VolumeBacking} keeps the data.
 */
public final class VolumeService {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?");
    /** Volumes per instance: Unikraft 0.17 mounts at most 16 fstab entries, the root and ROMs' initrd among them. */
    public static final int MAX_PER_INSTANCE = 8;

    private final Store store;
    private final VolumeBacking backing;
    private final Clock clock;

    public VolumeService(Store store, VolumeBacking backing, Clock clock) {
        this.store = store;
        this.backing = backing;
        this.clock = clock;
    }

    public VolumeBacking backing() {
        return backing;
    }

    /** What {@code POST /v1/volumes} asks for. */
    public record Spec(String name, Integer sizeMb, String filesystem, String hostPath) {}

    /**
     * Creates a volume: its row as {@code initializing}, its filesystem, then {@code available}.
     * A crash in between leaves an initializing row that {@link #reconcile} finishes.
     */
    public Volume create(Spec spec) throws IOException {
        Volume v = newVolume(spec, "", true);
        if (!store.insertVolume(v)) throw new InstanceException(409, "name", "a volume named '" + v.name() + "' already exists");
        return initialize(v);
    }

    private Volume initialize(Volume v) throws IOException {
        try {
            if (v.hostPath() == null) backing.create(v.uuid(), v.sizeMb(), v.blockDevice());
        } catch (IOException | RuntimeException e) {
            store.deleteVolume(v.uuid());
            backing.delete(v.uuid());
            if (e instanceof InstanceException ie) throw ie;
            throw new InstanceException(500, null, "volume '" + v.name() + "': creating its filesystem failed: " + e.getMessage());
        }
        return saved(v.withState(VolumeState.AVAILABLE));
    }

    /** A new volume's record, checked; {@code field} prefixes the names of fields at fault. */
    private Volume newVolume(Spec spec, String field, boolean persistent) {
        String name = spec.name();
        if (name == null) throw new InstanceException(400, field + "name", field + "name: required");
        if (!NAME.matcher(name).matches()) {
            throw new InstanceException(400, field + "name", field + "name '" + shorten(name)
                    + "': 1 to 63 letters, digits, '_', '.' and '-', starting and ending with a letter or digit");
        }
        String fs = spec.filesystem() == null ? Volume.NINE_P : spec.filesystem();
        if (!fs.equals(Volume.NINE_P) && !fs.equals(Volume.EXT4)) {
            throw new InstanceException(400, field + "filesystem", field + "filesystem '" + shorten(fs) + "': 9pfs (a host directory over"
                    + " virtio-9p, for Unikraft and Linux guests) or ext4 (a block device, for Linux guests)");
        }
        int size = 0;
        String host = spec.hostPath();
        if (host != null) {
            if (spec.sizeMb() != null) throw new InstanceException(400, field + "size_mb", field + "size_mb: a host_path volume is the host directory, it has no size of its own");
            if (fs.equals(Volume.EXT4)) throw new InstanceException(400, field + "filesystem", field + "filesystem: a host_path volume is shared over 9p");
            Path p = Path.of(host);
            if (!p.isAbsolute() || !Files.isDirectory(p)) {
                throw new InstanceException(400, field + "host_path", field + "host_path '" + shorten(host) + "' is not an absolute path to a directory");
            }
        } else {
            if (spec.sizeMb() == null) throw new InstanceException(400, field + "size_mb", field + "size_mb: required");
            size = spec.sizeMb();
            if (size < MIN_MB || size > MAX_MB) {
                throw new InstanceException(400, field + "size_mb", field + "size_mb " + size + ": " + MIN_MB + " to " + MAX_MB);
            }
        }
        return new Volume(UUID.randomUUID(), name, clock.instant(), store.nextSeq(), size, fs, VolumeState.INITIALIZING, persistent, host,
                null, null, false, false, 1);
    }

    /** Sizes a volume may have (see VolumeDisks). */
    public static final int MIN_MB = VolumeDisks.MIN_SIZE_MB, MAX_MB = VolumeDisks.MAX_SIZE_MB;

    /** The volume a request names by uuid or name (exactly one of them); 404 when unknown. */
    public Volume find(String uuid, String name) {
        return InstanceException.lookup(uuid, name, "volume", store::volume, store::volumeByName);
    }

    public List<Volume> list(long afterSeq, int limit) {
        return store.volumes(afterSeq, limit);
    }

    public List<Volume> attachedTo(UUID instance) {
        return store.volumesOf(instance);
    }

    /** The state a client sees (idle or mounted by the instance it is attached to). */
    public VolumeState seen(Volume v) {
        if (v.attachedTo() == null) return v.state();
        return VolumeState.seen(v.state(), store.byUuid(v.attachedTo()).map(Instance::state).orElse(null));
    }

    /** The instance a volume is attached to, if it still exists. */
    public Optional<Instance> instanceOf(Volume v) {
        return v.attachedTo() == null ? Optional.empty() : store.byUuid(v.attachedTo());
    }

    /**
     * Attaches an available volume to a stopped instance at {@code at}. {@code guest} is the
     * instance image's guest kind: a block volume needs a Linux guest.
     */
    public Volume attach(Volume v, Instance i, String at, boolean readonly, String guest) {
        if (v.state() != VolumeState.AVAILABLE || v.attachedTo() != null) {
            throw new InstanceException(409, "attach_to", "volume '" + v.name() + "' is " + seen(v).wire()
                    + (v.attachedTo() != null ? " (attached to " + instanceOf(v).map(Instance::name).orElse(v.attachedTo().toString()) + ")" : "")
                    + ": only an available volume can be attached");
        }
        if (i.state() != InstanceState.STOPPED) {
            throw new InstanceException(409, "attach_to", "instance '" + i.name() + "' is " + i.state().wire()
                    + ": volumes are attached to stopped instances");
        }
        checkAt(at, "at");
        if (v.blockDevice() && !"linux".equals(guest)) {
            throw new InstanceException(400, "attach_to", "volume '" + v.name() + "' is an ext4 block volume, which only a Linux guest"
                    + " mounts; instance '" + i.name() + "' runs a " + guest + " guest (use a 9pfs volume)");
        }
        List<Volume> others = store.volumesOf(i.uuid());
        Set<String> used = new HashSet<>();
        for (Volume other : others) used.add(other.at());
        for (var r : i.roms()) if (r.at() != null) used.add(r.at());
        if (used.contains(at)) throw new InstanceException(400, "at", "at " + at + " is already used by a ROM or volume of instance '" + i.name() + "'");
        if (others.size() >= MAX_PER_INSTANCE) {
            throw new InstanceException(400, "attach_to", "instance '" + i.name() + "' has " + MAX_PER_INSTANCE + " volumes, the most kiln attaches");
        }
        return saved(v.attached(i.uuid(), at, readonly));
    }

    static void checkAt(String at, String field) {
        if (at == null) throw new InstanceException(400, field, field + ": required");
        String problem = Mount.pathProblem(at);
        if (problem == null && at.equals("/")) problem = "/ is the guest's root filesystem";
        if (problem != null) throw new InstanceException(400, field, field + " " + problem);
    }

    /**
     * Detaches a volume ({@code from}: only if attached to that instance). While its instance
     * runs, the detach is recorded and carried out when it stops. A detached volume is
     * persistent from then on.
     */
    public Volume detach(Volume v, Instance from) {
        if (v.attachedTo() == null) {
            throw new InstanceException(409, "uuid", "volume '" + v.name() + "' is not attached");
        }
        if (from != null && !from.uuid().equals(v.attachedTo())) {
            throw new InstanceException(409, "from", "volume '" + v.name() + "' is not attached to instance '" + from.name() + "'");
        }
        Optional<Instance> i = instanceOf(v);
        if (i.isPresent() && i.get().state().live()) return saved(v.detachLater());
        return saved(v.detached());
    }

    /**
     * Carries out the detaches asked while {@code instance} ran; called once it is stopped.
     * Returns the volumes still attached to it.
     */
    public List<Volume> detachPending(UUID instance) {
        List<Volume> still = new ArrayList<>();
        for (Volume v : store.volumesOf(instance)) {
            if (v.detachPending()) store.updateVolume(v.detached());
            else still.add(v);
        }
        return still;
    }

    /** Deletes a volume and its data; refused while it is attached. */
    public void delete(Volume v) throws IOException {
        if (v.attachedTo() != null) {
            throw new InstanceException(409, "uuid", "volume '" + v.name() + "' is attached to instance '"
                    + instanceOf(v).map(Instance::name).orElse(v.attachedTo().toString()) + "': detach it first");
        }
        if (v.state() == VolumeState.BUSY) throw new InstanceException(409, "uuid", "volume '" + v.name() + "' is busy (an import or export runs)");
        if (!store.deleteVolume(v.uuid())) throw new InstanceException(404, "uuid", "No volume with UUID '" + v.uuid() + "'");
        if (v.hostPath() == null) backing.delete(v.uuid());
    }

    /**
     * Changes one property ({@code PATCH}): {@code size_mb} with op {@code set} grows a volume that
     * no running guest has mounted. Other properties of the API (tags, quota_policy, delete_lock)
     * are refused by name.
     */
    public Volume patch(Volume v, String prop, String op, Object value) throws IOException {
        if (!prop.equals("size_mb")) {
            throw new InstanceException(400, "prop", "prop '" + shorten(prop) + "': kiln serve changes a volume's size_mb only");
        }
        if (!op.equals("set") || !(value instanceof Integer mb)) throw new InstanceException(400, "value", "size_mb: op set with an integer value");
        if (v.hostPath() != null) throw new InstanceException(400, "prop", "volume '" + v.name() + "' is the host directory " + v.hostPath() + ": it has no size");
        if (mb < v.sizeMb()) {
            throw new InstanceException(400, "value", "size_mb " + mb + ": volume '" + v.name() + "' has " + v.sizeMb() + " MiB, and a volume only grows");
        }
        if (mb > MAX_MB) throw new InstanceException(400, "value", "size_mb " + mb + ": at most " + MAX_MB);
        if (mb == v.sizeMb()) return v;
        Volume busy = claim(v, "resize");
        try {
            backing.resize(v.uuid(), mb);
            return saved(reread(busy).withSize(mb).withState(VolumeState.AVAILABLE));
        } catch (IOException | RuntimeException e) {
            saved(reread(busy).withState(VolumeState.AVAILABLE));
            throw e;
        }
    }

    // ---- with instances ----

    /**
     * The volumes an instance create asks for: existing ones to attach (checked, new values) and
     * new ones to create (records only; {@link #createAll} makes their filesystems).
     */
    public record Plan(List<Volume> created, List<Volume> attached) {
        public static final Plan NONE = new Plan(List.of(), List.of());

        public boolean isEmpty() {
            return created.isEmpty() && attached.isEmpty();
        }
    }

    public Plan plan(UUID instance, String instanceName, String guest, List<InstanceSpec.VolumeSpec> specs) {
        if (specs.isEmpty()) return Plan.NONE;
        if (specs.size() > MAX_PER_INSTANCE) throw new InstanceException(400, "volumes", specs.size() + " volumes; kiln attaches at most " + MAX_PER_INSTANCE);
        List<Volume> created = new ArrayList<>(), attached = new ArrayList<>();
        Set<String> used = new HashSet<>(), names = new HashSet<>();
        for (int k = 0; k < specs.size(); k++) {
            InstanceSpec.VolumeSpec s = specs.get(k);
            String f = "volumes[" + k + "].";
            checkAt(s.at(), f + "at");
            if (!used.add(s.at())) throw new InstanceException(400, f + "at", f + "at " + s.at() + " is already used by another ROM or volume");
            Volume v;
            if (s.sizeMb() != null) {
                if (s.uuid() != null) throw new InstanceException(400, f + "uuid", f + "uuid: a new volume (size_mb) gets its uuid from the platform");
                v = newVolume(new Spec(s.name(), s.sizeMb(), s.filesystem(), null), f, false);
                if (!names.add(v.name())) throw new InstanceException(400, f + "name", f + "name '" + v.name() + "' is given twice");
                created.add(v.withState(VolumeState.AVAILABLE).attached(instance, s.at(), s.readonly()));
            } else {
                if (s.filesystem() != null) throw new InstanceException(400, f + "filesystem", f + "filesystem: only for a new volume (with size_mb)");
                try {
                    v = find(s.uuid(), s.name());
                } catch (InstanceException e) {
                    throw new InstanceException(e.status() == 404 ? 400 : e.status(), f + (s.uuid() != null ? "uuid" : "name"), f.substring(0, f.length() - 1) + ": " + e.getMessage());
                }
                if (v.state() != VolumeState.AVAILABLE || v.attachedTo() != null) {
                    throw new InstanceException(409, f + "name", "volume '" + v.name() + "' is " + seen(v).wire() + ": only an available volume can be attached");
                }
                if (attached.stream().anyMatch(a -> a.uuid().equals(v.uuid()))) {
                    throw new InstanceException(400, f + "name", "volume '" + v.name() + "' is given twice");
                }
                attached.add(v.attached(instance, s.at(), s.readonly()));
            }
            if (v.blockDevice() && !"linux".equals(guest)) {
                throw new InstanceException(400, f + "filesystem", "volume '" + v.name() + "' is an ext4 block volume, which only a Linux guest"
                        + " mounts; instance '" + instanceName + "' runs a " + guest + " guest (use a 9pfs volume)");
            }
        }
        return new Plan(created, attached);
    }

    /** Makes the filesystems of a plan's new volumes; on failure removes those it made. */
    public void createAll(Plan plan) throws IOException {
        List<Volume> done = new ArrayList<>();
        try {
            for (Volume v : plan.created()) {
                backing.create(v.uuid(), v.sizeMb(), v.blockDevice());
                done.add(v);
            }
        } catch (IOException | RuntimeException e) {
            for (Volume v : done) backing.delete(v.uuid());
            backing.delete(plan.created().get(done.size()).uuid());
            if (e instanceof InstanceException ie) throw ie;
            throw new InstanceException(500, "volumes", "creating a volume's filesystem failed: " + e.getMessage());
        }
    }

    /** Removes the filesystems of a plan's new volumes (the instance was not created after all). */
    public void discard(Plan plan) throws IOException {
        for (Volume v : plan.created()) backing.delete(v.uuid());
    }

    /** What an instance's delete does to its volumes: its own are deleted, the others detached. */
    public record Release(List<Volume> detached, List<UUID> dropped) {}

    public Release release(UUID instance) {
        List<Volume> detached = new ArrayList<>();
        List<UUID> dropped = new ArrayList<>();
        for (Volume v : store.volumesOf(instance)) {
            if (v.persistent()) detached.add(v.detached());
            else dropped.add(v.uuid());
        }
        return new Release(detached, dropped);
    }

    /** Deletes the data of volumes whose rows went with their instance. */
    public void dropData(List<UUID> dropped) throws IOException {
        for (UUID u : dropped) backing.delete(u);
    }

    // ---- import and export ----

    /** Fills a volume from a directory or an image file, while no running guest has it mounted. */
    public Volume importFrom(Volume v, Path source) throws IOException {
        Volume busy = claim(v, "import into");
        try {
            backing.importFrom(v.uuid(), source);
        } finally {
            saved(reread(busy).withState(VolumeState.AVAILABLE));
        }
        return store.volume(v.uuid()).orElseThrow();
    }

    /** Writes a volume's contents as the image format {@code out}'s name says. */
    public void exportTo(Volume v, Path out) throws IOException {
        Volume busy = claim(v, "export");
        try {
            backing.exportTo(v.uuid(), out);
        } finally {
            saved(reread(busy).withState(VolumeState.AVAILABLE));
        }
    }

    /** Marks a volume busy for an import or export; refused while a guest has it mounted. */
    private Volume claim(Volume v, String what) {
        if (v.hostPath() != null) throw new InstanceException(400, "uuid", "volume '" + v.name() + "' is the host directory " + v.hostPath() + ": use it directly");
        VolumeState seen = seen(v);
        if (seen == VolumeState.MOUNTED || seen == VolumeState.BUSY || seen == VolumeState.INITIALIZING) {
            throw new InstanceException(409, "uuid", "cannot " + what + " volume '" + v.name() + "' while it is " + seen.wire()
                    + (seen == VolumeState.MOUNTED ? " (stop instance '" + instanceOf(v).map(Instance::name).orElse("?") + "' first)" : ""));
        }
        return saved(v.withState(VolumeState.BUSY));
    }

    private Volume reread(Volume v) {
        return store.volume(v.uuid()).orElse(v);
    }

    private Volume saved(Volume v) {
        return store.updateVolume(v).orElseThrow(() -> new InstanceException(409, null, "volume '" + v.name() + "' changed meanwhile; retry"));
    }

    /**
     * After a (re)start: finishes volumes whose creation a crash cut short, frees those an
     * import left busy, drops instance-scoped volumes whose instance is gone, and removes data
     * no row names. Returns the volumes kept.
     */
    public int reconcile() throws IOException {
        Set<UUID> keep = new HashSet<>();
        for (Volume v : store.volumes(0, 0)) {
            if (v.attachedTo() != null && store.byUuid(v.attachedTo()).isEmpty()) {
                if (!v.persistent()) {
                    store.deleteVolume(v.uuid());
                    continue;
                }
                v = store.updateVolume(v.detached()).orElse(v);
            }
            switch (v.state()) {
                case INITIALIZING -> {
                    if (v.hostPath() == null) backing.delete(v.uuid());
                    v = initialize(v);
                }
                case BUSY -> v = store.updateVolume(v.withState(VolumeState.AVAILABLE)).orElse(v);
                default -> { }
            }
            if (v.attachedTo() != null && v.detachPending() && store.byUuid(v.attachedTo()).map(i -> !i.state().live()).orElse(true)) {
                store.updateVolume(v.detached());
            }
            keep.add(v.uuid());
        }
        backing.collect(keep);
        return keep.size();
    }

    /**
     * At a shutdown that stops the guests: unmounts the host side of every 9p volume, so that a
     * stopped platform leaves no mount or loop device behind (the next start mounts on demand).
     */
    public void releaseShares() {
        for (Volume v : store.volumes(0, 0)) {
            if (v.hostPath() != null || v.blockDevice()) continue;
            try {
                backing.release(v.uuid());
            } catch (IOException | RuntimeException e) {
                // still in use (an export, a guest left running): the next start finds the mount and reuses it
            }
        }
    }

    static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
