package dev.kiln.platform.instance;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * One instance as the platform keeps it: what it was created with, where it is in its life
 * cycle, and what its runs left behind. Immutable; every change is a new value with a higher
 * {@code version}, which the store checks so that two writers never overwrite each other.
 *
 * @param image       the image reference pinned to a digest at creation
 * @param stopReason  the API's bitmask of who stopped it (see {@link StopReason}), or null
 * @param exitCode    the guest's exit code (isa-debug-exit), or null when it did not report one
 * @param services    host port → guest port forwards, on loopback
 * @param roms        the ROMs attached at every start, in the order given
 * @param createdSeq  creation order (for listing and paging), unique
 */
public record Instance(UUID uuid, String name, String image, InstanceState state, Instant createdAt, long createdSeq,
                       int memoryMb, int vcpus, List<String> args, SortedMap<String, String> env, RestartPolicy restartPolicy,
                       Set<String> features, int startCount, int restartCount, Instant startedAt, Instant stoppedAt,
                       Long bootTimeUs, Integer stopReason, Integer exitCode, String stopMessage, List<Service> services,
                       List<InstanceRom> roms, long version) {
    public Instance {
        Objects.requireNonNull(uuid);
        Objects.requireNonNull(name);
        Objects.requireNonNull(state);
        args = List.copyOf(args);
        env = new TreeMap<>(env);
        features = new TreeSet<>(features);
        services = List.copyOf(services);
        roms = List.copyOf(roms);
    }

    /** A published port: {@code port} on the host's loopback forwards to {@code destinationPort} in the guest. */
    public record Service(int port, int destinationPort, String protocol) {}

    public boolean deleteOnStop() {
        return features.contains("delete-on-stop");
    }

    public Instance withState(InstanceState s) {
        return new Instance(uuid, name, image, s, createdAt, createdSeq, memoryMb, vcpus, args, env, restartPolicy, features,
                startCount, restartCount, startedAt, stoppedAt, bootTimeUs, stopReason, exitCode, stopMessage, services, roms, version);
    }

    /** Started (again): counts the start and forgets the last run's outcome. */
    public Instance started(Instant at, boolean restart) {
        return new Instance(uuid, name, image, InstanceState.STARTING, createdAt, createdSeq, memoryMb, vcpus, args, env, restartPolicy,
                features, startCount + 1, restartCount + (restart ? 1 : 0), at, null, null, null, null, null, services, roms, version);
    }

    public Instance running(long bootUs) {
        return new Instance(uuid, name, image, InstanceState.RUNNING, createdAt, createdSeq, memoryMb, vcpus, args, env, restartPolicy,
                features, startCount, restartCount, startedAt, stoppedAt, bootUs, stopReason, exitCode, stopMessage, services, roms, version);
    }

    public Instance stopped(Instant at, int reason, Integer code, String message) {
        return new Instance(uuid, name, image, InstanceState.STOPPED, createdAt, createdSeq, memoryMb, vcpus, args, env, restartPolicy,
                features, startCount, restartCount, startedAt, at, bootTimeUs, reason, code, message, services, roms, version);
    }

    public Instance withVersion(long v) {
        return new Instance(uuid, name, image, state, createdAt, createdSeq, memoryMb, vcpus, args, env, restartPolicy, features,
                startCount, restartCount, startedAt, stoppedAt, bootTimeUs, stopReason, exitCode, stopMessage, services, roms, v);
    }

    /** A changed copy for PATCH: only what the API lets a stopped instance change. */
    public Instance patched(String newImage, List<String> newArgs, SortedMap<String, String> newEnv, int newMemory, int newVcpus,
                            List<InstanceRom> newRoms) {
        return new Instance(uuid, name, newImage, state, createdAt, createdSeq, newMemory, newVcpus, newArgs, newEnv, restartPolicy,
                features, startCount, restartCount, startedAt, stoppedAt, bootTimeUs, stopReason, exitCode, stopMessage, services, newRoms, version);
    }
}
