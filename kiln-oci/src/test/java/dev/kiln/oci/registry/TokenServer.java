package dev.kiln.oci.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A token server for distribution's token auth: checks basic credentials and hands out ES256 JWTs
 * granting the scopes asked for, signed with its own key, whose self-signed certificate goes in the
 * token header's {@code x5c} and in the registry's {@code rootcertbundle}. Records each request.
 */
final class TokenServer implements AutoCloseable {
    static final String SERVICE = "kiln-test-registry";
    static final String ISSUER = "kiln-test-issuer";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One token request: the user it authenticated (null: none or refused) and the scopes asked for. */
    record Request(String user, List<String> scopes, int status) {}

    private final HttpServer server;
    private final TestPki.KeyPair keys;
    private final PrivateKey key;
    private final String x5c;
    private final String user, password;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile long expiresIn = 300;

    TokenServer(Path dir, String user, String password) throws Exception {
        this.keys = TestPki.selfSigned(dir, "token-signer");
        this.key = keys.privateKey();
        this.x5c = Base64.getEncoder().encodeToString(keys.x509().getEncoded());
        this.user = user;
        this.password = password;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/token", this::token);
        server.start();
    }

    URI realm() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    Path certificate() {
        return keys.certificate();
    }

    private void token(HttpExchange ex) throws IOException {
        try (ex) {
            List<String> scopes = new ArrayList<>();
            String service = null;
            String query = ex.getRequestURI().getRawQuery();
            if (query != null) {
                for (String kv : query.split("&")) {
                    int eq = kv.indexOf('=');
                    if (eq < 0) continue;
                    String k = kv.substring(0, eq), v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                    if (k.equals("scope")) scopes.add(v);
                    if (k.equals("service")) service = v;
                }
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            if (!expected.equals(auth) || !SERVICE.equals(service)) {
                requests.add(new Request(null, scopes, 401));
                byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad user or password\"}]}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"kiln-test-token\"");
                ex.sendResponseHeaders(401, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            requests.add(new Request(user, scopes, 200));
            String jwt = sign(user, scopes);
            ObjectNode answer = JSON.createObjectNode();
            answer.put("token", jwt);
            answer.put("access_token", jwt);
            answer.put("expires_in", expiresIn);
            answer.put("issued_at", Instant.now().toString());
            byte[] body = JSON.writeValueAsBytes(answer);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** A compact JWS: base64url(header).base64url(claims).base64url(r||s). */
    private String sign(String subject, List<String> scopes) throws Exception {
        ObjectNode header = JSON.createObjectNode();
        header.put("typ", "JWT");
        header.put("alg", "ES256");
        header.putArray("x5c").add(x5c);
        long now = Instant.now().getEpochSecond();
        ObjectNode claims = JSON.createObjectNode();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put("aud", SERVICE);
        claims.put("exp", now + Math.max(expiresIn, 1));
        claims.put("nbf", now - 10);
        claims.put("iat", now);
        byte[] jti = new byte[12];
        new SecureRandom().nextBytes(jti);
        claims.put("jti", HexFormat.of().formatHex(jti));
        ArrayNode access = claims.putArray("access");
        for (String scope : scopes) {
            // repository:NAME:ACTIONS; a name holds no colon, but a registry host in it could
            int first = scope.indexOf(':'), last = scope.lastIndexOf(':');
            if (first < 0 || first == last) continue;
            ObjectNode a = access.addObject();
            a.put("type", scope.substring(0, first));
            a.put("name", scope.substring(first + 1, last));
            ArrayNode actions = a.putArray("actions");
            for (String action : scope.substring(last + 1).split(",")) actions.add(action);
        }
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(JSON.writeValueAsBytes(header)) + "." + b64.encodeToString(JSON.writeValueAsBytes(claims));
        // JWS ES256 wants the raw r||s pair, which this JDK algorithm produces instead of DER
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64.encodeToString(s.sign());
    }

    /** The successful token requests. */
    List<Request> granted() {
        return requests.stream().filter(r -> r.status() == 200).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
