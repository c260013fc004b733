package dev.kiln.oci.archive;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The members of an archive kiln writes, and the writing: a tar through kiln's own tar writer,
 * so the bytes depend only on the members (sorted by name, 0644 files and 0755 directories,
 * owned by root, mtime 0) and a failure leaves nothing at the destination (the build writes a
 * temporary sibling and renames it). Blob contents are streamed and verified as they are written.
 */
final class ArchiveFiles implements Source {
    private final Map<String, Content> files = new LinkedHashMap<>();
    private final String description;

    ArchiveFiles(String description) {
        this.description = description;
    }

    /** Adds a member; a path given twice (the same layer twice in a manifest) keeps the first. */
    ArchiveFiles add(String path, Content content) {
        files.putIfAbsent(path, content);
        return this;
    }

    boolean has(String path) {
        return files.containsKey(path);
    }

    @Override
    public void addTo(Tree tree, Context context) {
        for (Map.Entry<String, Content> e : files.entrySet()) {
            tree.put(EntryPath.parse(e.getKey()), new Node.File(Metadata.of(0644), e.getValue()));
        }
    }

    @Override
    public String describe() {
        return description;
    }

    /** Writes the archive to {@code out} atomically. */
    void writeTo(Path out, Path temporaryDirectory) throws IOException {
        ImageBuild.Builder b = ImageBuild.builder()
                .source(this)
                .format(ImageFormat.TAR)
                .compression("none")
                .owners(new Ownership.Fixed(0, 0))
                .mtime(MtimePolicy.fixed(0));
        if (temporaryDirectory != null) b.temporaryDirectory(temporaryDirectory);
        b.build().writeTo(out);
    }
}
