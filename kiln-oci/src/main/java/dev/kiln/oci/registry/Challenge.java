package dev.kiln.oci.registry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One authentication challenge of a {@code WWW-Authenticate} header: a scheme ({@code Bearer},
 * {@code Basic}) and its parameters, whose names are kept in lower case. Registries and token
 * services differ in how they spell these headers, so the parser takes parameters in any order,
 * quoted or not, with or without spaces around {@code =} and commas, several challenges in one
 * header, and a {@code scope} that lists several scopes separated by spaces.
 */
public record Challenge(String scheme, Map<String, String> params) {
    public Challenge {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    public boolean isBearer() {
        return scheme.equalsIgnoreCase("Bearer");
    }

    public boolean isBasic() {
        return scheme.equalsIgnoreCase("Basic");
    }

    public String realm() {
        return params.get("realm");
    }

    public String service() {
        return params.get("service");
    }

    /** The scopes the registry asked for ({@code repository:NAME:pull,push}, …), none if it named none. */
    public List<String> scopes() {
        String s = params.get("scope");
        if (s == null || s.isBlank()) return List.of();
        return Arrays.stream(s.trim().split("\\s+")).toList();
    }

    /** The challenges of all the {@code WWW-Authenticate} headers of one response. */
    public static List<Challenge> parseAll(List<String> headers) {
        List<Challenge> out = new ArrayList<>();
        for (String h : headers) out.addAll(parse(h));
        return out;
    }

    /**
     * The challenges of one header value. RFC 7235 makes a comma both the separator of parameters
     * and of challenges; what follows a comma decides: {@code name=} continues the challenge, a
     * lone word starts a new one. Stray characters are skipped rather than failing the request
     * (a token68 credential hint, which no registry scheme uses, reads as a harmless parameter).
     */
    public static List<Challenge> parse(String header) {
        List<Challenge> out = new ArrayList<>();
        if (header == null) return out;
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        int i = 0, n = header.length();
        while (i < n) {
            char c = header.charAt(i);
            if (c == ',' || Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && isTokenChar(header.charAt(i))) i++;
            if (i == start) {
                i++; // a stray character (a quote, a semicolon): skip it
                continue;
            }
            String word = header.substring(start, i);
            int j = skipSpaces(header, i);
            if (scheme != null && j < n && header.charAt(j) == '=') {
                j = skipSpaces(header, j + 1);
                StringBuilder value = new StringBuilder();
                if (j < n && header.charAt(j) == '"') {
                    j++;
                    while (j < n && header.charAt(j) != '"') {
                        if (header.charAt(j) == '\\' && j + 1 < n) j++;
                        value.append(header.charAt(j++));
                    }
                    j++; // the closing quote
                } else {
                    while (true) {
                        while (j < n && header.charAt(j) != ',' && !Character.isWhitespace(header.charAt(j))) value.append(header.charAt(j++));
                        // An unquoted scope's actions are joined by commas ("pull,push"): a comma
                        // goes on with the value unless a parameter or a challenge follows it.
                        if (!word.equalsIgnoreCase("scope") || j >= n || header.charAt(j) != ',' || startsParamOrChallenge(header, j + 1)) break;
                        value.append(header.charAt(j++));
                    }
                }
                params.put(word.toLowerCase(Locale.ROOT), value.toString());
                i = j;
            } else {
                if (scheme != null) out.add(new Challenge(scheme, params));
                scheme = word;
                params = new LinkedHashMap<>();
                i = j;
            }
        }
        if (scheme != null) out.add(new Challenge(scheme, params));
        return out;
    }

    /** RFC 7230's tchar: what a scheme or a parameter name is made of. */
    private static boolean isTokenChar(char c) {
        return c < 127 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
    }

    /** Whether {@code name=} or {@code Scheme name=} starts at {@code i} (after spaces). */
    private static boolean startsParamOrChallenge(String s, int i) {
        int j = skipSpaces(s, i);
        int start = j;
        while (j < s.length() && isTokenChar(s.charAt(j))) j++;
        if (j == start) return true;
        j = skipSpaces(s, j);
        if (j >= s.length()) return false;
        if (s.charAt(j) == '=') return true;
        return isTokenChar(s.charAt(j));
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
        return i;
    }
}
