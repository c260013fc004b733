package dev.kiln.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest as OCI writes it, {@code algorithm:hex}. kiln writes sha256 and reads sha256
 * and sha512; anything else, or hex of the wrong length or case, is refused when parsed, so a
 * digest that reaches a file name or a URL is always safe to use there.
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA512 = Pattern.compile("[0-9a-f]{128}");

    public Digest {
        boolean ok = switch (algorithm) {
            case "sha256" -> SHA256.matcher(hex).matches();
            case "sha512" -> SHA512.matcher(hex).matches();
            default -> false;
        };
        if (!ok) throw new OciException("digest \"" + algorithm + ":" + shorten(hex) + "\": expected sha256:<64 lowercase hex> (or sha512:<128>)");
    }

    /** Parses {@code sha256:…}; {@code what} names where it was found, for the message. */
    public static Digest parse(String s, String what) {
        int colon = s == null ? -1 : s.indexOf(':');
        if (colon <= 0) throw new OciException(what + ": \"" + shorten(s) + "\" is not a digest (algorithm:hex)");
        try {
            return new Digest(s.substring(0, colon), s.substring(colon + 1));
        } catch (OciException e) {
            throw new OciException(what + ": " + e.getMessage());
        }
    }

    public static Digest parse(String s) {
        return parse(s, "digest");
    }

    /** The sha256 of {@code bytes}. */
    public static Digest of(byte[] bytes) {
        return new Digest("sha256", HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new hasher for this digest's algorithm. */
    public MessageDigest newHasher() {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code hasher} (after all the bytes) gives this digest. */
    public boolean matches(MessageDigest hasher) {
        return HexFormat.of().formatHex(hasher.digest()).equals(hex);
    }

    /** The hex, which is how blobs are named on disk ({@code blobs/sha256/<hex>}). */
    public String encoded() {
        return hex;
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    /** The first 12 hex digits, as tools show a digest to people. */
    public String brief() {
        return algorithm + ":" + hex.substring(0, 12);
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }

    private static String shorten(String s) {
        if (s == null) return "null";
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /**
     * Reads {@code in} while hashing it and counting it; at the end of the stream, fails unless
     * exactly {@code size} bytes with {@code expected} digest came. What a pull and a layout read
     * use, so no unverified byte is taken for content.
     */
    public static InputStream verifying(InputStream in, Digest expected, long size, String what) {
        MessageDigest h = expected.newHasher();
        return new FilterInputStream(in) {
            private long count;
            private boolean checked;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) check();
                else {
                    h.update((byte) b);
                    more(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n < 0) check();
                else {
                    h.update(buf, off, n);
                    more(n);
                }
                return n;
            }

            private void more(long n) {
                count += n;
                if (count > size) throw new OciException(what + ": more than the " + size + " bytes its descriptor gives");
            }

            private void check() {
                if (checked) return;
                checked = true;
                if (count != size) throw new OciException(what + ": " + count + " bytes, its descriptor gives " + size);
                if (!expected.matches(h)) throw new OciException(what + ": content does not match its digest " + expected);
            }
        };
    }
}
