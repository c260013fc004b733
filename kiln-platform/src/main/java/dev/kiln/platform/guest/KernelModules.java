package dev.kiln.platform.guest;

import dev.kiln.fs.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;

/** Kernel modules resolved through a kernel's {@code modules.dep}, in the order they must load. */
final class KernelModules {
    private KernelModules() {}

    /**
     * One module file.
     *
     * @param name     as the kernel names it (dashes become underscores)
     * @param file     where it lives, possibly compressed ({@code .ko.xz}, {@code .ko.zst})
     * @param requires the names of the modules it needs loaded first, from modules.dep
     */
    record Module(String name, Path file, List<String> requires) {
        /** The ELF object: busybox's insmod loads only uncompressed modules. */
        byte[] bytes() throws IOException {
            String f = file.getFileName().toString();
            Compression c = f.endsWith(".xz") ? Compression.XZ : f.endsWith(".zst") ? Compression.ZSTD
                    : f.endsWith(".gz") ? Compression.GZIP : Compression.NONE;
            try (InputStream in = c.decompress(Files.newInputStream(file))) {
                return in.readAllBytes();
            }
        }
    }

    /**
     * {@code names} and everything they depend on, dependencies first, each once. A line of
     * modules.dep reads {@code kernel/a.ko: kernel/b.ko kernel/c.ko}, the list ordered so that
     * modprobe loads it back to front; the walk does the same, depth first.
     *
     * @throws GuestKitException when modules.dep or a module is missing
     */
    static List<Module> resolve(HostKernel kernel, List<String> names) throws IOException {
        Path depFile = kernel.modulesDir().resolve("modules.dep");
        if (!Files.isRegularFile(depFile)) {
            throw new GuestKitException(depFile + " is missing (run depmod " + kernel.version() + ", or reinstall"
                    + " the kernel's package)", HostKernel.PACKAGE);
        }
        Map<String, String> pathByName = new HashMap<>();
        Map<String, List<String>> deps = new HashMap<>();
        for (String line : Files.readAllLines(depFile)) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String mod = line.substring(0, colon);
            pathByName.put(nameOf(mod), mod);
            String rest = line.substring(colon + 1).strip();
            deps.put(mod, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        SequencedSet<String> order = new LinkedHashSet<>();
        for (String n : names) {
            String rel = pathByName.get(n.replace('-', '_'));
            if (rel == null) {
                throw new GuestKitException("kernel " + kernel.version() + " has no module " + n + " in " + depFile,
                        null);
            }
            visit(rel, deps, order, new ArrayList<>());
        }
        List<Module> out = new ArrayList<>();
        for (String rel : order) {
            Path file = kernel.modulesDir().resolve(rel);
            if (!Files.isRegularFile(file)) {
                throw new GuestKitException(file + " is listed in " + depFile + " but missing", HostKernel.PACKAGE);
            }
            out.add(new Module(nameOf(rel), file, deps.getOrDefault(rel, List.of()).stream().map(KernelModules::nameOf).toList()));
        }
        return out;
    }

    private static void visit(String rel, Map<String, List<String>> deps, SequencedSet<String> order, List<String> stack) {
        if (order.contains(rel)) return;
        if (stack.contains(rel)) throw new GuestKitException("module dependency cycle: " + stack + " -> " + rel, null);
        stack.add(rel);
        for (String d : deps.getOrDefault(rel, List.of()).reversed()) visit(d, deps, order, stack);
        stack.removeLast();
        order.add(rel);
    }

    /** {@code kernel/fs/erofs/erofs.ko.xz} is {@code erofs}; dashes become underscores, as in the kernel. */
    static String nameOf(String rel) {
        String f = rel.substring(rel.lastIndexOf('/') + 1);
        int ko = f.indexOf(".ko");
        return (ko < 0 ? f : f.substring(0, ko)).replace('-', '_');
    }
}
