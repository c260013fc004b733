package dev.kiln.fs.io;

import dev.kiln.fs.InvalidPathException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Strict UTF-8 decoding: kiln refuses names it could not write back byte for byte. */
public final class Utf8 {
    private Utf8() {}

    /**
     * Decodes {@code bytes}, or throws an {@link InvalidPathException} that shows the bytes in hex.
     * {@code what} names the field for the message ("name", "symlink target", ...).
     */
    public static String decode(byte[] bytes, String what) {
        return decode(bytes, 0, bytes.length, what);
    }

    /** The length of {@code s} in UTF-8, as {@code s.getBytes(UTF_8).length} but without the copy. */
    public static int length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) n += 1; // unpaired: encoded as '?'
            else n += 3;
        }
        return n;
    }

    public static String decode(byte[] bytes, int off, int len, String what) {
        // Fast path: pure ASCII needs no decoder.
        boolean ascii = true;
        for (int i = off; i < off + len; i++) {
            if (bytes[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) return new String(bytes, off, len, StandardCharsets.ISO_8859_1);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, off, len))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidPathException(what + " is not valid UTF-8: "
                    + HexFormat.of().formatHex(bytes, off, Math.min(off + len, off + 64)));
        }
    }
}
