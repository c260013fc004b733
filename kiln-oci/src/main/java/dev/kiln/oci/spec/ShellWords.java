package dev.kiln.oci.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into words as a POSIX shell would, without expanding anything: blanks
 * separate words, single quotes keep everything, double quotes keep all but {@code \"},
 * {@code \\}, {@code \$} and {@code \`}, and a backslash outside quotes keeps the next character.
 * This is how a Kraftfile's {@code cmd} string is read.
 */
final class ShellWords {
    private ShellWords() {}

    static List<String> split(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n') {
                if (inWord) words.add(w.toString());
                w.setLength(0);
                inWord = false;
                continue;
            }
            inWord = true;
            if (c == '\'') {
                int end = s.indexOf('\'', i + 1);
                if (end < 0) throw new IllegalArgumentException("unterminated ' in \"" + s + "\"");
                w.append(s, i + 1, end);
                i = end;
            } else if (c == '"') {
                int j = i + 1;
                for (; j < s.length() && s.charAt(j) != '"'; j++) {
                    char d = s.charAt(j);
                    if (d == '\\' && j + 1 < s.length() && "\"\\$`".indexOf(s.charAt(j + 1)) >= 0) d = s.charAt(++j);
                    w.append(d);
                }
                if (j >= s.length()) throw new IllegalArgumentException("unterminated \" in \"" + s + "\"");
                i = j;
            } else if (c == '\\') {
                if (i + 1 < s.length()) w.append(s.charAt(++i));
            } else {
                w.append(c);
            }
        }
        if (inWord) words.add(w.toString());
        return words;
    }
}
