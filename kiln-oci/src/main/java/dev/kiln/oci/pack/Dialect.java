package dev.kiln.oci.pack;

import dev.kiln.oci.OciException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Whose layout an image follows: kraftkit's (Unikraft Cloud) or urunc's (bunny, bunix). Both at once make one image for both. */
public enum Dialect {
    KRAFT, URUNC;

    /** Parses {@code kraft}, {@code urunc} or a comma-separated combination. */
    public static Set<Dialect> parse(String s) {
        EnumSet<Dialect> out = EnumSet.noneOf(Dialect.class);
        for (String part : s.split(",")) {
            switch (part.trim().toLowerCase(Locale.ROOT)) {
                case "kraft" -> out.add(KRAFT);
                case "urunc" -> out.add(URUNC);
                default -> throw new OciException("dialect \"" + part.trim() + "\": expected kraft, urunc or kraft,urunc");
            }
        }
        return out;
    }
}
