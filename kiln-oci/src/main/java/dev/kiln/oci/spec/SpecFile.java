package dev.kiln.oci.spec;

import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.RequestException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A spec file read and checked: a {@link Bunnyfile}, a {@link Containerfile} or a
 * {@link Kraftfile}. {@link #applyTo} fills the same {@link PackRequest.Builder} that
 * {@code kiln pack}'s flags fill, so a file and the equivalent flags make the same image; flags
 * applied after it override what the file says.
 *
 * <p>{@link #read} parses the file, applies its format's rules, and then checks the request the
 * file describes on its own (the builder's and urunc's rules), so that a mistake is reported with
 * the file's line and the file's name for the field rather than the builder's.
 */
public abstract sealed class SpecFile permits Bunnyfile, Containerfile, Kraftfile {
    private final Path path;
    private final List<SpecNote> notes = new ArrayList<>();
    /** Request field ({@link RequestException#field()}) → where this file set it. */
    private final Map<String, Located> locations = new HashMap<>();

    SpecFile(Path path) {
        this.path = path;
    }

    /** The file as it was given. */
    public final Path path() {
        return path;
    }

    public abstract SpecKind kind();

    /** Puts what the file says into {@code b}: dialect, kernel, rootfs, ROMs, Cmd, Env, labels... */
    public abstract void applyTo(PackRequest.Builder b) throws IOException;

    /** What the file says that kiln reads but leaves out of the image, and choices kiln made for it; in line order. */
    public final List<SpecNote> notes() {
        return notes.stream().sorted(java.util.Comparator.comparingInt(SpecNote::line)).toList();
    }

    /** The file, of the kind its name or else its content says ({@link SpecKind#of}). */
    public static SpecFile read(Path file, SpecOptions options) throws IOException {
        return read(file, SpecKind.of(file), options);
    }

    public static SpecFile read(Path file, SpecKind kind, SpecOptions options) throws IOException {
        SpecFile spec = switch (kind) {
            case BUNNYFILE -> Bunnyfile.parse(file, options);
            case CONTAINERFILE -> Containerfile.parse(file, options);
            case KRAFTFILE -> Kraftfile.parse(file, options);
        };
        spec.check();
        return spec;
    }

    /** Builds the request this file describes alone, and points a refusal at the line that set the field. */
    private void check() throws IOException {
        PackRequest.Builder b = PackRequest.builder();
        applyTo(b);
        try {
            b.build();
        } catch (RequestException e) {
            Located at = locations.get(e.field());
            if (at == null) throw new SpecException(path, 0, null, e.getMessage(), e);
            throw new SpecException(path, at.line(), at.field(), e.getMessage(), e);
        }
    }

    final void note(int line, String message) {
        notes.add(new SpecNote(path, line, message));
    }

    /** Records that the file's {@code field}, at {@code line}, set the request's {@code requestField}. */
    final void located(String requestField, int line, String field) {
        locations.put(requestField, new Located(line, field));
    }

    final SpecException error(int line, String field, String problem) {
        return new SpecException(path, line, field, problem);
    }

    private record Located(int line, String field) {}
}
