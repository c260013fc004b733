package dev.kiln.cli;

import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Top-level command: builds and inspects unikernel root filesystems, initrds and ROMs. */
@Command(name = "kiln", mixinStandardHelpOptions = true, version = "kiln 0.1.0",
        description = "Builds, inspects and converts the images unikernels boot with.")
public final class KilnCommand implements Runnable {
    public static final int OK = 0, DIFFERENT = 1, USAGE = 2, BAD_INPUT = 3;

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new KilnCommand());
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        return cl.execute(args);
    }
}
