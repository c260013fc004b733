package dev.kiln.cli;

import dev.kiln.fs.KilnException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code kiln volume ...}: the platform's volumes, a client of the API as {@code kiln instance} is. */
@Command(name = "volume", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = {"Manages volumes on a platform (kiln serve, or any Unikraft Cloud API v1): UKC_METRO and UKC_TOKEN say where.",
                "import and export are kiln serve's own: the platform reads and writes the host paths given."},
        subcommands = {VolumeCommand.Create.class, VolumeCommand.Ls.class, VolumeCommand.Get.class, VolumeCommand.Rm.class,
                VolumeCommand.Attach.class, VolumeCommand.Detach.class, VolumeCommand.Import.class, VolumeCommand.Export.class})
final class VolumeCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.err);
    }

    /** The volumes of an answer as a table, or as JSON. */
    static void print(JsonNode env, boolean json) {
        JsonNode items = env.path("data").path("volumes");
        if (json) {
            System.out.println(items);
            return;
        }
        StringBuilder sb = new StringBuilder(String.format("%-36s  %-24s  %-11s  %8s  %-5s  %s%n", "UUID", "NAME", "STATE", "SIZE", "FS", "ATTACHED"));
        for (JsonNode v : items) {
            String size = v.has("size_mb") ? v.path("size_mb").asString("") + "M" : "";
            if (v.has("host_path")) size = "host";
            sb.append(String.format("%-36s  %-24s  %-11s  %8s  %-5s  %s%n", v.path("uuid").asString(""), v.path("name").asString(""),
                    v.path("state").asString(""), size, v.path("filesystem").asString(""), attachment(v)));
        }
        System.out.print(sb);
    }

    /** {@code INSTANCE:AT[:ro]}, {@code host_path} for a managed volume, or nothing. */
    private static String attachment(JsonNode v) {
        JsonNode to = v.path("attached_to").path(0);
        if (to.isMissingNode()) return v.has("host_path") ? v.path("host_path").asString("") : "";
        String name = to.path("name").asString(to.path("uuid").asString(""));
        return name + ":" + v.path("at").asString("") + (v.path("readonly").asBoolean(false) ? ":ro" : "")
                + (v.path("detach_pending").asBoolean(false) ? " (detach pending)" : "");
    }

    /** What an operation did to each volume: {@code NAME WHAT}, with the server's note if it made one. */
    static void done(JsonNode env, String what, boolean json) {
        JsonNode items = env.path("data").path("volumes");
        if (json) {
            System.out.println(items);
            return;
        }
        for (JsonNode v : items) {
            String note = v.path("message").asString("");
            System.out.println(v.path("name").asString(v.path("uuid").asString("")) + " " + what + (note.isEmpty() ? "" : " (" + note + ")"));
        }
    }

    /**
     * The uuid of the volume called {@code ref} (a uuid is taken as it is): import and export are
     * routes by uuid, and a user names volumes.
     */
    static String uuid(PlatformClient c, String ref) throws Exception {
        Map<String, Object> m = InstanceCommand.ref(ref);
        if (m.containsKey("uuid")) return ref;
        JsonNode v = c.send("GET", "/v1/volumes?name=" + PlatformClient.q(ref), null).path("data").path("volumes").path(0);
        String uuid = v.path("uuid").asString("");
        if (uuid.isEmpty()) throw new KilnException("No volume with name '" + ref + "'");
        return uuid;
    }

    /** A path as the server must get it: absolute, from where kiln runs, as the user typed it relative to. */
    static String absolute(String path) {
        return Path.of(path).toAbsolutePath().normalize().toString();
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates an empty volume.")
    static final class Create implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Option(names = {"-s", "--size"}, paramLabel = "MiB", required = true, description = "Its size in MiB.") int size;
        @Option(names = "--filesystem", paramLabel = "FS", description = "9pfs (a host directory shared over virtio-9p, the default) or ext4 (a block device, Linux guests).")
        String filesystem;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("size_mb", size);
            if (filesystem != null) body.put("filesystem", filesystem);
            print(PlatformClient.fromEnvironment().send("POST", "/v1/volumes", body), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists volumes.")
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            print(PlatformClient.fromEnvironment().send("GET", "/v1/volumes", null), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Shows volumes by name or uuid.")
    static final class Get implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME|UUID") List<String> refs;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            print(PlatformClient.fromEnvironment().send("GET", "/v1/volumes", refs.stream().map(InstanceCommand::ref).toList()), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Deletes volumes and their data (an attached one is refused: detach it first).")
    static final class Rm implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME|UUID") List<String> refs;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            done(PlatformClient.fromEnvironment().send("DELETE", "/v1/volumes", refs.stream().map(InstanceCommand::ref).toList()), "deleted", json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "attach", mixinStandardHelpOptions = true, description = "Attaches a volume to a stopped instance, mounted at PATH when it starts.")
    static final class Attach implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|UUID") String ref;
        @Option(names = "--to", paramLabel = "INSTANCE", required = true) String to;
        @Option(names = "--at", paramLabel = "PATH", required = true, description = "Where the guest mounts it (absolute).") String at;
        @Option(names = "--readonly") boolean readonly;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> m = InstanceCommand.ref(ref);
            m.put("attach_to", InstanceCommand.ref(to));
            m.put("at", at);
            if (readonly) m.put("readonly", true);
            done(PlatformClient.fromEnvironment().send("PUT", "/v1/volumes/attach", List.of(m)),
                    "attached to " + to + " at " + at + (readonly ? " (read-only)" : ""), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "detach", mixinStandardHelpOptions = true,
            description = "Detaches a volume (from a running instance: once it stops); a volume created with its instance is kept from then on.")
    static final class Detach implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|UUID") String ref;
        @Option(names = "--from", paramLabel = "INSTANCE", description = "Only if it is attached to INSTANCE.") String from;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> m = InstanceCommand.ref(ref);
            if (from != null) m.put("from", InstanceCommand.ref(from));
            done(PlatformClient.fromEnvironment().send("PUT", "/v1/volumes/detach", List.of(m)), "detached", json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Fills a volume from SOURCE, a directory or any image kiln reads (cpio, tar, EROFS, ...), laid over what it holds.",
                    "kiln serve's own call: SOURCE is read by the platform, on its host."})
    static final class Import implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|UUID") String ref;
        @Parameters(index = "1", paramLabel = "SOURCE") String source;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            return transfer(ref, "import", "source", source, "imported from ", json);
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes a volume's contents as an image, its format from OUT's name (.cpio, .tar, .tar.gz, .erofs, ...).",
                    "kiln serve's own call: OUT is written by the platform, on its host."})
    static final class Export implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|UUID") String ref;
        @Parameters(index = "1", paramLabel = "OUT") String out;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            return transfer(ref, "export", "output", out, "exported to ", json);
        }
    }

    /** kiln serve's import or export of volume {@code ref}: {@code field} carries {@code file}, made absolute (the platform reads or writes it). */
    private static int transfer(String ref, String op, String field, String file, String done, boolean json) throws Exception {
        PlatformClient c = PlatformClient.fromEnvironment();
        String path = absolute(file);
        JsonNode env = c.send("PUT", "/v1/volumes/" + uuid(c, ref) + "/" + op, Map.of(field, path));
        if (json) print(env, true);
        else done(env, done + path, false);
        return KilnCommand.OK;
    }
}
