package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.Index;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.registry.RegistryException.Kind;
import dev.kiln.oci.registry.RegistryException.Target;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A client of OCI registries (the distribution API, v2). Low-level operations move one blob or
 * manifest; {@link #push} and {@link #pull} move whole images between a registry and an
 * {@link OciLayout}, children before parents and the tag last, so a failure leaves no tag
 * pointing at a partial image.
 *
 * <p>Everything that comes from a registry is checked against the digest it is addressed by
 * (for a manifest pulled by tag, the registry's {@code Docker-Content-Digest}) and the size its
 * descriptor gives, before it is used or stored. One client is safe to share between threads; it
 * keeps tokens, the scheme each registry asked for, and where it has seen each blob (a later push
 * to another repository of the same registry mounts it instead of uploading it).
 */
public final class RegistryClient implements AutoCloseable {
    /** What a manifest GET accepts: OCI and Docker manifests and indexes. */
    static final String ACCEPT = String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
            MediaTypes.DOCKER_MANIFEST_LIST);
    /** How deep indexes may nest: deeper is taken for a loop or an attack. */
    private static final int MAX_DEPTH = 8;
    private static final int MAX_MOUNT_TRIES = 3;

    /**
     * How to reach registries. {@code insecure}: plain HTTP instead of TLS (for a local registry;
     * TLS is never left unverified, a private authority goes in {@code caCertificates}, a PEM
     * file trusted besides the JDK's authorities). A request is tried at most {@code maxAttempts}
     * times, waiting {@code retryDelay}, then twice that, and so on (or what the registry's
     * {@code Retry-After} says, up to a minute) between attempts.
     */
    public record Config(CredentialStore credentials, boolean insecure, Path caCertificates, int maxAttempts, Duration retryDelay,
                         Duration requestTimeout) {
        public Config {
            Objects.requireNonNull(credentials, "credentials");
            if (maxAttempts < 1 || maxAttempts > 100) throw new OciException("maxAttempts " + maxAttempts + ": from 1 to 100");
            if (retryDelay == null || retryDelay.isNegative()) throw new OciException("retryDelay must be zero or more");
            if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new OciException("requestTimeout must be positive");
            }
        }

        /** Credentials from the environment's auth files, TLS, 5 attempts from 0.5 s apart, 60 s per request. */
        public static Config defaults() {
            return new Config(CredentialStore.fromEnvironment(), false, null, 5, Duration.ofMillis(500), Duration.ofSeconds(60));
        }

        public Config withCredentials(CredentialStore c) {
            return new Config(c, insecure, caCertificates, maxAttempts, retryDelay, requestTimeout);
        }

        public Config withInsecure(boolean plainHttp) {
            return new Config(credentials, plainHttp, caCertificates, maxAttempts, retryDelay, requestTimeout);
        }

        public Config withCaCertificates(Path pem) {
            return new Config(credentials, insecure, pem, maxAttempts, retryDelay, requestTimeout);
        }

        public Config withRetries(int attempts, Duration firstDelay) {
            return new Config(credentials, insecure, caCertificates, attempts, firstDelay, requestTimeout);
        }

        public Config withRequestTimeout(Duration t) {
            return new Config(credentials, insecure, caCertificates, maxAttempts, retryDelay, t);
        }
    }

    /**
     * How to move an image: up to {@code parallelism} blobs at once; blobs larger than
     * {@code chunkSize} uploaded in pieces of that size (each piece is held in memory once per
     * parallel transfer, and an interrupted upload resumes at a piece boundary);
     * {@code progress} told of every blob; {@code mountFrom} names repositories of the
     * destination registry that may hold the blobs already (tried before an upload, besides the
     * ones this client has seen them in).
     */
    public record Options(int parallelism, long chunkSize, Progress progress, List<String> mountFrom) {
        public static final long DEFAULT_CHUNK_SIZE = 16 << 20;

        public Options {
            if (parallelism < 1 || parallelism > 32) throw new OciException("parallelism " + parallelism + ": from 1 to 32");
            if (chunkSize < 4096 || chunkSize > 1 << 30) throw new OciException("chunk size " + chunkSize + ": from 4 KiB to 1 GiB");
            progress = progress == null ? Progress.NONE : progress;
            mountFrom = mountFrom == null ? List.of() : List.copyOf(mountFrom);
        }

        /** 3 blobs at a time, 16 MiB pieces, no progress, no mount hints. */
        public static Options defaults() {
            return new Options(3, DEFAULT_CHUNK_SIZE, Progress.NONE, List.of());
        }

        public Options withParallelism(int n) {
            return new Options(n, chunkSize, progress, mountFrom);
        }

        public Options withChunkSize(long bytes) {
            return new Options(parallelism, bytes, progress, mountFrom);
        }

        public Options withProgress(Progress p) {
            return new Options(parallelism, chunkSize, p, mountFrom);
        }

        public Options withMountFrom(List<String> repositories) {
            return new Options(parallelism, chunkSize, progress, repositories);
        }
    }

    /** A manifest or index as the registry served it: its descriptor, its exact bytes, what they decode to. */
    public record FetchedManifest(Descriptor descriptor, byte[] bytes, OciJson.Document document) {}

    private final Config config;
    private final Transport transport;
    /** Per registry, the repositories each blob was seen in: candidates for a mount. */
    private final Map<String, Map<Digest, Set<String>>> seen = new ConcurrentHashMap<>();

    private RegistryClient(Config config) {
        this.config = config;
        this.transport = new Transport(config);
    }

    public static RegistryClient create(Config config) {
        return new RegistryClient(config);
    }

    /** A client with {@link Config#defaults()}. */
    public static RegistryClient create() {
        return new RegistryClient(Config.defaults());
    }

    public Config config() {
        return config;
    }

    // ---- the registry ----

    /**
     * {@code GET /v2/}, authenticating if the registry asks: checks that the registry speaks the
     * API and accepts the credentials. Returns the challenge it answered with first (its auth
     * scheme, realm and service), empty if it let us in without one.
     */
    public Optional<Challenge> ping(String registry) {
        Target t = new Target(registry, null, "/v2/");
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("GET", URI.create(transport.base(registry) + "/v2/"), t));
        if (resp.statusCode() != 200) throw transport.error(resp, t);
        Transport.discard(resp);
        return transport.auth.challenge(registry);
    }

    // ---- manifests ----

    /**
     * The manifest or index {@code reference} (a tag or a digest) of {@code repo}, checked against
     * the digest: the reference's own, or for a tag the registry's {@code Docker-Content-Digest}
     * (a tag pulled from a registry that sends none can only be hashed, not checked).
     */
    public FetchedManifest getManifest(Repository repo, String reference) {
        Digest byDigest = reference.contains(":") ? Digest.parse(reference, "manifest reference") : null;
        if (byDigest == null) OciLayout.checkTag(reference);
        Target t = at(repo, "manifest " + reference);
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("GET", transport.url(repo, "/manifests/" + reference), t)
                .header("Accept", ACCEPT).scopes(pullScope(repo)));
        if (resp.statusCode() != 200) throw transport.error(resp, t);
        String served = resp.headers().firstValue("Docker-Content-Digest").map(String::trim).orElse(null);
        String contentType = resp.headers().firstValue("Content-Type").map(RegistryClient::bareType).orElse(null);
        byte[] bytes = Transport.readSmall(resp, OciJson.MAX_DOCUMENT, t);
        Digest expected = byDigest;
        if (served != null) {
            Digest claimed;
            try {
                claimed = Digest.parse(served, "Docker-Content-Digest");
            } catch (OciException e) {
                throw RegistryException.verification(t, e.getMessage());
            }
            if (expected != null && !claimed.equals(expected)) {
                throw RegistryException.verification(t, "the registry says its digest is " + claimed + ", not the " + expected + " asked for");
            }
            expected = claimed;
        }
        Digest actual = digest(bytes, expected != null ? expected.algorithm() : "sha256");
        if (expected != null && !actual.equals(expected)) {
            throw RegistryException.verification(t, "content does not match its digest " + expected + " (it hashes to " + actual + ")");
        }
        String known = MediaTypes.isIndex(contentType) || MediaTypes.isManifest(contentType) ? contentType : null;
        OciJson.Document doc;
        try {
            doc = OciJson.decodeManifestOrIndex(bytes, known, t.toString());
        } catch (OciException e) {
            throw new RegistryException(Kind.VERIFICATION, t, 200, List.of(), "not a usable manifest: " + e.getMessage(), e);
        }
        String mediaType = switch (doc) {
            case OciJson.IndexDocument(Index i) -> i.mediaType();
            case OciJson.ManifestDocument(Manifest m) -> m.mediaType();
        };
        return new FetchedManifest(Descriptor.of(mediaType, actual, bytes.length), bytes, doc);
    }

    /** The manifest {@code expected} describes, checked against its digest and size. */
    public FetchedManifest fetchManifest(Repository repo, Descriptor expected) {
        FetchedManifest f = getManifest(repo, expected.digest().toString());
        if (f.bytes().length != expected.size()) {
            throw RegistryException.verification(at(repo, "manifest " + expected.digest()),
                    f.bytes().length + " bytes, its descriptor gives " + expected.size());
        }
        return f;
    }

    /** What {@code ref} points at ({@code HEAD}), or empty when the repository has no such tag or digest. */
    public Optional<Descriptor> resolve(ImageReference.Registry ref) {
        return resolve(ref, pullScope(Repository.of(ref)));
    }

    private Optional<Descriptor> resolve(ImageReference.Registry ref, Set<String> scopes) {
        Repository repo = Repository.of(ref);
        Target t = at(repo, "manifest " + ref.reference());
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("HEAD", transport.url(repo, "/manifests/" + ref.reference()), t)
                .header("Accept", ACCEPT).scopes(scopes));
        Transport.discard(resp);
        if (resp.statusCode() == 404) return Optional.empty();
        if (resp.statusCode() != 200) throw transport.error(resp, t);
        Optional<String> d = resp.headers().firstValue("Docker-Content-Digest");
        OptionalLong len = resp.headers().firstValueAsLong("Content-Length");
        String type = resp.headers().firstValue("Content-Type").map(RegistryClient::bareType).orElse("");
        if (d.isEmpty() || len.isEmpty() || !(MediaTypes.isIndex(type) || MediaTypes.isManifest(type))) {
            // not all registries describe a manifest in a HEAD answer: fetch it
            return Optional.of(getManifest(repo, ref.reference()).descriptor());
        }
        Digest digest;
        try {
            digest = Digest.parse(d.get().trim(), "Docker-Content-Digest");
        } catch (OciException e) {
            throw RegistryException.verification(t, e.getMessage());
        }
        if (ref.digest() != null && !digest.equals(ref.digest())) {
            throw RegistryException.verification(t, "the registry says its digest is " + digest + ", not the " + ref.digest() + " asked for");
        }
        return Optional.of(Descriptor.of(type, digest, len.getAsLong()));
    }

    /**
     * Puts a manifest or index under {@code reference} (a tag, or its own digest), with
     * {@code mediaType} as its Content-Type; checks the digest the registry answers with.
     */
    public Descriptor putManifest(Repository repo, String reference, String mediaType, byte[] bytes) {
        Target t = at(repo, "manifest " + reference);
        if (bytes.length > OciJson.MAX_DOCUMENT) throw new OciException(t + ": " + bytes.length + " bytes, more than a registry takes");
        Digest d = Digest.of(bytes);
        if (reference.contains(":")) {
            if (!Digest.parse(reference, t.toString()).equals(d)) throw new OciException(t + ": the manifest's digest is " + d);
        } else {
            OciLayout.checkTag(reference);
        }
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("PUT", transport.url(repo, "/manifests/" + reference), t)
                .header("Content-Type", mediaType).scopes(pushScope(repo)).body(() -> BodyPublishers.ofByteArray(bytes)));
        if (resp.statusCode() != 201 && resp.statusCode() != 200) throw transport.error(resp, t);
        Transport.discard(resp);
        Optional<String> served = resp.headers().firstValue("Docker-Content-Digest").map(String::trim);
        if (served.isPresent() && !served.get().equals(d.toString())) {
            throw RegistryException.verification(t, "the registry stored it as " + served.get() + ", its digest is " + d);
        }
        return Descriptor.of(mediaType, d, bytes.length);
    }

    // ---- blobs ----

    /** The size of blob {@code digest} in {@code repo} ({@code HEAD}; -1 when not given), or empty if it is not there. */
    public Optional<Long> blobSize(Repository repo, Digest digest) {
        return blobSize(repo, digest, pullScope(repo));
    }

    Optional<Long> blobSize(Repository repo, Digest digest, Set<String> scopes) {
        Target t = at(repo, "blob " + digest);
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("HEAD", transport.url(repo, "/blobs/" + digest), t).scopes(scopes));
        Transport.discard(resp);
        if (resp.statusCode() == 404) return Optional.empty();
        if (resp.statusCode() != 200) throw transport.error(resp, t);
        return Optional.of(resp.headers().firstValueAsLong("Content-Length").orElse(-1));
    }

    /**
     * Links blob {@code digest} from repository {@code from} of the same registry into
     * {@code repo} without sending it; false when the registry could not (it does not have the
     * blob there, or does not mount).
     */
    public boolean mountBlob(Repository repo, Digest digest, String from) {
        URI upload = startUpload(repo, digest, from);
        if (upload == null) {
            remember(repo, digest);
            return true;
        }
        cancelUpload(repo, digest, upload);
        return false;
    }

    /**
     * Puts a blob into {@code repo} unless it is there: a mount when another repository of the
     * registry has it ({@link Options#mountFrom()}, or where this client saw it), else an upload
     * that resumes after failures.
     */
    public BlobPush pushBlob(Repository repo, Descriptor blob, BlobSource source, Options options) throws IOException {
        Digest d = blob.digest();
        Progress progress = options.progress();
        Optional<Long> have = blobSize(repo, d, pushScope(repo));
        if (have.isPresent() && (have.get() < 0 || have.get() == blob.size())) {
            remember(repo, d);
            progress.blob(d, blob.size(), blob.size());
            return new BlobPush(d, blob.size(), BlobPush.Outcome.EXISTED, 0, List.of());
        }
        URI upload = null;
        List<String> candidates = mountCandidates(repo, d, options);
        for (int i = 0; i < candidates.size() && upload == null; i++) {
            try {
                upload = startUpload(repo, d, candidates.get(i));
            } catch (RegistryException e) {
                // no read access to that repository, or a registry that refuses mounts: upload it
                if (e.kind() != Kind.AUTH && e.kind() != Kind.HTTP) throw e;
                continue;
            }
            if (upload == null) {
                remember(repo, d);
                progress.blob(d, blob.size(), blob.size());
                return new BlobPush(d, blob.size(), BlobPush.Outcome.MOUNTED, 0, List.of());
            }
            // The registry opened an upload instead (202): keep it for the last candidate.
            if (i < candidates.size() - 1) {
                cancelUpload(repo, d, upload);
                upload = null;
            }
        }
        if (upload == null) upload = startUpload(repo, d, null);
        BlobPush pushed = new Uploader(this, transport, repo, blob, source, options, upload).run();
        remember(repo, d);
        return pushed;
    }

    /**
     * Blob {@code blob} of {@code repo}, following the registry's redirects (to its storage, which
     * gets no credentials), verified as it is read: the stream fails at its end unless exactly the
     * descriptor's size with its digest came.
     */
    public InputStream openBlob(Repository repo, Descriptor blob) {
        HttpResponse<InputStream> resp = getBlob(repo, blob);
        return Digest.verifying(resp.body(), blob.digest(), blob.size(), at(repo, "blob " + blob.digest()).toString());
    }

    /**
     * {@code POST} a new upload session, with {@code mountFrom} a mount; null when the blob was
     * mounted (201), else the session's URL.
     */
    URI startUpload(Repository repo, Digest digest, String mountFrom) {
        Target t = at(repo, "blob " + digest);
        String query = mountFrom == null ? "" : "?mount=" + digest + "&from=" + mountFrom;
        Set<String> scopes = pushScope(repo);
        if (mountFrom != null) {
            scopes = new TreeSet<>(scopes);
            scopes.add("repository:" + mountFrom + ":pull");
        }
        HttpResponse<InputStream> resp = transport.send(new Transport.Req("POST", transport.url(repo, "/blobs/uploads/" + query), t)
                .scopes(scopes));
        int s = resp.statusCode();
        if (s == 201 && mountFrom != null) {
            Transport.discard(resp);
            return null;
        }
        if (s != 202) throw transport.error(resp, t);
        Transport.discard(resp);
        String location = resp.headers().firstValue("Location")
                .orElseThrow(() -> RegistryException.verification(t, "the registry opened an upload without a Location"));
        return resp.request().uri().resolve(location);
    }

    /** Best effort: a session left open only costs the registry some space until it purges it. */
    private void cancelUpload(Repository repo, Digest digest, URI upload) {
        try {
            Transport.discard(transport.send(new Transport.Req("DELETE", upload, at(repo, "blob " + digest)).scopes(pushScope(repo))));
        } catch (RegistryException ignored) {
            // the session expires on its own
        }
    }

    /** {@code GET} a blob, by hand through redirects, with the registry's headers checked against the descriptor. */
    private HttpResponse<InputStream> getBlob(Repository repo, Descriptor d) {
        Target t = at(repo, "blob " + d.digest());
        URI origin = transport.url(repo, "/blobs/" + d.digest());
        URI uri = origin;
        for (int hop = 0; ; hop++) {
            Transport.Req r = new Transport.Req("GET", uri, t).scopes(pullScope(repo));
            if (!sameOrigin(uri, origin)) r.anonymous();
            HttpResponse<InputStream> resp = transport.send(r);
            int s = resp.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                Optional<String> next = resp.headers().firstValue("Location");
                Transport.discard(resp);
                if (next.isEmpty()) throw RegistryException.verification(t, "redirect " + s + " without a Location");
                if (hop >= 5) throw RegistryException.verification(t, "more than 5 redirects");
                uri = uri.resolve(next.get());
                continue;
            }
            if (s != 200) throw transport.error(resp, t);
            try {
                OptionalLong len = resp.headers().firstValueAsLong("Content-Length");
                if (len.isPresent() && len.getAsLong() != d.size()) {
                    throw RegistryException.verification(t, "the registry sends " + len.getAsLong() + " bytes (Content-Length), the descriptor gives " + d.size());
                }
            } catch (NumberFormatException e) {
                Transport.discard(resp);
                throw RegistryException.verification(t, "Content-Length is not a number");
            } catch (RegistryException e) {
                Transport.discard(resp);
                throw e;
            }
            Optional<String> served = resp.headers().firstValue("Docker-Content-Digest").map(String::trim);
            if (served.isPresent() && !served.get().equals(d.digest().toString())) {
                Transport.discard(resp);
                throw RegistryException.verification(t, "the registry says it is " + served.get());
            }
            return resp;
        }
    }

    // ---- images ----

    public PushResult push(OciLayout src, Descriptor manifestOrIndex, ImageReference.Registry dst) throws IOException {
        return push(src, manifestOrIndex, dst, Options.defaults());
    }

    /**
     * Pushes the image {@code manifestOrIndex} of {@code src} to {@code dst}: every blob the
     * repository lacks (in parallel), then the manifests of an index by digest, then the top
     * manifest or index under {@code dst}'s tag (or its digest) last. The layout is read and
     * checked first; the registry's tag moves only when everything under it is in place.
     */
    public PushResult push(OciLayout src, Descriptor manifestOrIndex, ImageReference.Registry dst, Options options) throws IOException {
        Repository repo = Repository.of(dst);
        if (dst.digest() != null && !dst.digest().equals(manifestOrIndex.digest())) {
            throw new OciException(dst + ": the digest given is not the image's, " + manifestOrIndex.digest());
        }
        Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
        List<Stored> manifests = new ArrayList<>();
        plan(src, manifestOrIndex, blobs, manifests, 0);
        for (Descriptor b : blobs.values()) {
            if (!src.hasBlob(b.digest())) throw new OciException(src.directory() + ": blob " + b.digest() + " of the image is missing");
        }
        List<Descriptor> order = bySizeDescending(blobs.values());
        for (Descriptor b : order) options.progress().blob(b.digest(), 0, b.size());
        List<BlobPush> pushed = inParallel(order, options.parallelism(), b -> pushBlob(repo, b, BlobSource.of(src, b), options));
        int put = 0;
        for (Stored m : manifests.subList(0, manifests.size() - 1)) {
            if (hasManifest(repo, m.descriptor().digest())) continue;
            putManifest(repo, m.descriptor().digest().toString(), m.descriptor().mediaType(), m.bytes());
            put++;
        }
        Stored top = manifests.getLast();
        putManifest(repo, dst.tag() != null ? dst.tag() : top.descriptor().digest().toString(), top.descriptor().mediaType(), top.bytes());
        put++;
        Descriptor result = Descriptor.of(manifestOrIndex.mediaType(), manifestOrIndex.digest(), manifestOrIndex.size());
        return new PushResult(result, pushed, put);
    }

    public Descriptor pull(ImageReference.Registry src, OciLayout dst, String tag) throws IOException {
        return pull(src, dst, tag, Options.defaults());
    }

    /**
     * Pulls image {@code src} into {@code dst}: the manifest or index and everything under it
     * (all platforms), each verified before it is stored; then tags it {@code tag} in the layout
     * (null: no tag). Manifests are fetched and checked first, then the blobs the layout lacks
     * (in parallel), then the manifests are stored, children first, and the tag is set last.
     * Blobs stored before a failure stay (whole and verified, unreferenced): a second pull does
     * not fetch them again.
     */
    public Descriptor pull(ImageReference.Registry src, OciLayout dst, String tag, Options options) throws IOException {
        if (tag != null) OciLayout.checkTag(tag);
        Repository repo = Repository.of(src);
        FetchedManifest top = getManifest(repo, src.reference());
        Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
        List<FetchedManifest> manifests = new ArrayList<>();
        collect(repo, top, blobs, manifests, 0);
        List<Descriptor> missing = new ArrayList<>();
        for (Descriptor b : bySizeDescending(blobs.values())) {
            if (dst.hasBlob(b.digest())) options.progress().blob(b.digest(), b.size(), b.size());
            else {
                missing.add(b);
                options.progress().blob(b.digest(), 0, b.size());
            }
        }
        inParallel(missing, options.parallelism(), b -> {
            download(repo, b, dst, options.progress());
            return null;
        });
        for (FetchedManifest m : manifests) {
            if (!dst.hasBlob(m.descriptor().digest())) dst.putBlob(m.descriptor(), new ByteArrayInputStream(m.bytes()));
        }
        for (Descriptor b : blobs.values()) remember(repo, b.digest());
        if (tag != null) dst.tag(tag, top.descriptor());
        return top.descriptor();
    }

    private record Stored(Descriptor descriptor, byte[] bytes) {}

    /** The manifests under {@code d} in {@code src}, children first, and the blobs they name. */
    private static void plan(OciLayout src, Descriptor d, Map<Digest, Descriptor> blobs, List<Stored> manifests, int depth) throws IOException {
        if (depth > MAX_DEPTH) throw new OciException(src.directory() + ": indexes nested more than " + MAX_DEPTH + " deep at " + d.digest());
        byte[] bytes = src.readBlob(d);
        OciJson.Document doc = OciJson.decodeManifestOrIndex(bytes, d.mediaType(), src.directory() + ": " + d.digest());
        switch (doc) {
            case OciJson.IndexDocument(Index i) -> {
                for (Descriptor child : i.manifests()) plan(src, child, blobs, manifests, depth + 1);
            }
            case OciJson.ManifestDocument(Manifest m) -> {
                blobs.putIfAbsent(m.config().digest(), m.config());
                for (Descriptor l : m.layers()) blobs.putIfAbsent(l.digest(), l);
            }
        }
        for (Stored s : manifests) if (s.descriptor().digest().equals(d.digest())) return;
        manifests.add(new Stored(d, bytes));
    }

    /** Fetches the manifests under {@code m}, children first, and gathers the blobs they name. */
    private void collect(Repository repo, FetchedManifest m, Map<Digest, Descriptor> blobs, List<FetchedManifest> out, int depth) {
        if (depth > MAX_DEPTH) {
            throw RegistryException.verification(at(repo, "manifest " + m.descriptor().digest()), "indexes nested more than " + MAX_DEPTH + " deep");
        }
        switch (m.document()) {
            case OciJson.IndexDocument(Index i) -> {
                for (Descriptor child : i.manifests()) {
                    if (out.stream().anyMatch(f -> f.descriptor().digest().equals(child.digest()))) continue;
                    collect(repo, fetchManifest(repo, child), blobs, out, depth + 1);
                }
            }
            case OciJson.ManifestDocument(Manifest man) -> {
                blobs.putIfAbsent(man.config().digest(), man.config());
                for (Descriptor l : man.layers()) blobs.putIfAbsent(l.digest(), l);
            }
        }
        out.add(m);
    }

    /**
     * Whether {@code repo} has manifest {@code digest} (so an index push need not put it again);
     * asked with the push's scope, so a push needs one token.
     */
    private boolean hasManifest(Repository repo, Digest digest) {
        return resolve(new ImageReference.Registry(repo.registry(), repo.name(), null, digest), pushScope(repo)).isPresent();
    }

    /**
     * Fetches one blob into the layout, which verifies it while writing and keeps it only if it
     * matches. A connection lost mid-blob starts the blob again; bytes that do not match their
     * digest are not retried: the registry would only serve them again.
     */
    private void download(Repository repo, Descriptor d, OciLayout dst, Progress progress) throws IOException {
        Target t = at(repo, "blob " + d.digest());
        for (int attempt = 1; ; attempt++) {
            HttpResponse<InputStream> resp = getBlob(repo, d);
            try (InputStream in = new Network(resp.body(), d, progress)) {
                dst.putBlob(d, in);
                progress.blob(d.digest(), d.size(), d.size());
                return;
            } catch (RegistryException e) {
                throw e;
            } catch (OciException e) {
                throw new RegistryException(Kind.VERIFICATION, t, 200, List.of(), "the registry's bytes do not match the descriptor: " + e.getMessage(), e);
            } catch (NetworkFailure e) {
                if (attempt >= config.maxAttempts()) throw Transport.connectionFailed(t, attempt, e.getCause());
                transport.sleep(transport.backoff(attempt), t);
            }
        }
    }

    /** An I/O failure of the network stream, told apart from the layout's own (a full disk is not retried). */
    private static final class NetworkFailure extends IOException {
        NetworkFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /** A blob's body: marks its I/O failures as the network's and reports progress every 1 MiB. */
    private static final class Network extends FilterInputStream {
        private final Descriptor blob;
        private final Progress progress;
        private long done, reported;

        Network(InputStream in, Descriptor blob, Progress progress) {
            super(in);
            this.blob = blob;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                throw new NetworkFailure(e);
            }
            if (n > 0) {
                done += n;
                if (done - reported >= 1 << 20) {
                    reported = done;
                    progress.blob(blob.digest(), done, blob.size());
                }
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (IOException ignored) {
                // closing a finished or abandoned response only releases its connection
            }
        }
    }

    // ---- helpers ----

    @FunctionalInterface
    private interface Job<T, R> {
        R run(T item) throws IOException;
    }

    /**
     * Runs {@code job} on every item, {@code parallelism} at a time, results in the items' order.
     * The first failure cancels the rest and is thrown once they have all stopped, so nothing
     * keeps writing after this returns.
     */
    private static <T, R> List<R> inParallel(List<T> items, int parallelism, Job<T, R> job) throws IOException {
        if (items.isEmpty()) return List.of();
        if (parallelism == 1 || items.size() == 1) {
            List<R> out = new ArrayList<>();
            for (T item : items) out.add(job.run(item));
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, items.size()), Thread.ofVirtual().name("kiln-registry-", 0).factory());
        try {
            ExecutorCompletionService<Map.Entry<Integer, R>> done = new ExecutorCompletionService<>(pool);
            List<Future<Map.Entry<Integer, R>>> futures = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                int index = i;
                futures.add(done.submit(() -> {
                    R r = job.run(items.get(index));
                    return new java.util.AbstractMap.SimpleImmutableEntry<>(index, r);
                }));
            }
            List<R> out = new ArrayList<>(java.util.Collections.nCopies(items.size(), null));
            try {
                for (int k = 0; k < items.size(); k++) {
                    Map.Entry<Integer, R> e = done.take().get();
                    out.set(e.getKey(), e.getValue());
                }
            } catch (ExecutionException e) {
                for (Future<?> f : futures) f.cancel(true);
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) throw io;
                if (cause instanceof RuntimeException re) throw re;
                if (cause instanceof Error err) throw err;
                throw new UncheckedIOException(new IOException(cause));
            } catch (InterruptedException e) {
                for (Future<?> f : futures) f.cancel(true);
                Thread.currentThread().interrupt();
                throw new OciException("interrupted", e);
            }
            return out;
        } finally {
            pool.shutdownNow();
            pool.close();
        }
    }

    /** Large blobs first, so the parallel transfers end close together. */
    private static List<Descriptor> bySizeDescending(java.util.Collection<Descriptor> blobs) {
        return blobs.stream().sorted(Comparator.comparingLong(Descriptor::size).reversed()).toList();
    }

    private List<String> mountCandidates(Repository repo, Digest d, Options options) {
        LinkedHashSet<String> c = new LinkedHashSet<>(options.mountFrom());
        Map<Digest, Set<String>> known = seen.get(repo.registry());
        if (known != null && known.containsKey(d)) c.addAll(known.get(d));
        c.remove(repo.name());
        return c.stream().limit(MAX_MOUNT_TRIES).toList();
    }

    private void remember(Repository repo, Digest d) {
        seen.computeIfAbsent(repo.registry(), k -> new ConcurrentHashMap<>()).computeIfAbsent(d, k -> ConcurrentHashMap.newKeySet()).add(repo.name());
    }

    static Set<String> pullScope(Repository r) {
        return Set.of("repository:" + r.name() + ":pull");
    }

    static Set<String> pushScope(Repository r) {
        return Set.of("repository:" + r.name() + ":pull,push");
    }

    private static Target at(Repository repo, String subject) {
        return new Target(repo.registry(), repo.name(), subject);
    }

    static URI withQuery(URI u, String param) {
        String s = u.toString();
        int hash = s.indexOf('#');
        if (hash >= 0) s = s.substring(0, hash);
        return URI.create(s + (u.getRawQuery() == null ? "?" : "&") + param);
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost()) && a.getPort() == b.getPort();
    }

    /** {@code application/json; charset=utf-8} → {@code application/json}. */
    private static String bareType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    }

    private static Digest digest(byte[] bytes, String algorithm) {
        MessageDigest h;
        try {
            h = MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new Digest(algorithm, HexFormat.of().formatHex(h.digest(bytes)));
    }

    @Override
    public void close() {
        transport.close();
    }
}
