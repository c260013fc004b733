package dev.kiln.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code kiln instance ...}: the platform's instances, as the Unikraft Cloud CLI shows them. */
@Command(name = "instance", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = {"Manages instances on a platform (kiln serve, or any Unikraft Cloud API v1): UKC_METRO and UKC_TOKEN say where."},
        subcommands = {InstanceCommand.Create.class, InstanceCommand.Ls.class, InstanceCommand.Get.class, InstanceCommand.Start.class,
                InstanceCommand.Stop.class, InstanceCommand.Rm.class, InstanceCommand.Logs.class, InstanceCommand.Wait.class})
final class InstanceCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.err);
    }

    /** {@code {"name": …}} or {@code {"uuid": …}}, whichever the word looks like. */
    static Map<String, Object> ref(String nameOrUuid) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(nameOrUuid.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}") ? "uuid" : "name", nameOrUuid);
        return m;
    }

    /** What an operation did to each instance: {@code NAME STATE (was PREVIOUS)}, or the items as JSON. */
    static void items(JsonNode env, boolean json) {
        if (json) {
            System.out.println(env.path("data").path("instances"));
            return;
        }
        for (JsonNode i : env.path("data").path("instances")) {
            String prev = i.path("previous_state").asString("");
            System.out.println(i.path("name").asString("") + " " + i.path("state").asString(prev.isEmpty() ? "" : "deleted")
                    + (prev.isEmpty() ? "" : " (was " + prev + ")"));
        }
    }

    static void print(JsonNode env, boolean json) {
        JsonNode items = env.path("data").path("instances");
        if (json) {
            System.out.println(env.path("data").path("instances"));
            return;
        }
        StringBuilder sb = new StringBuilder(String.format("%-36s  %-24s  %-9s  %6s  %s%n", "UUID", "NAME", "STATE", "MEM", "IMAGE"));
        for (JsonNode i : items) {
            sb.append(String.format("%-36s  %-24s  %-9s  %5sM  %s%n", i.path("uuid").asString(""), i.path("name").asString(""),
                    i.path("state").asString(""), i.path("memory_mb").asString(""), i.path("image").asString("")));
        }
        System.out.print(sb);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates an instance of IMAGE; arguments after -- are its args.")
    static final class Create implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IMAGE") String image;
        @Parameters(index = "1..*", paramLabel = "ARGS") List<String> args = new ArrayList<>();
        @Option(names = "--name") String name;
        @Option(names = {"-m", "--memory"}, paramLabel = "MiB") Integer memory;
        @Option(names = "--vcpus") Integer vcpus;
        @Option(names = {"-e", "--env"}, paramLabel = "K=V") List<String> env = new ArrayList<>();
        @Option(names = {"-p", "--port"}, paramLabel = "HOST:GUEST") List<String> ports = new ArrayList<>();
        @Option(names = "--restart", paramLabel = "POLICY", description = "never, always, on-failure") String restart;
        @Option(names = "--start", description = "Start it at once (autostart) and wait until it runs.") boolean start;
        @Option(names = "--delete-on-stop") boolean deleteOnStop;
        @Option(names = {"-v", "--volume"}, paramLabel = "NAME:/PATH[:ro]",
                description = "Attaches the volume NAME at PATH (read-only with :ro); repeatable.") List<String> volumes = new ArrayList<>();
        @Option(names = "--rom", paramLabel = "NAME=IMAGE[,at=PATH]",
                description = "Attaches the ROM image IMAGE as ROM NAME, its files also at PATH with at=; repeatable.") List<String> roms = new ArrayList<>();
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("image", image);
            if (name != null) body.put("name", name);
            if (memory != null) body.put("memory_mb", memory);
            if (vcpus != null) body.put("vcpus", vcpus);
            if (!args.isEmpty()) body.put("args", args);
            Map<String, String> e = new LinkedHashMap<>();
            for (String kv : env) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new dev.kiln.fs.KilnException("--env \"" + kv + "\": expected KEY=VALUE");
                e.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (!e.isEmpty()) body.put("env", e);
            if (!ports.isEmpty()) {
                List<Map<String, Object>> services = new ArrayList<>();
                for (String p : ports) {
                    String[] hg = p.split(":", 2);
                    services.add(Map.of("port", Integer.parseInt(hg[0]), "destination_port", Integer.parseInt(hg.length > 1 ? hg[1] : hg[0])));
                }
                body.put("service_group", Map.of("services", services));
            }
            if (restart != null) body.put("restart_policy", restart);
            if (deleteOnStop) body.put("features", List.of("delete-on-stop"));
            if (!volumes.isEmpty()) {
                List<Map<String, Object>> vs = new ArrayList<>();
                for (String v : volumes) {
                    AttachArgs.Mount m = AttachArgs.Mount.parse("--volume", "NAME:/PATH[:ro]", v);
                    vs.add(Map.of("name", m.source(), "at", m.at(), "readonly", m.readonly()));
                }
                body.put("volumes", vs);
            }
            if (!roms.isEmpty()) {
                List<Map<String, Object>> rs = new ArrayList<>();
                for (String r : roms) {
                    AttachArgs.Rom a = AttachArgs.Rom.parse("--rom", "NAME=IMAGE[,at=PATH]", r);
                    Map<String, Object> rom = new LinkedHashMap<>();
                    rom.put("name", a.name());
                    rom.put("image", a.source());
                    if (a.at() != null) rom.put("at", a.at());
                    rs.add(rom);
                }
                body.put("roms", rs);
            }
            if (start) {
                body.put("autostart", true);
                body.put("timeout_s", 60);
            }
            print(PlatformClient.fromEnvironment().send("POST", "/v1/instances", body), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists instances.")
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            print(PlatformClient.fromEnvironment().send("GET", "/v1/instances?details=true", null), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Shows instances by name or uuid.")
    static final class Get implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME|UUID") List<String> refs;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            print(PlatformClient.fromEnvironment().send("GET", "/v1/instances", refs.stream().map(InstanceCommand::ref).toList()), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Starts instances.")
    static final class Start implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME|UUID") List<String> refs;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            items(PlatformClient.fromEnvironment().send("PUT", "/v1/instances/start", refs.stream().map(InstanceCommand::ref).toList()), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stops instances.")
    static final class Stop implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME|UUID") List<String> refs;
        @Option(names = "--force") boolean force;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            List<Map<String, Object>> body = new ArrayList<>();
            for (String r : refs) {
                Map<String, Object> m = ref(r);
                if (force) m.put("force", true);
                body.add(m);
            }
            items(PlatformClient.fromEnvironment().send("PUT", "/v1/instances/stop", body), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Deletes instances (a running one is stopped first).")
    static final class Rm implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME|UUID") List<String> refs;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            items(PlatformClient.fromEnvironment().send("DELETE", "/v1/instances", refs.stream().map(InstanceCommand::ref).toList()), json);
            return KilnCommand.OK;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Prints an instance's console.")
    static final class Logs implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|UUID") String ref;
        @Option(names = "--json", description = "The log item (base64 output, available and range) as JSON.") boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> m = ref(ref);
            JsonNode env = PlatformClient.fromEnvironment().send("GET", "/v1/instances/log", List.of(m));
            JsonNode item = env.path("data").path("instances").path(0);
            if (json) {
                System.out.println(item);
                return KilnCommand.OK;
            }
            System.out.write(java.util.Base64.getDecoder().decode(item.path("output").asString("")));
            System.out.flush();
            return KilnCommand.OK;
        }
    }

    @Command(name = "wait", mixinStandardHelpOptions = true, description = "Waits until an instance reaches a state (default running).")
    static final class Wait implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|UUID") String ref;
        @Option(names = "--state", defaultValue = "running") String state;
        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "-1") double timeout;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> m = ref(ref);
            m.put("state", state);
            m.put("timeout_ms", (long) (timeout < 0 ? -1 : timeout * 1000));
            items(PlatformClient.fromEnvironment().send("GET", "/v1/instances/wait", List.of(m)), json);
            return KilnCommand.OK;
        }
    }
}
