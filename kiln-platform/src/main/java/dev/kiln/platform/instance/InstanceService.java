package dev.kiln.platform.instance;

import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.store.Store;
import dev.kiln.platform.volume.VolumeService;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The rules of instances: names, images, memory, and every state change. The API layer parses
 * requests and renders results; the store keeps what this class decides.
 */
public final class InstanceService {
    /** Names: DNS-label-like, so they work as host names and file names alike. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?");
    public static final int MAX_VCPUS = 64, MAX_MEMORY_MB = 65536, MAX_ARGS = 253, MAX_ENV = 253;

    private final Store store;
    private final ImageCatalog images;
    private final RomSource roms;
    private final VolumeService volumes;
    private final MemoryRule memory;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /**
     * Creates hold it shared from building their inline ROMs until their rows reference them;
     * collecting unreferenced ROM blobs holds it alone, so it never takes a blob a create is
     * about to reference.
     */
    private final ReadWriteLock romRefs = new ReentrantReadWriteLock();

    public InstanceService(Store store, ImageCatalog images, RomSource roms, VolumeService volumes, MemoryRule memory, Clock clock) {
        this.store = store;
        this.images = images;
        this.roms = roms;
        this.volumes = volumes;
        this.memory = memory;
        this.clock = clock;
    }

    public VolumeService volumes() {
        return volumes;
    }

    public RomSource roms() {
        return roms;
    }

    /**
     * Creates a stopped instance with its ROMs and volumes, all or nothing; the caller starts it
     * when {@code autostart} asks for it.
     */
    public Instance create(InstanceSpec spec) throws IOException {
        List<InstanceRom> built = new ArrayList<>();
        boolean created = false;
        romRefs.readLock().lock();
        try {
            Instance i = createLocked(spec, built);
            created = true;
            return i;
        } finally {
            romRefs.readLock().unlock();
            // A refused create leaves no blob behind: those it stored go unless someone else uses them.
            if (!created) collectRoms(built);
        }
    }

    private Instance createLocked(InstanceSpec spec, List<InstanceRom> built) throws IOException {
        ImageCatalog.Runnable image = images.resolve(spec.image());
        String name = spec.name() != null ? spec.name() : generatedName(spec.image());
        if (!NAME.matcher(name).matches()) {
            throw new InstanceException(400, "name", "name '" + shorten(name)
                    + "': 1 to 63 letters, digits, '_', '.' and '-', starting and ending with a letter or digit");
        }
        int vcpus = spec.vcpus() != null ? spec.vcpus() : 1;
        if (vcpus < 1 || vcpus > MAX_VCPUS) throw new InstanceException(400, "vcpus", "vcpus must be 1.." + MAX_VCPUS + ", not " + vcpus);
        if (spec.args().size() > MAX_ARGS) throw new InstanceException(400, "args", "more than " + MAX_ARGS + " args");
        if (spec.env().size() > MAX_ENV) throw new InstanceException(400, "env", "more than " + MAX_ENV + " env entries");
        for (String f : spec.features()) {
            if (!f.equals("delete-on-stop")) throw new InstanceException(400, "features", "unknown feature '" + shorten(f) + "' (delete-on-stop)");
        }
        UUID uuid = UUID.randomUUID();
        Set<String> taken = new HashSet<>();
        for (InstanceSpec.VolumeSpec v : spec.volumes()) if (v.at() != null) taken.add(v.at());
        VolumeService.Plan plan = volumes.plan(uuid, name, image.guest(), spec.volumes());
        Roms.resolve(spec.roms(), roms, taken, built);
        MemoryRule.Need need = need(image, built);
        int mem = spec.memoryMb() != null ? spec.memoryMb() : Math.max(128, need.mib());
        if (mem < need.mib()) {
            throw new InstanceException(400, "memory_mb", "memory_mb " + mem + " is too little for image '" + spec.image() + "': it needs at least "
                    + need.mib() + " MiB (" + need.why() + ")");
        }
        if (mem > MAX_MEMORY_MB) throw new InstanceException(400, "memory_mb", "memory_mb " + mem + " is more than " + MAX_MEMORY_MB);
        Instance i = new Instance(uuid, name, image.pinned(), InstanceState.STOPPED, clock.instant(), store.nextSeq(), mem, vcpus,
                spec.args(), spec.env(), spec.restartPolicy(), spec.features(), 0, 0, null, null, null, null, null, null, spec.services(),
                built, 1);
        volumes.createAll(plan);
        Store.Insert done = store.insert(i, plan.created(), plan.attached());
        if (done != Store.Insert.OK) {
            volumes.discard(plan);
            throw switch (done) {
                case NAME_TAKEN -> new InstanceException(409, "name", "an instance named '" + name + "' already exists");
                case VOLUME_NAME_TAKEN -> new InstanceException(409, "volumes", "a volume with one of the names given already exists");
                default -> new InstanceException(409, "volumes", "a volume given changed meanwhile (attached elsewhere?); retry");
            };
        }
        return i;
    }

