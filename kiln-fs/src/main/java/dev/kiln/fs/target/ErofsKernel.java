package dev.kiln.fs.target;

import dev.kiln.fs.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The oldest Linux kernel that mounts an EROFS image, from the superblock's feature bits,
 * block size and compression algorithms. Versions are those that introduced each on-disk
 * feature (see the EROFS format reference, §1.2 and §8.8).
 *
 * @param major   minimum kernel major version
 * @param minor   minimum kernel minor version
 * @param reasons the features that set the minimum, strongest first
 */
public record ErofsKernel(int major, int minor, List<String> reasons) {
    private record Rule(int major, int minor, String what) {}

    public String version() {
        return major + "." + minor;
    }

    public static ErofsKernel of(Path image) throws IOException {
        ByteBuffer sb = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (sb.hasRemaining()) {
                if (ch.read(sb, 1024 + sb.position()) < 0) throw new FormatException(image + ": too short for an EROFS superblock");
            }
        }
        if (sb.getInt(0) != 0xE0F5E1E2) throw new FormatException(image + ": offset 1024: no EROFS superblock magic");
        return of(sb.get(0x0C) & 0xff, sb.getInt(0x50), sb.getShort(0x54) & 0xffff);
    }

    /** From the raw fields: blkszbits, feature_incompat and u1 (algorithm bitmap when COMPR_CFGS is set). */
    public static ErofsKernel of(int blkszbits, int incompat, int u1) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule(5, 4, "EROFS core format"));
        if ((incompat & 0x02) != 0) {
            rules.add(new Rule(5, 13, "big pclusters / compression configs"));
            if ((u1 & 0x2) != 0) rules.add(new Rule(5, 16, "MicroLZMA compression"));
            if ((u1 & 0x4) != 0) rules.add(new Rule(6, 6, "DEFLATE compression"));
            if ((u1 & 0x8) != 0) rules.add(new Rule(6, 10, "Zstandard compression"));
        }
        if ((incompat & 0x04) != 0) rules.add(new Rule(5, 15, "chunk-based files"));
        if ((incompat & 0x08) != 0) rules.add(new Rule(5, 16, "device table / second compression head"));
        if ((incompat & 0x10) != 0) rules.add(new Rule(5, 17, "ztailpacking"));
        if ((incompat & 0x20) != 0) rules.add(new Rule(6, 1, "fragments / dedupe"));
        if ((incompat & 0x40) != 0) rules.add(new Rule(6, 4, "long xattr name prefixes"));
        if ((incompat & 0x80) != 0) rules.add(new Rule(6, 15, "48-bit block addressing"));
        if ((incompat & 0x100) != 0) rules.add(new Rule(6, 17, "metadata box"));
        if ((incompat & ~0x1FF) != 0) rules.add(new Rule(99, 0, "unknown incompatible features 0x" + Integer.toHexString(incompat & ~0x1FF)));
        if (blkszbits != 12) rules.add(new Rule(6, 4, "block size " + (1 << Math.min(blkszbits, 30)) + " (only 4096 before 6.4)"));
        rules.sort((a, b) -> a.major != b.major ? Integer.compare(b.major, a.major) : Integer.compare(b.minor, a.minor));
        Rule top = rules.getFirst();
        List<String> reasons = new ArrayList<>();
        for (Rule r : rules) if (r.major == top.major && r.minor == top.minor) reasons.add(r.what);
        return new ErofsKernel(top.major, top.minor, reasons);
    }
}
