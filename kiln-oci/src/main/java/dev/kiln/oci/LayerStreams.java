package dev.kiln.oci;

import dev.kiln.fs.Compression;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * A filesystem layer's tar, whatever it was stored as. The media type must name a tar layer
 * (plain, gzip or zstd; OCI or Docker); the compression is then taken from the bytes, as
 * registries and {@code docker save} are known to mislabel it. The blob's digest is checked
 * when the tar has been read to its end: the rest of the compressed stream is read then, so a
 * blob with a good tar and a bad tail still fails.
 */
public final class LayerStreams {
    private LayerStreams() {}

    /** How messages name layer {@code i} (from 0) of {@code n}: {@code IMAGE layer 2 of 5 (sha256:…)}. */
    public static String describe(String image, int i, int n, Descriptor layer) {
        return image + " layer " + (i + 1) + " of " + n + " (" + layer.digest() + ")";
    }

    /** Fails unless {@code layer} is a tar layer; {@code what} names it (see {@link #describe}). */
    public static void checkTarLayer(Descriptor layer, String what) {
        if (!MediaTypes.isTarLayer(layer.mediaType())) {
            throw new OciException(what + " has media type " + layer.mediaType() + ", not a filesystem layer (tar, tar+gzip or tar+zstd)");
        }
    }

    /**
     * A layer's tar as it is read: {@link #verifyRest} reads what is left of the blob, so that
     * whoever gives up on a tar it cannot parse learns first whether the blob was not the one the
     * manifest names (the better message: a corrupt download, not a corrupt image).
     */
    public abstract static class TarStream extends FilterInputStream {
        TarStream(InputStream in) {
            super(in);
        }

        /** Reads the rest of the blob, failing (an {@link OciException} naming the digest) if it does not match. */
        public abstract void verifyRest() throws IOException;
    }

    /** The layer's uncompressed tar, verified against {@code layer}; {@code what} names it in messages. */
    public static TarStream openTar(BlobSource blobs, Descriptor layer, String what) throws IOException {
        checkTarLayer(layer, what);
        BufferedInputStream raw = new BufferedInputStream(blobs.open(layer), 1 << 16);
        Compression c;
        InputStream tar;
        try {
            raw.mark(8);
            byte[] head = raw.readNBytes(6);
            raw.reset();
            c = Compression.detect(head, head.length);
            tar = c.decompress(raw);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw wrap(e, what, Compression.NONE);
        }
        return new TarStream(tar) {
            @Override
            public void verifyRest() throws IOException {
                raw.transferTo(java.io.OutputStream.nullOutputStream());
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    int n = super.read(b, off, len);
                    if (n < 0 && c != Compression.NONE) raw.transferTo(java.io.OutputStream.nullOutputStream());
                    return n;
                } catch (IOException | RuntimeException e) {
                    if (!(e instanceof OciException)) {
                        // A stream that does not decompress may simply not be the blob named: say so if it is not.
                        try {
                            verifyRest();
                        } catch (OciException mismatch) {
                            mismatch.addSuppressed(e);
                            throw mismatch;
                        } catch (IOException | RuntimeException ignored) {
                            // the decompressor's error says more
                        }
                    }
                    throw wrap(e, what, c);
                }
            }

            @Override
            public long skip(long n) throws IOException {
                // Skipped bytes must still be hashed: read them.
                if (n <= 0) return 0;
                byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
                long done = 0;
                while (done < n) {
                    int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                    if (r < 0) break;
                    done += r;
                }
                return done;
            }
        };
    }

    private static RuntimeException wrap(Exception e, String where, Compression c) {
        if (e instanceof OciException o) return o;
        String kind = c == Compression.NONE ? "" : "corrupt " + c.name().toLowerCase(Locale.ROOT) + " stream: ";
        return new OciException(where + ": " + kind + e.getMessage(), e);
    }
}
