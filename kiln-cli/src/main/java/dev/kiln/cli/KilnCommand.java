package dev.kiln.cli;

import dev.kiln.fs.KilnException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Top-level command: builds and inspects the images unikernels boot with. */
@Command(name = "kiln", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = "Builds, inspects and converts the images unikernels boot with (cpio, tar, EROFS).",
        subcommands = {BuildCommand.class, LsCommand.class, CatCommand.class, ExtractCommand.class,
                DiffCommand.class, CheckCommand.class, PackCommand.class, InspectCommand.class, TagCommand.class, PushCommand.class, PullCommand.class,
                ServeCommand.class, InstanceCommand.class, VolumeCommand.class, ImageCommand.class, RunCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 difference or lint failure, 2 usage error, 3 bad input."})
public final class KilnCommand implements Runnable {
    static final String VERSION = "kiln 0.1.0";
    public static final int OK = 0, DIFFERENT = 1, USAGE = 2, BAD_INPUT = 3, INTERNAL = 4;

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    /**
     * Picocli reads every command's annotations by reflection when it builds its model, which
     * took 100 ms of each run's start for six subcommands. A run that names its subcommand (one
     * of this class's {@code subcommands}) gets a model with only that one under "kiln"; anything
     * else (help, version, a typo) gets the full one.
     */
    private static CommandLine commandLine(String[] args) {
        if (args.length > 0) {
            for (Class<?> c : KilnCommand.class.getAnnotation(Command.class).subcommands()) {
                if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(args[0])) {
                    CommandLine cl = new CommandLine(CommandLine.Model.CommandSpec.create().name("kiln"));
                    cl.addSubcommand(args[0], new CommandLine(c));
                    return cl;
                }
            }
        }
        return new CommandLine(new KilnCommand());
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        // The libraries' chatter (Flyway, Helidon) is not for users: warnings only.
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        for (var h : root.getHandlers()) h.setLevel(java.util.logging.Level.WARNING);
        CommandLine cl = commandLine(args);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Bad input is the user's to fix: one line, no stack trace.
            switch (ex) {
                case dev.kiln.fs.build.BuildOptionException o -> {
                    // A wrong option: named as the command line spells it.
                    err.println("kiln: " + BuildCommand.flagFor(o.option()) + ": " + o.problem());
                    return USAGE;
                }
                case dev.kiln.fs.build.TargetException t -> {
                    // The target's rules failed: a lint failure, and nothing was written.
                    err.println("kiln: " + t.getMessage());
                    return DIFFERENT;
                }
                case KilnException k -> {
                    err.println("kiln: " + k.getMessage());
                    return BAD_INPUT;
                }
                case NoSuchFileException n -> {
                    err.println("kiln: " + n.getFile() + ": no such file or directory");
                    return BAD_INPUT;
                }
                case AccessDeniedException a -> {
                    err.println("kiln: " + a.getFile() + ": permission denied");
                    return BAD_INPUT;
                }
                case IOException io -> {
                    err.println("kiln: " + io.getMessage());
                    return BAD_INPUT;
                }
                default -> {
                    err.println("kiln: internal error (please report): " + ex);
                    ex.printStackTrace(err);
                    return INTERNAL;
                }
            }
        });
        return cl.execute(args);
    }
}
