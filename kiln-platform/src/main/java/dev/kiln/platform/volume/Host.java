package dev.kiln.platform.volume;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs the host's tools (mount, umount, mke2fs, e2fsck, dumpe2fs) with argv lists, never a shell,
 * so no path or name given to a volume can be read as shell syntax.
 */
final class Host {
    private Host() {}

    /** What a tool said; {@code out} and {@code err} keep at most {@link #KEEP} bytes each. */
    record Result(List<String> argv, int status, String out, String err) {
        /** The tool's words and what it said, for an error message. */
        String failure() {
            String said = err.isBlank() ? out.strip() : err.strip();
            return "`" + String.join(" ", argv) + "` exited with " + status + (said.isEmpty() ? "" : ": " + said);
        }
    }

    /** mke2fs can print a line per file it fails on; a message needs the first few. */
    static final int KEEP = 16 * 1024;

    /** Runs {@code argv} to its end and returns what it said, whatever its exit status. */
    static Result run(List<String> argv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // Parsed output (dumpe2fs, mount's messages) must not change with the server's locale.
        pb.environment().put("LC_ALL", "C");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new VolumeException(null, argv.getFirst() + " could not be run (" + e.getMessage()
                    + "); Debian: apt-get install e2fsprogs mount", e);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // stderr is drained alongside stdout, or a chatty tool would block on a full pipe.
        Thread drain = Thread.ofVirtual().name("kiln-volume-stderr").start(() -> keep(p.getErrorStream(), err));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            keep(p.getInputStream(), out);
            int status = p.waitFor();
            drain.join();
            return new Result(argv, status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running " + String.join(" ", argv));
        } finally {
            p.getOutputStream().close();
            p.getInputStream().close();
            p.getErrorStream().close();
        }
    }

    /** Runs {@code argv} and returns its stdout; a non-zero exit is a {@link VolumeException} quoting it. */
    static String check(List<String> argv) throws IOException {
        Result r = run(argv);
        if (r.status() != 0) throw new VolumeException(null, r.failure());
        return r.out();
    }

    private static void keep(InputStream in, ByteArrayOutputStream into) {
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                int room = KEEP - into.size();
                if (room > 0) into.write(buf, 0, Math.min(n, room));
            }
        } catch (IOException e) {
            // the stream closes when the tool ends; what was read is what it said
        }
    }
}