    /**
     * What the image needs, plus what the ROMs placed in its root filesystem add: the guest holds
     * the composed archive and unpacks it, so twice their image sizes, and a MiB each for the
     * entries' own costs (an upper bound of the measured Unikraft rule for small trees).
     */
    private MemoryRule.Need need(ImageCatalog.Runnable image, List<InstanceRom> placed) throws IOException {
        MemoryRule.Need base = memory.need(image);
        long bytes = 0;
        int count = 0;
        for (InstanceRom r : placed) {
            if (r.at() == null) continue;
            bytes += java.nio.file.Files.size(roms.path(r));
            count++;
        }
        if (count == 0) return base;
        int extra = (int) ((2 * bytes + (1 << 20) - 1) >> 20) + count;
        return new MemoryRule.Need(base.mib() + extra, base.why() + "; the " + count + " ROM(s) placed in its root filesystem add " + extra + " MiB");
    }

    private String generatedName(String image) {
        String base = image.replaceAll("[@:].*$", "").replaceAll(".*/", "").replaceAll("[^A-Za-z0-9_.-]", "");
        if (base.isEmpty() || !Character.isLetterOrDigit(base.charAt(0))) base = "instance";
        if (base.length() > 50) base = base.substring(0, 50);
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder(base).append('-');
        for (int k = 0; k < 5; k++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return sb.toString();
    }

    /** The instance a request names by uuid or name (exactly one of them); 404 when unknown. */
    public Instance find(String uuid, String name) {
        return InstanceException.lookup(uuid, name, "instance", store::byUuid, store::byName);
    }

    public List<Instance> list(long afterSeq, int limit) {
        return store.list(afterSeq, limit);
    }

    public Optional<Instance> byUuid(UUID uuid) {
        return store.byUuid(uuid);
    }

    /**
     * Changes one property of a stopped instance ({@code PATCH}): {@code image}, {@code args},
     * {@code env}, {@code memory_mb} or {@code vcpus}, with {@code op} {@code set}, or {@code add}
     * and {@code del} for {@code args} (values appended or removed) and {@code env} (keys set or
     * removed). Checked as a create would be (the image resolved and pinned again, memory against
     * what the image needs).
     */
    public Instance patch(Instance i, String prop, String op, Object value) throws IOException {
        if (i.state() != InstanceState.STOPPED) {
            throw new InstanceException(409, "prop", "instance '" + i.name() + "' is " + i.state().wire() + ": stop it before changing " + prop);
        }
        String image = i.image();
        java.util.List<String> args = new java.util.ArrayList<>(i.args());
        java.util.SortedMap<String, String> env = new java.util.TreeMap<>(i.env());
        int mem = i.memoryMb(), vcpus = i.vcpus();
        switch (prop) {
            case "image" -> {
                if (!op.equals("set") || !(value instanceof String s)) throw new InstanceException(400, "value", "image: op set with a string value");
                image = images.resolve(s).pinned();
            }
            case "args" -> {
                if (!(value instanceof java.util.List<?> l) || l.stream().anyMatch(x -> !(x instanceof String))) {
                    throw new InstanceException(400, "value", "args: the value must be an array of strings");
                }
                @SuppressWarnings("unchecked") java.util.List<String> v = (java.util.List<String>) l;
                switch (op) {
                    case "set" -> args = new java.util.ArrayList<>(v);
                    case "add" -> args.addAll(v);
                    case "del" -> args.removeAll(v);
                    default -> throw new InstanceException(400, "op", "op must be set, add or del, not '" + op + "'");
                }
            }
            case "env" -> {
                switch (op) {
                    case "set", "add" -> {
                        if (!(value instanceof java.util.Map<?, ?> m) || m.values().stream().anyMatch(x -> !(x instanceof String))) {
                            throw new InstanceException(400, "value", "env: the value must be an object of strings");
                        }
                        if (op.equals("set")) env.clear();
                        m.forEach((k, v) -> env.put((String) k, (String) v));
                    }
                    case "del" -> {
                        if (!(value instanceof java.util.List<?> l)) throw new InstanceException(400, "value", "env del: the value must be an array of names");
                        l.forEach(env::remove);
                    }
                    default -> throw new InstanceException(400, "op", "op must be set, add or del, not '" + op + "'");
                }
            }
            case "memory_mb", "vcpus" -> {
                if (!op.equals("set") || !(value instanceof Integer n)) throw new InstanceException(400, "value", prop + ": op set with an integer value");
                if (prop.equals("vcpus")) {
                    if (n < 1 || n > MAX_VCPUS) throw new InstanceException(400, "value", "vcpus must be 1.." + MAX_VCPUS + ", not " + n);
                    vcpus = n;
                } else {
                    mem = n;
                }
            }
            default -> throw new InstanceException(400, "prop", "prop '" + shorten(prop) + "' cannot be changed here (image, args, env, memory_mb, vcpus, roms)");
        }
        if (args.size() > MAX_ARGS) throw new InstanceException(400, "value", "more than " + MAX_ARGS + " args");
        MemoryRule.Need need = need(images.resolve(image), i.roms());
        if (mem < need.mib()) {
            throw new InstanceException(400, "value", "memory_mb " + mem + " is too little for image '" + image + "': it needs at least "
                    + need.mib() + " MiB (" + need.why() + ")");
        }
        return save(i.patched(image, args, env, mem, vcpus, i.roms()));
    }

    /**
     * Removes a stopped instance's record (a running one is stopped first by the caller): its
     * own volumes go with it, the others are detached, and inline ROMs no other instance uses
     * are deleted.
     */
    public void delete(Instance i) throws IOException {
        for (int attempt = 0; ; attempt++) {
            VolumeService.Release r = volumes.release(i.uuid());
            if (store.delete(i.uuid(), r.detached(), r.dropped())) {
                volumes.dropData(r.dropped());
                break;
            }
            if (store.byUuid(i.uuid()).isEmpty() || attempt == 5) break; // already gone (a concurrent delete), or volumes keep changing
        }
        collectRoms(i.roms());
    }

    /** Deletes the inline ROM blobs among {@code dropped} that no instance references any more. */
    void collectRoms(List<InstanceRom> dropped) throws IOException {
        if (dropped.stream().noneMatch(InstanceRom::inline)) return;
        romRefs.writeLock().lock();
        try {
            for (InstanceRom r : dropped) {
                if (r.inline() && !store.romReferenced(r.digest())) roms.delete(r.digest());
            }
        } finally {
            romRefs.writeLock().unlock();
        }
    }

    /** At start: deletes every ROM blob no instance references (a crash may have left some). */
    public int collectRoms() throws IOException {
        romRefs.writeLock().lock();
        try {
            return roms.collect(store.romDigests());
        } finally {
            romRefs.writeLock().unlock();
        }
    }

    /**
     * Replaces ({@code set}), extends ({@code add}) or shrinks ({@code del}: the value lists names)
     * a stopped instance's ROMs; the next start uses them.
     */
    public Instance patchRoms(Instance i, String op, List<InstanceSpec.RomSpec> specs, List<String> names) throws IOException {
        if (i.state() != InstanceState.STOPPED) {
            throw new InstanceException(409, "prop", "instance '" + i.name() + "' is " + i.state().wire() + ": stop it before changing roms");
        }
        List<InstanceRom> next;
        List<InstanceRom> built = new ArrayList<>();
        romRefs.readLock().lock();
        Instance saved = null;
        try {
            Set<String> taken = new HashSet<>();
            for (var v : volumes.attachedTo(i.uuid())) taken.add(v.at());
            switch (op) {
                case "set" -> next = Roms.resolve(specs, roms, taken, built);
                case "add" -> next = Roms.resolve(i.roms(), specs, roms, taken, built);
                case "del" -> {
                    for (String n : names) {
                        if (i.roms().stream().noneMatch(r -> r.name().equals(n))) {
                            throw new InstanceException(400, "value", "instance '" + i.name() + "' has no ROM named '" + shorten(n) + "'");
                        }
                    }
                    next = i.roms().stream().filter(r -> !names.contains(r.name())).toList();
                }
                default -> throw new InstanceException(400, "op", "op must be set, add or del, not '" + shorten(op) + "'");
            }
            saved = save(i.patched(i.image(), i.args(), i.env(), i.memoryMb(), i.vcpus(), next));
        } finally {
            romRefs.readLock().unlock();
            if (saved == null) collectRoms(built);
        }
        collectRoms(i.roms());
        return saved;
    }

    /** Stores a new state of {@code i}; fails with 409 if someone changed it since it was read. */
    public Instance save(Instance i) {
        return store.update(i).orElseThrow(() -> new InstanceException(409, null, "instance '" + i.name() + "' changed meanwhile; retry"));
    }

    public Instant now() {
        return clock.instant();
    }

    public ImageCatalog images() {
        return images;
    }

    static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
