package dev.kiln.platform.rom;

import dev.kiln.fs.KilnException;

/**
 * A ROM the platform refuses: an inline ROM that breaks a rule, an image that is not a ROM image
 * or whose blob does not match its digest, a registry that would not give it. {@link #field()}
 * names the request field as the API spells it ({@code roms[2].files[3].path},
 * {@code roms[0].image}), so the API can answer 400 pointing at it; the message starts with
 * the field too, and quotes the offending value (shortened, non-printable characters escaped).
 */
public final class RomException extends KilnException {
    private final String field;

    public RomException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public RomException(String field, String problem, Throwable cause) {
        super(field + ": " + problem, cause);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** {@code s} quoted for a message: at most 64 characters, control characters and lone surrogates as \\xHH / \\uHHHH. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        int n = Math.min(s.length(), 64);
        if (n < s.length() && Character.isHighSurrogate(s.charAt(n - 1))) n--; // do not cut a pair in two
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else if (Character.isSurrogate(c) && !validPair(s, i)) b.append(String.format("\\u%04x", (int) c));
            else if (c == '"' || c == '\\') b.append('\\').append(c);
            else b.append(c);
        }
        if (s.length() > n) b.append("…");
        return b.append('"').toString();
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
