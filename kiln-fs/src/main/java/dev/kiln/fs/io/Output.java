package dev.kiln.fs.io;

import dev.kiln.fs.Progress;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * Where and how one image is written.
 *
 * @param channel  the image, empty and positioned at 0
 * @param file     the file {@code channel} writes, which a writer may open again (the EROFS
 *                 writer does, for direct I/O), or null (the image goes to memory or to a
 *                 caller's channel)
 * @param progress told about entries and bytes as they are written, and about phases
 * @param workers  where work beside the calling thread runs
 */
public record Output(SeekableByteChannel channel, Path file, Progress progress, Workers workers) {
    public Output {
        if (progress == null) progress = Progress.NONE;
        if (workers == null) workers = Workers.defaults();
    }
}
