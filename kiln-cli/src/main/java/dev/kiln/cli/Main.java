package dev.kiln.cli;

/** The kiln command line; see {@link KilnCommand}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        // The launcher records its ahead-of-time cache through this entry, with -jar like a real run.
        if (Boolean.getBoolean("kiln.aotTraining")) {
            AotTraining.main(args);
            return;
        }
        System.exit(KilnCommand.run(args, System.out, System.err));
    }
}
