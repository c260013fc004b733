package dev.kiln.platform.instance;

import java.util.List;
import java.util.Set;
import java.util.SortedMap;

/**
 * What {@code POST /v1/instances} asks for, parsed and type-checked by the API layer; the
 * service applies the rules (names, image, memory, args and env for the guest, ROMs, volumes).
 *
 * @param memoryMb null: what the image needs (see {@link MemoryRule})
 * @param timeoutS with autostart, how long the create may wait for {@code running}; null: no wait
 */
public record InstanceSpec(String name, String image, Integer memoryMb, Integer vcpus, List<String> args,
                           SortedMap<String, String> env, RestartPolicy restartPolicy, Set<String> features, boolean autostart,
                           Double timeoutS, List<Instance.Service> services, List<RomSpec> roms, List<VolumeSpec> volumes) {
    public InstanceSpec {
        roms = List.copyOf(roms);
        volumes = List.copyOf(volumes);
    }

    /** A ROM entry as given: {@code image} or {@code files}, never both; a null name is generated. */
    public record RomSpec(String name, String at, String image, List<InstanceRom.InlineFile> files) {}

    /**
     * A volume entry: an existing volume named by {@code uuid} or {@code name}, or, with
     * {@code sizeMb}, a new one called {@code name} that lives as long as the instance (unless
     * detached).
     */
    public record VolumeSpec(String uuid, String name, Integer sizeMb, String filesystem, String at, boolean readonly) {}
}
