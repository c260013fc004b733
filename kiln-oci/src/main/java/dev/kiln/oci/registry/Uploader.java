package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.OciException;
import dev.kiln.oci.registry.RegistryException.Target;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Uploads one blob into an upload session. A blob up to the chunk size goes in one
 * {@code PUT ?digest=}; a larger one in {@code PATCH}es of the chunk size, its last piece with
 * the closing {@code PUT}. Each piece is read from the source into memory before it is sent, so
 * a failing source never leaves half a piece at the registry, and a piece can be sent again.
 *
 * <p>After a failure the registry is asked where the upload stands ({@code GET} on the upload
 * URL, its {@code Range}) and the upload goes on from there; the source is opened again at that
 * offset. A registry that has lost or refused the session (distribution answers 404
 * BLOB_UPLOAD_INVALID when the bytes it holds differ from what its last answer said, as after a
 * piece cut off in transit) gets a new session and the blob from the start.
 */
final class Uploader {
    private final RegistryClient client;
    private final Transport transport;
    private final Repository repo;
    private final Descriptor blob;
    private final BlobSource source;
    private final RegistryClient.Options options;
    private final Target target;
    private final Set<String> scopes;
    private URI location;
    private long sent;
    private final List<Long> resumedAt = new ArrayList<>();

    Uploader(RegistryClient client, Transport transport, Repository repo, Descriptor blob, BlobSource source, RegistryClient.Options options,
             URI location) {
        this.client = client;
        this.transport = transport;
        this.repo = repo;
        this.blob = blob;
        this.source = source;
        this.options = options;
        this.location = location;
        this.target = new Target(repo.registry(), repo.name(), "blob " + blob.digest());
        this.scopes = RegistryClient.pushScope(repo);
    }

    BlobPush run() throws IOException {
        long size = blob.size();
        byte[] buf = new byte[(int) Math.min(options.chunkSize(), Math.max(size, 1))];
        long offset = 0;
        int failures = 0;
        InputStream in = null;
        try {
            while (true) {
                try {
                    if (in == null) in = source.open(offset);
                    while (true) {
                        int n = (int) Math.min(buf.length, size - offset);
                        int got = in.readNBytes(buf, 0, n);
                        if (got < n) {
                            throw new OciException(target + ": the source ends at byte " + (offset + got) + ", the descriptor gives " + size);
                        }
                        boolean last = offset + n == size;
                        if (last) {
                            finish(buf, n);
                            return new BlobPush(blob.digest(), size, BlobPush.Outcome.UPLOADED, sent, resumedAt);
                        }
                        patch(offset, buf, n);
                        offset += n;
                        options.progress().blob(blob.digest(), offset, size);
                    }
                } catch (IOException | RegistryException e) {
                    if (!recoverable(e) || ++failures >= transport.config.maxAttempts()) throw e;
                    close(in);
                    in = null;
                    transport.sleep(transport.backoff(failures), target);
                    Optional<Long> at = resume();
                    if (at.isEmpty()) return new BlobPush(blob.digest(), size, BlobPush.Outcome.UPLOADED, sent, resumedAt);
                    offset = at.get();
                    resumedAt.add(offset);
                    options.progress().blob(blob.digest(), offset, size);
                }
            }
        } finally {
            close(in);
        }
    }

    private void patch(long offset, byte[] buf, int n) {
        Transport.Req r = new Transport.Req("PATCH", location, target).once().scopes(scopes)
                .timeout(timeoutFor(n))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", offset + "-" + (offset + n - 1))
                .body(() -> BodyPublishers.ofByteArray(buf, 0, n));
        sent += n; // counted before: a piece lost in transit went out all the same
        HttpResponse<InputStream> resp = transport.send(r);
        if (resp.statusCode() != 202) throw transport.error(resp, target);
        next(resp);
        Transport.discard(resp);
    }

    private void finish(byte[] buf, int n) {
        Transport.Req r = new Transport.Req("PUT", RegistryClient.withQuery(location, "digest=" + blob.digest()), target).once().scopes(scopes)
                .timeout(timeoutFor(n))
                .header("Content-Type", "application/octet-stream")
                .body(() -> n == 0 ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(buf, 0, n));
        sent += n;
        HttpResponse<InputStream> resp = transport.send(r);
        if (resp.statusCode() != 201) throw transport.error(resp, target);
        Transport.discard(resp);
        options.progress().blob(blob.digest(), blob.size(), blob.size());
    }

    /**
     * Where to go on after a failure: the registry's offset, 0 on a new session, or nothing when
     * the blob turns out to be complete (the closing PUT landed but its answer was lost).
     */
    private Optional<Long> resume() {
        if (client.blobSize(repo, blob.digest(), scopes).filter(s -> s < 0 || s == blob.size()).isPresent()) return Optional.empty();
        Long at = status();
        if (at == null || at > blob.size()) {
            location = client.startUpload(repo, blob.digest(), null);
            at = 0L;
        }
        return Optional.of(at);
    }

    /** The registry's offset in the upload, or null when it no longer knows the upload. */
    private Long status() {
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("GET", location, target).scopes(scopes));
        int s = resp.statusCode();
        if (s == 404 || s == 400) {
            Transport.discard(resp);
            return null;
        }
        if (s != 204 && s != 202 && s != 200) throw transport.error(resp, target);
        next(resp);
        Transport.discard(resp);
        Optional<String> range = resp.headers().firstValue("Range");
        if (range.isEmpty()) return 0L;
        return rangeEnd(range.get());
    }

    /**
     * The offset after {@code 0-N} (also {@code bytes=0-N}). Distribution writes {@code 0-0} for
     * an empty upload as well as for one holding a byte; 0 is right here, as every piece kiln
     * sends is at least 4 KiB, so a registry never holds exactly one byte of ours.
     */
    static Long rangeEnd(String range) {
        String r = range.trim();
        if (r.startsWith("bytes=")) r = r.substring(6);
        int dash = r.indexOf('-');
        if (dash < 0) return null;
        try {
            long end = Long.parseLong(r.substring(dash + 1).trim());
            return end <= 0 ? 0L : end + 1;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Each answer moves the session to a new URL (distribution signs the offset into it). */
    private void next(HttpResponse<InputStream> resp) {
        resp.headers().firstValue("Location").ifPresent(l -> location = resp.request().uri().resolve(l));
    }

    /**
     * What is worth another try: no answer, an answer saying "later", a lost session, or a
     * source that failed to read. A refused digest, size or credential is final.
     */
    private static boolean recoverable(Exception e) {
        if (e instanceof RegistryException re) {
            return switch (re.kind()) {
                case CONNECTION -> true;
                case HTTP -> Transport.retryable(re.status()) || re.hasCode("BLOB_UPLOAD_UNKNOWN") || re.hasCode("BLOB_UPLOAD_INVALID");
                default -> false;
            };
        }
        return e instanceof IOException;
    }

    /** Long enough for a slow link (64 KiB/s) without waiting forever on a dead one. */
    private Duration timeoutFor(long bytes) {
        return transport.config.requestTimeout().plusSeconds(bytes >> 16);
    }

    private static void close(InputStream in) {
        if (in == null) return;
        try {
            in.close();
        } catch (IOException ignored) {
            // a source we are done with
        }
    }
}
