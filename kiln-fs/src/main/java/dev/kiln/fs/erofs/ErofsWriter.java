package dev.kiln.fs.erofs;

import dev.kiln.fs.ImageWriter;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.nio.channels.SeekableByteChannel;
import java.util.UUID;

/** Placeholder: being implemented. Writes EROFS images (block size 4096). */
public final class ErofsWriter implements ImageWriter {
    public enum Algorithm { NONE, LZ4, LZ4HC }

    /**
     * @param algorithm    data compression
     * @param level        LZ4HC level (1..12); ignored otherwise
     * @param pclusterSize maximum physical cluster in bytes (4096 = one-block pclusters,
     *                     readable by Linux 5.4; larger needs big pcluster, Linux 5.13+)
     * @param uuid         the filesystem UUID, or null to derive one from the content
     * @param buildTime    superblock build time (seconds); compact inodes carry this mtime
     */
    public record Options(Algorithm algorithm, int level, int pclusterSize, UUID uuid, long buildTime) {
        public static Options defaults() {
            return new Options(Algorithm.NONE, 9, 65536, null, 0);
        }
    }

    private final Options options;

    public ErofsWriter(Options options) {
        this.options = options;
    }

    @Override
    public void write(Tree tree, SeekableByteChannel out, Progress progress) {
        throw new KilnException("EROFS writing is not implemented yet");
    }
}
