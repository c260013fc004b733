package dev.kiln.oci.registry;

import dev.kiln.oci.registry.RegistryException.Kind;
import dev.kiln.oci.registry.RegistryException.Target;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Sends registry requests: adds credentials, answers 401 challenges once, retries what may be
 * retried with exponential back-off (and the registry's {@code Retry-After}), and turns errors
 * into {@link RegistryException}s that say where. Bodies always come back as streams: blobs are
 * never held whole, and the callers read small answers themselves.
 */
final class Transport implements AutoCloseable {
    /** More of an error answer is not needed to explain it. */
    static final int ERROR_BODY_LIMIT = 64 << 10;
    private static final Duration MAX_DELAY = Duration.ofSeconds(30);
    private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

    final RegistryClient.Config config;
    private final HttpClient http;
    final Auth auth;


    Transport(RegistryClient.Config config) {
        this.config = config;
        // HTTP/1.1: each parallel blob gets a connection of its own, and a plain-HTTP registry is
        // not offered an h2c upgrade it may mishandle. Redirects are followed by hand (blob GETs
        // only), so credentials never go to the storage a registry redirects to.
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(config.requestTimeout());
        b.sslContext(config.caCertificates() != null ? Trust.withCertificates(config.caCertificates()) : Trust.system());
        this.http = b.build();
        this.auth = new Auth(config.credentials(), this);
    }

    /** {@code https://host} (or {@code http://} when insecure); Docker Hub's API lives on its own host. */
    URI base(String registry) {
        String host = registry.equals("docker.io") ? "registry-1.docker.io" : registry;
        return URI.create((config.insecure() ? "http://" : "https://") + host);
    }

    URI url(Repository repo, String rest) {
        return URI.create(base(repo.registry()) + "/v2/" + repo.name() + rest);
    }

    /** One request, described; {@link #send} turns it into as many attempts as it takes. */
    static final class Req {
        final String method;
        final URI uri;
        final Target target;
        final Map<String, String> headers = new LinkedHashMap<>();
        Supplier<BodyPublisher> body = BodyPublishers::noBody;
        Set<String> scopes = Set.of();
        boolean retry = true;
        boolean credentials = true;
        Duration timeout;

        Req(String method, URI uri, Target target) {
            this.method = method;
            this.uri = uri;
            this.target = target;
        }

        Req header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Req body(Supplier<BodyPublisher> b) {
            body = b;
            return this;
        }

        Req scopes(Set<String> s) {
            scopes = s;
            return this;
        }

        /**
         * Not retried here: an upload's body may have partly reached the registry, so the
         * uploader asks where the upload stands before it sends anything again.
         */
        Req once() {
            retry = false;
            return this;
        }

        /** Sent without the registry's credentials (a token server, storage a blob redirects to). */
        Req anonymous() {
            credentials = false;
            return this;
        }

        Req timeout(Duration t) {
            timeout = t;
            return this;
        }
    }

    /**
     * Sends {@code r}; returns the response whatever its status, except a 401 that stays a 401
     * after one round of authentication, which is thrown. Connection failures and 429/5xx are
     * retried when the request allows it; what is still failing after the last attempt comes back
     * (a status) or is thrown (no answer).
     */
    HttpResponse<InputStream> send(Req r) {
        boolean authRetried = false;
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(r.uri).method(r.method, r.body.get());
            r.headers.forEach(b::header);
            Duration timeout = r.timeout != null ? r.timeout : r.retry ? config.requestTimeout() : null;
            if (timeout != null) b.timeout(timeout);
            String authorization = r.credentials ? auth.header(r.target, r.scopes) : null;
            if (authorization != null) b.header("Authorization", authorization);
            HttpResponse<InputStream> resp;
            try {
                resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                if (r.retry && attempt < config.maxAttempts()) {
                    sleep(backoff(attempt), r.target);
                    continue;
                }
                throw connectionFailed(r.target, attempt, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw interrupted(r.target, e);
            }
            int status = resp.statusCode();
            if (status == 401 && r.credentials) {
                byte[] body = readError(resp);
                List<Challenge> challenges = Challenge.parseAll(resp.headers().allValues("WWW-Authenticate"));
                if (!authRetried && auth.unauthorized(r.target, r.scopes, challenges, authorization)) {
                    authRetried = true;
                    attempt--;
                    continue;
                }
                throw RegistryException.http(r.target, status, body, auth.hint(r.target));
            }
            if (r.retry && retryable(status) && attempt < config.maxAttempts()) {
                Duration wait = retryAfter(resp).orElse(backoff(attempt));
                discard(resp);
                sleep(wait, r.target);
                continue;
            }
            return resp;
        }
    }

    /** Overloaded or failing for now: worth asking again. 501 (not implemented) never changes. */
    static boolean retryable(int status) {
        return status == 429 || status == 408 || status >= 500 && status != 501 && status != 505;
    }

    /** The first retry waits {@code retryDelay}, each next one twice as long, with a quarter of jitter. */
    Duration backoff(int attempt) {
        long base = config.retryDelay().toMillis() << Math.min(attempt - 1, 16);
        long capped = Math.min(base, MAX_DELAY.toMillis());
        long jitter = capped / 4 > 0 ? ThreadLocalRandom.current().nextLong(capped / 4 + 1) : 0;
        return Duration.ofMillis(capped - jitter);
    }

    /** {@code Retry-After} in seconds or as an HTTP date, bounded so a registry cannot park us. */
    static Optional<Duration> retryAfter(HttpResponse<?> resp) {
        Optional<String> v = resp.headers().firstValue("Retry-After");
        if (v.isEmpty()) return Optional.empty();
        String s = v.get().trim();
        Duration d;
        try {
            d = Duration.ofSeconds(Long.parseLong(s));
        } catch (NumberFormatException e) {
            try {
                d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
        if (d.isNegative()) d = Duration.ZERO;
        return Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
    }

    void sleep(Duration d, Target target) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(target, e);
        }
    }

    /** The error answer's body, bounded, then the connection is given back. */
    static byte[] readError(HttpResponse<InputStream> resp) {
        try (InputStream in = resp.body()) {
            return in.readNBytes(ERROR_BODY_LIMIT);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Reads a small answer whole; {@code limit} guards against a registry that sends without end. */
    static byte[] readSmall(HttpResponse<InputStream> resp, int limit, Target target) {
        try (InputStream in = resp.body()) {
            byte[] b = in.readNBytes(limit + 1);
            if (b.length > limit) throw RegistryException.verification(target, "answer larger than " + limit + " bytes");
            return b;
        } catch (IOException e) {
            throw connectionFailed(target, 1, e);
        }
    }

    static void discard(HttpResponse<InputStream> resp) {
        try (InputStream in = resp.body()) {
            in.skip(ERROR_BODY_LIMIT);
        } catch (IOException ignored) {
            // the connection is dropped instead of reused: nothing is lost
        }
    }

    /** An error status as an exception (the body is read for the registry's message). */
    RegistryException error(HttpResponse<InputStream> resp, Target target) {
        int status = resp.statusCode();
        byte[] body = readError(resp);
        return RegistryException.http(target, status, body, status == 401 || status == 403 ? auth.hint(target) : null);
    }

    static RegistryException connectionFailed(Target target, int attempts, IOException e) {
        String what = e.getMessage() != null ? e.getClass().getSimpleName() + ": " + e.getMessage() : e.getClass().getSimpleName();
        String tries = attempts > 1 ? " (" + attempts + " attempts)" : "";
        return new RegistryException(Kind.CONNECTION, target, 0, List.of(), "no answer" + tries + ": " + what, e);
    }

    static RegistryException interrupted(Target target, InterruptedException e) {
        return new RegistryException(Kind.INTERRUPTED, target, 0, List.of(), "interrupted", e);
    }

    /** How long a close waits for exchanges still in flight before it aborts them. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    /**
     * Closes the HTTP client without hanging: {@code HttpClient.close()} waits for every exchange
     * to finish, and one a lying registry left half-read (its body stream closed early after a
     * failed digest) was seen to keep it waiting forever. Exchanges still running after
     * {@link #CLOSE_GRACE} are aborted.
     */
    @Override
    public void close() {
        http.shutdown();
        try {
            if (!http.awaitTermination(CLOSE_GRACE)) http.shutdownNow();
        } catch (InterruptedException e) {
            http.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
