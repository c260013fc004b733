package dev.kiln.fs.target;

import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_48BIT;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_BIG_PCLUSTER;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_CHUNKED_FILE;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_DEVICE_TABLE;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_FRAGMENTS;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_METABOX;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_XATTR_PREFIXES;
import static dev.kiln.fs.erofs.format.Erofs.FEATURE_INCOMPAT_ZTAILPACKING;

import dev.kiln.fs.FormatException;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.SuperBlock;
import dev.kiln.fs.erofs.format.ZMap;
import java.io.IOException;
import java.nio.ByteBuffer;
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
        byte[] raw = new byte[SuperBlock.SIZE];
        ByteBuffer buf = ByteBuffer.wrap(raw);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, SuperBlock.OFFSET + buf.position()) < 0) throw new FormatException(image + ": too short for an EROFS superblock");
            }
        }
        SuperBlock sb = SuperBlock.decode(Erofs.littleEndian(raw), 0);
        if (sb.magic() != Erofs.MAGIC) throw new FormatException(image + ": offset " + SuperBlock.OFFSET + ": no EROFS superblock magic");
        return of(sb.blkszbits(), sb.featureIncompat(), sb.u1());
    }

    /** From the raw fields: blkszbits, feature_incompat and u1 (algorithm bitmap when COMPR_CFGS is set). */
    public static ErofsKernel of(int blkszbits, int incompat, int u1) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule(5, 4, "EROFS core format"));
        if ((incompat & FEATURE_INCOMPAT_BIG_PCLUSTER) != 0) {
            rules.add(new Rule(5, 13, "big pclusters / compression configs"));
            if ((u1 & 1 << ZMap.COMPRESSION_LZMA) != 0) rules.add(new Rule(5, 16, "MicroLZMA compression"));
            if ((u1 & 1 << ZMap.COMPRESSION_DEFLATE) != 0) rules.add(new Rule(6, 6, "DEFLATE compression"));
            if ((u1 & 1 << ZMap.COMPRESSION_ZSTD) != 0) rules.add(new Rule(6, 10, "Zstandard compression"));
        }
        if ((incompat & FEATURE_INCOMPAT_CHUNKED_FILE) != 0) rules.add(new Rule(5, 15, "chunk-based files"));
        if ((incompat & FEATURE_INCOMPAT_DEVICE_TABLE) != 0) rules.add(new Rule(5, 16, "device table / second compression head"));
        if ((incompat & FEATURE_INCOMPAT_ZTAILPACKING) != 0) rules.add(new Rule(5, 17, "ztailpacking"));
        if ((incompat & FEATURE_INCOMPAT_FRAGMENTS) != 0) rules.add(new Rule(6, 1, "fragments / dedupe"));
        if ((incompat & FEATURE_INCOMPAT_XATTR_PREFIXES) != 0) rules.add(new Rule(6, 4, "long xattr name prefixes"));
        if ((incompat & FEATURE_INCOMPAT_48BIT) != 0) rules.add(new Rule(6, 15, "48-bit block addressing"));
        if ((incompat & FEATURE_INCOMPAT_METABOX) != 0) rules.add(new Rule(6, 17, "metadata box"));
        int known = (FEATURE_INCOMPAT_METABOX << 1) - 1; // every bit up to the newest feature above
        if ((incompat & ~known) != 0) rules.add(new Rule(99, 0, "unknown incompatible features 0x" + Integer.toHexString(incompat & ~known)));
        if (blkszbits != Erofs.BLOCK_SIZE_BITS) rules.add(new Rule(6, 4, "block size " + (1 << Math.min(blkszbits, 30)) + " (only 4096 before 6.4)"));
        rules.sort((a, b) -> a.major != b.major ? Integer.compare(b.major, a.major) : Integer.compare(b.minor, a.minor));
        Rule top = rules.getFirst();
        List<String> reasons = new ArrayList<>();
        for (Rule r : rules) if (r.major == top.major && r.minor == top.minor) reasons.add(r.what);
        return new ErofsKernel(top.major, top.minor, reasons);
    }
}
