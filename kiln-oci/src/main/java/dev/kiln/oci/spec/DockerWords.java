package dev.kiln.oci.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Docker's word rules for a Containerfile's arguments: quotes and the escape character removed,
 * {@code $VAR} and {@code ${VAR}} (with {@code :-}, {@code -}, {@code :+}, {@code +},
 * {@code :?}, {@code ?}) replaced by build arguments and environment variables. Single quotes
 * stop substitution; so does the escape character before {@code $}. Problems are thrown as
 * {@link IllegalArgumentException}s whose message the caller places.
 */
final class DockerWords {
    private final char escape;
    private final Function<String, String> vars;

    /** {@code vars} gives a variable's value, or null when it is not set. */
    DockerWords(char escape, Function<String, String> vars) {
        this.escape = escape;
        this.vars = vars;
    }

    /** One word: quotes removed, variables substituted. */
    String word(String s) {
        return new Run(s).word(-1);
    }

    /** Splits on blanks outside quotes, keeping quotes and escapes for {@link #word}: how ENV, LABEL and ARG pairs are cut. */
    List<String> rawWords(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (!w.isEmpty()) out.add(w.toString());
                w.setLength(0);
                continue;
            }
            w.append(c);
            if (c == escape && quote != '\'' && i + 1 < s.length()) {
                w.append(s.charAt(++i));
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            }
        }
        if (quote != 0) throw new IllegalArgumentException("unterminated " + quote + " quote");
        if (!w.isEmpty()) out.add(w.toString());
        return out;
    }

    /** Index of the first '=' outside quotes and escapes, or -1. */
    int equalsSign(String raw) {
        char quote = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == escape && quote != '\'') {
                i++;
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else if (quote == 0 && c == '=') {
                return i;
            }
        }
        return -1;
    }

    private final class Run {
        private final String s;
        private int i;

        Run(String s) {
            this.s = s;
        }

        /** Reads up to {@code stop} (or the end when -1) outside quotes. */
        String word(int stop) {
            StringBuilder out = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == stop) return out.toString();
                i++;
                if (c == '\'') {
                    int end = s.indexOf('\'', i);
                    if (end < 0) throw new IllegalArgumentException("unterminated ' quote");
                    out.append(s, i, end);
                    i = end + 1;
                } else if (c == '"') {
                    doubleQuoted(out);
                } else if (c == escape) {
                    if (i < s.length()) out.append(s.charAt(i++));
                } else if (c == '$') {
                    out.append(variable());
                } else {
                    out.append(c);
                }
            }
            if (stop >= 0) throw new IllegalArgumentException("missing '" + (char) stop + "' in \"" + s + "\"");
            return out.toString();
        }

        private void doubleQuoted(StringBuilder out) {
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') return;
                if (c == escape && i < s.length()) {
                    char n = s.charAt(i);
                    if (n == '"' || n == '$' || n == escape) {
                        out.append(n);
                        i++;
                    } else {
                        out.append(c);
                    }
                } else if (c == '$') {
                    out.append(variable());
                } else {
                    out.append(c);
                }
            }
            throw new IllegalArgumentException("unterminated \" quote");
        }

        /** After a '$': {@code NAME} or {@code {NAME[op word]}}; a lone '$' is itself. */
        private String variable() {
            if (i >= s.length()) return "$";
            if (s.charAt(i) == '{') {
                i++;
                int start = i;
                while (i < s.length() && isNameChar(s.charAt(i))) i++;
                String name = s.substring(start, i);
                if (name.isEmpty()) throw new IllegalArgumentException("bad substitution in \"" + s + "\"");
                if (i >= s.length()) throw new IllegalArgumentException("missing '}' in \"" + s + "\"");
                char c = s.charAt(i);
                if (c == '}') {
                    i++;
                    return orEmpty(vars.apply(name));
                }
                boolean colon = c == ':';
                if (colon) i++;
                if (i >= s.length()) throw new IllegalArgumentException("missing '}' in \"" + s + "\"");
                char op = s.charAt(i++);
                if (op != '-' && op != '+' && op != '?') {
                    throw new IllegalArgumentException("${" + name + (colon ? ":" : "") + op + "...}: kiln substitutes ${VAR}, ${VAR:-default},"
                            + " ${VAR:+alternative} and ${VAR:?message}");
                }
                String word = word('}');
                i++;
                String v = vars.apply(name);
                boolean set = v != null && !(colon && v.isEmpty());
                return switch (op) {
                    case '-' -> set ? v : word;
                    case '+' -> set ? word : "";
                    default -> {
                        if (!set) throw new IllegalArgumentException(name + ": " + (word.isEmpty() ? "not set" : word));
                        yield v;
                    }
                };
            }
            int start = i;
            while (i < s.length() && isNameChar(s.charAt(i))) i++;
            if (start == i) return "$";
            return orEmpty(vars.apply(s.substring(start, i)));
        }
    }

    private static boolean isNameChar(char c) {
        return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
