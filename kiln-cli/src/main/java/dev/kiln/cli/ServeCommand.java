package dev.kiln.cli;

import dev.kiln.platform.Platform;
import dev.kiln.platform.api.ApiServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, sortOptions = false,
        description = {"Runs the local platform: the Unikraft Cloud API v1 on HTTP, instances under QEMU.",
                "State in SQLite in the data directory, or in PostgreSQL with --db; images in DATA/images (an OCI layout)."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080", description = "Where to listen (default: ${DEFAULT-VALUE}, loopback only).")
    String listen;

    @Option(names = "--data", paramLabel = "DIR", description = "The data directory (default: ~/.local/share/kiln).")
    Path data;

    @Option(names = "--db", paramLabel = "URL", description = "postgresql://[user[:password]@]host[:port]/database instead of SQLite.")
    String db;

    @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]",
            description = "A registry that ROM images are pulled from over plain HTTP; repeatable.")
    java.util.List<String> insecureRegistries = new java.util.ArrayList<>();

    @Option(names = "--leave-running", description = "On shutdown, leave the instances running (the next start adopts them) instead of stopping them.")
    boolean leaveRunning;

    @Override
    public Integer call() throws Exception {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) throw new dev.kiln.fs.KilnException("--listen \"" + listen + "\": expected HOST:PORT");
        String host = listen.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new dev.kiln.fs.KilnException("--listen \"" + listen + "\": the port must be a number");
        }
        Path dir = data != null ? data : Path.of(System.getProperty("user.home"), ".local/share/kiln");

        Platform p = Platform.start(new Platform.Options(dir, db, host, port, leaveRunning, java.util.Set.copyOf(insecureRegistries)));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            p.close();
            stopped.countDown();
        }, "kiln-serve-shutdown"));
        String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + p.port();
        if (p.adopted() > 0) System.err.println("kiln: adopted " + p.adopted() + " running instance(s) from the last run");
        System.err.println("kiln: serving the Unikraft Cloud API v1 on " + url + " (" + p.store().describe() + ", images in " + p.images().layout().directory() + ")");
        if (!ApiServer.loopback(host)) System.err.println("kiln: warning: listening beyond loopback; anyone who can reach " + url + " and has the token controls the platform");
        System.err.println("kiln: point the SDKs and kiln at it with:");
        System.err.println("  export UKC_METRO=" + url);
        System.err.println("  export UKC_TOKEN=$(cat " + dir.resolve("token") + ")" + (p.firstStart() ? "   # created now" : ""));
        stopped.await();
        return KilnCommand.OK;
    }
}
