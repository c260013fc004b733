package dev.kiln.oci.spec;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** The spec file formats kiln reads. */
public enum SpecKind {
    /** bunny's YAML (API v0.1): urunc images. */
    BUNNYFILE,
    /** A Dockerfile subset, with bunny's {@code com.urunc.unikernel.*} label conventions: urunc images. */
    CONTAINERFILE,
    /** kraftkit's YAML (spec v0.6, v0.7): kraft images. */
    KRAFTFILE;

    private static final Pattern INSTRUCTION = Pattern.compile("(?i)(FROM|ARG)\\s.*");
    private static final Pattern YAML_KEY = Pattern.compile("([A-Za-z_][A-Za-z0-9_-]*)\\s*:.*");

    /**
     * By the names the tools look for: {@code bunnyfile}; {@code Containerfile},
     * {@code Dockerfile} and their {@code NAME.suffix} / {@code prefix.NAME} variants;
     * {@code Kraftfile}, {@code kraft.yaml}, {@code kraft.yml}.
     */
    public static Optional<SpecKind> fromFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("kraftfile") || n.equals("kraft.yaml") || n.equals("kraft.yml") || n.startsWith("kraftfile.")) {
            return Optional.of(KRAFTFILE);
        }
        if (n.equals("bunnyfile") || n.startsWith("bunnyfile.") || n.endsWith(".bunnyfile")) return Optional.of(BUNNYFILE);
        for (String d : new String[] {"containerfile", "dockerfile"}) {
            if (n.equals(d) || n.startsWith(d + ".") || n.endsWith("." + d)) return Optional.of(CONTAINERFILE);
        }
        return Optional.empty();
    }

    /**
     * By name, else by content: a first instruction {@code FROM} or {@code ARG} means a
     * Containerfile; a top-level {@code spec:} or {@code specification:} key a Kraftfile; a
     * top-level {@code version:} or {@code platforms:} key a bunnyfile.
     */
    public static SpecKind of(Path file) throws IOException {
        Optional<SpecKind> byName = fromFileName(file.getFileName().toString());
        if (byName.isPresent()) return byName.get();
        boolean bunny = false;
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new SpecException(file, 0, null, "not UTF-8 text, so not a spec file");
        }
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.equals("---")) continue;
            if (INSTRUCTION.matcher(l).matches() && !line.startsWith(" ")) return CONTAINERFILE;
            var m = YAML_KEY.matcher(line);
            if (m.matches()) {
                String key = m.group(1);
                if (key.equals("spec") || key.equals("specification")) return KRAFTFILE;
                if (key.equals("version") || key.equals("platforms")) bunny = true;
            }
        }
        if (bunny) return BUNNYFILE;
        throw new SpecException(file, 0, null, "not a bunnyfile, Containerfile or Kraftfile by its name or its content;"
                + " name it bunnyfile, Containerfile or Kraftfile");
    }
}
