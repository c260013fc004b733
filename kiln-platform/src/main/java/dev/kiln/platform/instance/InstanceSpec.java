package dev.kiln.platform.instance;

import java.util.List;
import java.util.Set;
import java.util.SortedMap;

/**
 * What {@code POST /v1/instances} asks for, parsed and type-checked by the API layer; the
 * service applies the rules (names, image, memory, args and env for the guest).
 *
 * @param memoryMb null: what the image needs (see {@link MemoryRule})
 * @param timeoutS with autostart, how long the create may wait for {@code running}; null: no wait
 */
public record InstanceSpec(String name, String image, Integer memoryMb, Integer vcpus, List<String> args,
                           SortedMap<String, String> env, RestartPolicy restartPolicy, Set<String> features, boolean autostart,
                           Double timeoutS, List<Instance.Service> services) {}
