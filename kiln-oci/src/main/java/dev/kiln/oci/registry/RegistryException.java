package dev.kiln.oci.registry;

import dev.kiln.oci.OciException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A registry operation that failed. The message names the registry, the repository, what was
 * being transferred (a blob digest, a manifest reference) and, for an HTTP error, the status with
 * the codes and messages of the registry's {@code errors} JSON.
 */
public final class RegistryException extends OciException {
    /** What went wrong, for callers that react differently (a CLI exit code, a fallback). */
    public enum Kind {
        /** The registry answered with an error status. */
        HTTP,
        /** Credentials were missing or refused (401, 403, or the token server said no). */
        AUTH,
        /** No answer: connection refused or reset, timeout, TLS failure, after the retries. */
        CONNECTION,
        /** The registry's answer did not match its digest, its size or its descriptor. */
        VERIFICATION,
        /** The thread was interrupted (the transfer was cancelled). */
        INTERRUPTED
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Kind kind;
    private final String registry;
    private final String repository;
    private final String subject;
    private final int status;
    private final List<String> errorCodes;

    RegistryException(Kind kind, Target where, int status, List<String> errorCodes, String detail, Throwable cause) {
        super(where + ": " + detail, cause);
        this.kind = kind;
        this.registry = where.registry();
        this.repository = where.repository();
        this.subject = where.subject();
        this.status = status;
        this.errorCodes = List.copyOf(errorCodes);
    }

    public Kind kind() {
        return kind;
    }

    public String registry() {
        return registry;
    }

    /** The repository, or null for a registry-wide request (the {@code /v2/} ping). */
    public String repository() {
        return repository;
    }

    /** What was transferred: {@code blob sha256:…}, {@code manifest latest}, … (may be null). */
    public String subject() {
        return subject;
    }

    /** The HTTP status, 0 when there was no answer. */
    public int status() {
        return status;
    }

    /** The {@code code}s of the registry's error JSON ({@code BLOB_UNKNOWN}, {@code DIGEST_INVALID}, …). */
    public List<String> errorCodes() {
        return errorCodes;
    }

    public boolean hasCode(String code) {
        return errorCodes.contains(code);
    }

    /** Where a request went, for messages: {@code registry/repository: subject}. */
    record Target(String registry, String repository, String subject) {
        Target withSubject(String s) {
            return new Target(registry, repository, s);
        }

        @Override
        public String toString() {
            return registry + (repository != null ? "/" + repository : "") + (subject != null ? ": " + subject : "");
        }
    }

    static RegistryException verification(Target where, String detail) {
        return new RegistryException(Kind.VERIFICATION, where, 0, List.of(), detail, null);
    }

    /** An error answer, with the registry's own words from its error JSON when it sent some. */
    static RegistryException http(Target where, int status, byte[] body, String hint) {
        List<String> codes = new ArrayList<>();
        StringBuilder detail = new StringBuilder("HTTP ").append(status);
        String text = errorText(body, codes);
        if (!text.isEmpty()) detail.append(' ').append(text);
        if (hint != null) detail.append(" (").append(hint).append(')');
        Kind kind = status == 401 || status == 403 ? Kind.AUTH : Kind.HTTP;
        return new RegistryException(kind, where, status, codes, detail.toString(), null);
    }

    /**
     * {@code CODE: message; CODE: message} from the distribution error JSON, or the first line of a
     * body that is not that JSON (a proxy's HTML page), cut short.
     */
    static String errorText(byte[] body, List<String> codes) {
        if (body == null || body.length == 0) return "";
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                List<String> parts = new ArrayList<>();
                for (JsonNode e : errors) {
                    String code = e.path("code").asString("");
                    String message = e.path("message").asString("");
                    if (!code.isEmpty()) codes.add(code);
                    parts.add(code.isEmpty() ? message : message.isEmpty() ? code : code + ": " + message);
                }
                return String.join("; ", parts);
            }
        } catch (RuntimeException notJson) {
            // fall through to the raw text
        }
        String s = new String(body, StandardCharsets.UTF_8).strip();
        int nl = s.indexOf('\n');
        if (nl >= 0) s = s.substring(0, nl).strip();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
