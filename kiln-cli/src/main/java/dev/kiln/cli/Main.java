package dev.kiln.cli;

/** The kiln command line; see {@link KilnCommand}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(KilnCommand.run(args, System.out, System.err));
    }
}
