package dev.kiln.platform.rom;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules for one inline ROM's files, checked before anything is built, each refusal a
 * {@link RomException} naming the field ({@code roms[2].files[3].path}, or {@code roms[2].files}
 * for the limits on the whole ROM) and quoting the value.
 *
 * <p>Limits: at most {@value #MAX_FILES} files, and at most {@value #MAX_BYTES} bytes of decoded
 * data in all. Unikraft Cloud documents "1 MB" per inline ROM without saying which megabyte or
 * whether base64 text or decoded bytes count; kiln counts decoded bytes, which is what the guest
 * gets, and takes the binary megabyte, the larger reading, so nothing the cloud accepts is
 * refused here.
 *
 * <p>Paths: a leading '/' is allowed and means the ROM's root, so {@code /a} and {@code a} are
 * one file. Refused: an empty path (or just '/'), NUL, an empty component ({@code a//b}), a
 * {@code .} or {@code ..} component, a trailing '/', a component longer than 255 bytes or a path
 * longer than 4095 bytes in UTF-8 (Linux's NAME_MAX and PATH_MAX less the NUL; a Unikraft guest
 * fails its boot beyond them), text that is not valid Unicode, the same path twice, and a file
 * whose path is another file's parent directory ({@code a} and {@code a/b}).
 */
public final class InlineRoms {
    public static final int MAX_FILES = 16;
    /** 1 MiB of decoded data per ROM; see the class comment for why this reading of "1 MB". */
    public static final int MAX_BYTES = 1 << 20;
    static final int MAX_NAME = 255;
    static final int MAX_PATH = 4095;

    private InlineRoms() {}

    /**
     * Checks {@code files}; {@code prefix} is the ROM's field ({@code roms[2]}, or "" for none).
     * Returns each file's path without its leading '/', in the order given.
     */
    public static List<String> validate(String prefix, List<InlineFile> files) {
        String base = prefix == null || prefix.isEmpty() ? "" : prefix + ".";
        if (files == null || files.isEmpty()) throw new RomException(base + "files", "an inline ROM needs at least one file");
        if (files.size() > MAX_FILES) {
            throw new RomException(base + "files", files.size() + " files; an inline ROM holds at most " + MAX_FILES);
        }
        long total = 0;
        for (InlineFile f : files) total += f.data().length;
        if (total > MAX_BYTES) {
            throw new RomException(base + "files", String.format("%,d bytes of data in all; an inline ROM holds at most 1 MiB (%,d bytes)",
                    total, MAX_BYTES));
        }
        List<String> paths = new ArrayList<>(files.size());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < files.size(); i++) {
            String field = base + "files[" + i + "].path";
            String p = normalise(field, files.get(i).path());
            Integer earlier = seen.putIfAbsent(p, i);
            if (earlier != null) {
                throw new RomException(field, RomException.quote(files.get(i).path()) + ": the same file as files[" + earlier + "]");
            }
            paths.add(p);
        }
        // A file at a path another file needs as a directory: a, a/b (either order).
        for (int i = 0; i < paths.size(); i++) {
            String p = paths.get(i);
            for (int slash = p.indexOf('/'); slash >= 0; slash = p.indexOf('/', slash + 1)) {
                Integer file = seen.get(p.substring(0, slash));
                if (file != null) {
                    int later = Math.max(i, file), other = Math.min(i, file);
                    String what = later == i ? "below files[" + other + "], which is a file"
                            : "a file, but files[" + other + "] needs it as a directory";
                    throw new RomException(base + "files[" + later + "].path", RomException.quote(files.get(later).path()) + ": " + what);
                }
            }
        }
        return paths;
    }

    /** The path without its leading '/', or a refusal naming {@code field}. */
    private static String normalise(String field, String raw) {
        if (raw == null) throw new RomException(field, "required");
        String q = RomException.quote(raw);
        String p = raw.startsWith("/") ? raw.substring(1) : raw;
        if (p.isEmpty()) throw new RomException(field, q + ": empty; a file needs a name");
        if (p.indexOf('\0') >= 0) throw new RomException(field, q + ": contains a NUL character");
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < p.length() && Character.isLowSurrogate(p.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) throw new RomException(field, q + ": not valid Unicode (a lone surrogate)");
        }
        if (p.endsWith("/")) throw new RomException(field, q + ": ends with '/'; a file's path names the file");
        if (p.getBytes(StandardCharsets.UTF_8).length > MAX_PATH) {
            throw new RomException(field, q + ": longer than " + MAX_PATH + " bytes");
        }
        int start = 0;
        while (true) {
            int slash = p.indexOf('/', start);
            String c = slash < 0 ? p.substring(start) : p.substring(start, slash);
            if (c.isEmpty()) throw new RomException(field, q + ": an empty component ('//')");
            if (c.equals(".") || c.equals("..")) throw new RomException(field, q + ": a '" + c + "' component");
            if (c.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
                throw new RomException(field, q + ": a component longer than " + MAX_NAME + " bytes");
            }
            if (slash < 0) return p;
            start = slash + 1;
        }
    }
}
