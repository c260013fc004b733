package dev.kiln.oci.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A YAML document as a tree that remembers the line of every key and value, read through
 * Jackson's streaming YAML parser: a data binder would lose the lines that messages need, and
 * would merge a duplicated key instead of reporting it. Scalars stay text; each format says what
 * a field's text must look like.
 */
final class Yaml {
    private static final YAMLMapper MAPPER = YAMLMapper.builder().build();

    sealed interface Node permits Scalar, Sequence, Mapping {
        int line();
    }

    /** A scalar's text as written ({@code 0.10} stays {@code 0.10}); {@code text} is null for a YAML null. */
    record Scalar(String text, int line) implements Node {}

    record Sequence(List<Node> items, int line) implements Node {}

    record Entry(String key, int line, Node value) {}

    record Mapping(Map<String, Entry> entries, int line) implements Node {
        Entry get(String key) {
            return entries.get(key);
        }

        Node value(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }
    }

    private final Path file;

    private Yaml(Path file) {
        this.file = file;
    }

    /** The file's one document, which must be a mapping. */
    static Mapping read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Yaml y = new Yaml(file);
        try (JsonParser p = MAPPER.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new SpecException(file, 0, null, "empty: no YAML document");
            if (t != JsonToken.START_OBJECT) throw new SpecException(file, line(p), null, "expected a YAML mapping of keys to values");
            Node root = y.node(p, t);
            if (p.nextToken() != null) throw new SpecException(file, line(p), null, "a second YAML document ('---'): give one");
            return (Mapping) root;
        } catch (JacksonException e) {
            TokenStreamLocation l = e.getLocation();
            String msg = e.getOriginalMessage();
            throw new SpecException(file, l == null ? 0 : l.getLineNr(), null, "not valid YAML: " + msg.lines().findFirst().orElse(msg), e);
        }
    }

    private Node node(JsonParser p, JsonToken t) {
        int line = line(p);
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Entry> entries = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String key = p.currentName();
                    int keyLine = line(p);
                    Node value = node(p, p.nextToken());
                    Entry old = entries.putIfAbsent(key, new Entry(key, keyLine, value));
                    if (old != null) {
                        throw new SpecException(file, keyLine, key, "given twice (first at line " + old.line() + ")");
                    }
                }
                yield new Mapping(Collections.unmodifiableMap(entries), line);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) items.add(node(p, i));
                yield new Sequence(List.copyOf(items), line);
            }
            case VALUE_NULL -> new Scalar(null, line);
            default -> new Scalar(p.getString(), line);
        };
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    /** Typed reads of one file's nodes; each refusal names the file, the line and the field. */
    record Fields(SpecFile spec) {
        SpecException error(Node at, String field, String problem) {
            return spec.error(at == null ? 0 : at.line(), field, problem);
        }

        /** A non-empty string, or null when absent or null. */
        String string(Node n, String field) {
            if (n == null) return null;
            if (!(n instanceof Scalar s)) throw error(n, field, "expected a string, not a " + kind(n));
            return s.text() == null || s.text().isEmpty() ? null : s.text();
        }

        /** A list of strings, or null when absent or null. */
        List<String> strings(Node n, String field) {
            if (n == null || n instanceof Scalar s && s.text() == null) return null;
            if (!(n instanceof Sequence seq)) throw error(n, field, "expected a list of strings, not a " + kind(n));
            List<String> out = new ArrayList<>();
            for (int i = 0; i < seq.items().size(); i++) {
                Node item = seq.items().get(i);
                if (!(item instanceof Scalar s) || s.text() == null) throw error(item, field + "[" + i + "]", "expected a string, not a " + kind(item));
                out.add(s.text());
            }
            return out;
        }

        Mapping mapping(Node n, String field) {
            if (n == null || n instanceof Scalar s && s.text() == null) return null;
            if (!(n instanceof Mapping m)) throw error(n, field, "expected a mapping of keys to values, not a " + kind(n));
            return m;
        }

        /**
         * Keys of {@code m} outside {@code known}: refused ({@code strict}) or noted. {@code prefix}
         * is how the mapping is named in messages ({@code "platforms."}).
         */
        void keys(Mapping m, String prefix, Set<String> known, boolean strict, String whyStrict) {
            for (Entry e : m.entries().values()) {
                if (known.contains(e.key())) continue;
                String msg = "unknown key (known here: " + String.join(", ", known.stream().sorted().toList()) + ")";
                if (strict) throw spec.error(e.line(), prefix + e.key(), msg + (whyStrict == null ? "" : "; " + whyStrict));
                spec.note(e.line(), prefix + e.key() + ": " + msg + "; ignored");
            }
        }

        static String kind(Node n) {
            return switch (n) {
                case Scalar s -> s.text() == null ? "null" : "string";
                case Sequence q -> "list";
                case Mapping m -> "mapping";
            };
        }
    }
}
