package dev.kiln.platform.instance;

import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.store.Store;
import java.io.IOException;
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
    private final MemoryRule memory;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public InstanceService(Store store, ImageCatalog images, MemoryRule memory, Clock clock) {
        this.store = store;
        this.images = images;
        this.memory = memory;
        this.clock = clock;
    }

    /** Creates a stopped instance; the caller starts it when {@code autostart} asks for it. */
    public Instance create(InstanceSpec spec) throws IOException {
        ImageCatalog.Runnable image = images.resolve(spec.image());
        String name = spec.name() != null ? spec.name() : generatedName(spec.image());
        if (!NAME.matcher(name).matches()) {
            throw new InstanceException(400, "name", "name '" + shorten(name)
                    + "': 1 to 63 letters, digits, '_', '.' and '-', starting and ending with a letter or digit");
        }
        MemoryRule.Need need = memory.need(image);
        int mem = spec.memoryMb() != null ? spec.memoryMb() : Math.max(128, need.mib());
        if (mem < need.mib()) {
            throw new InstanceException(400, "memory_mb", "memory_mb " + mem + " is too little for image '" + spec.image() + "': it needs at least "
                    + need.mib() + " MiB (" + need.why() + ")");
        }
        if (mem > MAX_MEMORY_MB) throw new InstanceException(400, "memory_mb", "memory_mb " + mem + " is more than " + MAX_MEMORY_MB);
        int vcpus = spec.vcpus() != null ? spec.vcpus() : 1;
        if (vcpus < 1 || vcpus > MAX_VCPUS) throw new InstanceException(400, "vcpus", "vcpus must be 1.." + MAX_VCPUS + ", not " + vcpus);
        if (spec.args().size() > MAX_ARGS) throw new InstanceException(400, "args", "more than " + MAX_ARGS + " args");
        if (spec.env().size() > MAX_ENV) throw new InstanceException(400, "env", "more than " + MAX_ENV + " env entries");
        for (String f : spec.features()) {
            if (!f.equals("delete-on-stop")) throw new InstanceException(400, "features", "unknown feature '" + shorten(f) + "' (delete-on-stop)");
        }
        Instance i = new Instance(UUID.randomUUID(), name, image.pinned(), InstanceState.STOPPED, clock.instant(), store.nextSeq(), mem, vcpus,
                spec.args(), spec.env(), spec.restartPolicy(), spec.features(), 0, 0, null, null, null, null, null, null, spec.services(), 1);
        if (!store.insert(i)) throw new InstanceException(409, "name", "an instance named '" + name + "' already exists");
        return i;
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
        if ((uuid == null) == (name == null)) throw new InstanceException(400, "uuid", "give either a uuid or a name");
        if (uuid != null) {
            UUID u;
            try {
                u = UUID.fromString(uuid);
            } catch (IllegalArgumentException e) {
                throw new InstanceException(400, "uuid", "Invalid uuid '" + shorten(uuid) + "'");
            }
            return store.byUuid(u).orElseThrow(() -> new InstanceException(404, "uuid", "No instance with UUID '" + u + "'"));
        }
        return store.byName(name).orElseThrow(() -> new InstanceException(404, "name", "No instance with name '" + shorten(name) + "'"));
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
            default -> throw new InstanceException(400, "prop", "prop '" + shorten(prop) + "' cannot be changed here (image, args, env, memory_mb, vcpus)");
        }
        if (args.size() > MAX_ARGS) throw new InstanceException(400, "value", "more than " + MAX_ARGS + " args");
        MemoryRule.Need need = memory.need(images.resolve(image));
        if (mem < need.mib()) {
            throw new InstanceException(400, "value", "memory_mb " + mem + " is too little for image '" + image + "': it needs at least "
                    + need.mib() + " MiB (" + need.why() + ")");
        }
        return save(i.patched(image, args, env, mem, vcpus));
    }

    /** Removes a stopped instance's record (a running one is stopped first by the caller). */
    public void delete(Instance i) {
        store.delete(i.uuid());
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
