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

    /** Fails unless {@code layer} is a tar layer, naming it as {@code what}. */
    public static void checkTarLayer(Descriptor layer, String what) {
        if (!MediaTypes.isTarLayer(layer.mediaType())) {
            throw new OciException(what + " (" + layer.digest() + ") has media type " + layer.mediaType()
                    + ", not a filesystem layer (tar, tar+gzip or tar+zstd)");
        }
    }

    /** The layer's uncompressed tar, verified against {@code layer}; {@code what} names it in messages. */
    public static InputStream openTar(BlobSource blobs, Descriptor layer, String what) throws IOException {
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
            throw wrap(e, what + " (" + layer.digest() + ")", Compression.NONE);
        }
        String where = what + " (" + layer.digest() + ")";
        return new FilterInputStream(tar) {
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
                    throw wrap(e, where, c);
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
