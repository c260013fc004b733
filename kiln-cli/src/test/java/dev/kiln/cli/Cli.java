package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process and captures what a user would see. */
record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        // Commands write to System.out/err (binary for cat), so redirect those too.
        PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8), pe = new PrintStream(e, true, StandardCharsets.UTF_8);
        System.setOut(po);
        System.setErr(pe);
        int rc;
        try {
            rc = KilnCommand.run(args, po, pe);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Cli(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }
}
