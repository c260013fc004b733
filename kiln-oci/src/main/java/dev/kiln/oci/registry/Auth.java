package dev.kiln.oci.registry;

import dev.kiln.oci.registry.RegistryException.Kind;
import dev.kiln.oci.registry.RegistryException.Target;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Credentials for registry requests. A registry says which scheme it wants in its first 401;
 * from then on every request to it carries credentials up front, so a large upload is not sent
 * only to be refused. Bearer tokens are fetched from the challenge's realm for the request's
 * scopes and kept per registry and scope set until shortly before they expire; parallel
 * transfers that need the same token wait for one fetch.
 */
final class Auth {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The token spec's default lifetime, when the token server gives none. */
    private static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);

    private final CredentialStore store;
    private final Transport transport;
    private final ConcurrentHashMap<String, Challenge> schemes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TokenKey, CompletableFuture<Token>> tokens = new ConcurrentHashMap<>();

    Auth(CredentialStore store, Transport transport) {
        this.store = store;
        this.transport = transport;
    }

    private record TokenKey(String registry, String realm, String service, Set<String> scopes) {}

    private record Token(String value, Instant expires) {
        boolean fresh() {
            return Instant.now().isBefore(expires);
        }
    }

    /** The challenge {@code registry} answered with last, if it asked for credentials. */
    Optional<Challenge> challenge(String registry) {
        return Optional.ofNullable(schemes.get(registry));
    }

    /** The {@code Authorization} value for a request, or null while the registry has not asked for one. */
    String header(Target target, Set<String> scopes) {
        Challenge c = schemes.get(target.registry());
        if (c == null) return null;
        if (c.isBasic()) return store.lookup(target.registry(), target.repository()).map(Credentials::basicHeader).orElse(null);
        if (c.isBearer()) return "Bearer " + token(target, c, scopes, scopes, null).value();
        return null;
    }

    /**
     * After a 401 to a request that carried {@code sent} (null: none): learns the registry's
     * scheme and gets new credentials; false when trying again cannot help (no credentials, or
     * these very credentials were refused).
     */
    boolean unauthorized(Target target, Set<String> scopes, List<Challenge> challenges, String sent) {
        Challenge c = challenges.stream().filter(Challenge::isBearer).findFirst()
                .or(() -> challenges.stream().filter(Challenge::isBasic).findFirst()).orElse(null);
        if (c == null) return false;
        schemes.put(target.registry(), c);
        if (c.isBasic()) {
            Optional<Credentials> creds = store.lookup(target.registry(), target.repository());
            return creds.isPresent() && !creds.get().basicHeader().equals(sent);
        }
        // The registry names the scopes it wants (a mount also needs pull on the source), and an
        // expired or narrower token comes back here: ask for everything, drop the refused token.
        Set<String> wanted = new TreeSet<>(scopes);
        wanted.addAll(c.scopes());
        String refused = sent != null && sent.startsWith("Bearer ") ? sent.substring(7) : null;
        Token t = token(target, c, scopes, wanted, refused);
        return !t.value().equals(refused);
    }

    /** Says what credentials were used, for the message of a refused request. */
    String hint(Target target) {
        Optional<Credentials> creds = store.lookup(target.registry(), target.repository());
        if (creds.isPresent()) return "credentials of user " + creds.get().username() + " were refused";
        return "no credentials for " + target.registry() + ": give a user and password, or log in with docker, podman or skopeo";
    }

    /**
     * The token cached for {@code key scopes}, or one fetched for {@code wanted} (a superset),
     * unless the cached one is {@code refused} or stale.
     */
    private Token token(Target target, Challenge c, Set<String> key, Set<String> wanted, String refused) {
        TokenKey k = new TokenKey(target.registry(), c.realm(), c.service(), Set.copyOf(new TreeSet<>(key)));
        CompletableFuture<Token> mine = new CompletableFuture<>();
        CompletableFuture<Token> f = tokens.compute(k, (kk, old) -> {
            if (old != null && (!old.isDone() || usable(old, refused))) return old;
            return mine;
        });
        if (f == mine) {
            try {
                mine.complete(fetch(target, c, wanted));
            } catch (RuntimeException e) {
                tokens.remove(k, mine);
                mine.completeExceptionally(e);
            }
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw e;
        }
    }

    private static boolean usable(CompletableFuture<Token> f, String refused) {
        if (f.isCompletedExceptionally()) return false;
        Token t = f.join();
        return t.fresh() && !t.value().equals(refused);
    }

    /** Asks the token server: {@code GET realm?service=…&scope=…&scope=…}, with basic credentials if we have some. */
    private Token fetch(Target target, Challenge c, Set<String> scopes) {
        String realm = c.realm();
        Target where = new Target(target.registry(), target.repository(), "token from " + realm);
        if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
            throw new RegistryException(Kind.AUTH, where, 401, List.of(), "the Bearer challenge has no http(s) realm: " + c, null);
        }
        StringBuilder q = new StringBuilder();
        if (c.service() != null) q.append("service=").append(encode(c.service()));
        for (String s : scopes) q.append(q.isEmpty() ? "" : "&").append("scope=").append(encode(s));
        URI uri = URI.create(realm + (q.isEmpty() ? "" : (realm.contains("?") ? "&" : "?") + q));
        Transport.Req r = new Transport.Req("GET", uri, where).anonymous().header("Accept", "application/json");
        Optional<Credentials> creds = store.lookup(target.registry(), target.repository());
        creds.ifPresent(cr -> r.header("Authorization", cr.basicHeader()));
        Instant asked = Instant.now();
        HttpResponse<InputStream> resp = transport.send(r);
        if (resp.statusCode() != 200) {
            int status = resp.statusCode();
            byte[] body = Transport.readError(resp);
            String hint = status == 401 || status == 403 ? hint(target) : null;
            throw RegistryException.http(where, status, body, hint);
        }
        byte[] body = Transport.readSmall(resp, 1 << 20, where);
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (RuntimeException e) {
            throw RegistryException.verification(where, "answer is not JSON");
        }
        String token = json.path("token").asString("");
        if (token.isEmpty()) token = json.path("access_token").asString("");
        if (token.isEmpty()) throw RegistryException.verification(where, "answer has no token (nor access_token)");
        long seconds = json.path("expires_in").asLong(0);
        Duration life = seconds > 0 ? Duration.ofSeconds(seconds) : DEFAULT_LIFETIME;
        // Counted from when we asked, not the server's issued_at: no clock skew to trust. A token
        // is dropped a little early so it does not expire in flight.
        Duration margin = life.dividedBy(10).compareTo(Duration.ofSeconds(10)) < 0 ? life.dividedBy(10) : Duration.ofSeconds(10);
        return new Token(token, asked.plus(life).minus(margin));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
