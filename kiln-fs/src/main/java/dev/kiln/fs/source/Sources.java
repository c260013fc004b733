package dev.kiln.fs.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.io.Workers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Turns source arguments into sources and sources into a tree. */
public final class Sources {
    private Sources() {}

    /**
     * Parses one argument:
     * <ul>
     *   <li>a directory: its contents become the image root;</li>
     *   <li>a cpio, tar or EROFS file (any compression): its tree, with tar whiteouts applied;</li>
     *   <li>{@code SRC:DST}: the host file or directory SRC placed at DST in the image (the
     *       bunnyfile {@code include} form); a DST ending in '/' receives SRC under its own name.</li>
     * </ul>
     */
    public static Source parse(String arg) throws IOException {
        Path p = Path.of(arg);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            int colon = arg.lastIndexOf(':');
            if (colon > 0) return include(Path.of(arg.substring(0, colon)), arg.substring(colon + 1), arg);
            throw new KilnException(arg + ": no such file or directory");
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return new HostSource(p, EntryPath.ROOT);
        if (Files.isRegularFile(p)) return image(p, arg);
        throw new KilnException(arg + ": not a directory or regular file; map it with SRC:DST");
    }

    /** The host file or directory {@code src} at {@code dst}; {@code arg} is how it was given, for messages. */
    public static Source include(Path src, String dst, String arg) {
        if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) throw new KilnException(src + ": no such file or directory (in \"" + arg + "\")");
        if (dst.isEmpty()) throw new KilnException("\"" + arg + "\": empty destination after ':'");
        EntryPath at = EntryPath.parse(dst);
        if (dst.endsWith("/") && !Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
            at = at.resolve(EntryPath.parse(src.getFileName().toString()));
        }
        return new HostSource(src, at);
    }

    /** The image {@code p}; {@code arg} is how it was given, for messages. */
    public static Source image(Path p, String arg) throws IOException {
        if (!Files.isRegularFile(p)) throw new KilnException(arg + ": no such file");
        ImageFormat f = ImageFormat.detect(p).orElseThrow(() -> new KilnException(
                arg + ": not a directory, cpio, tar or EROFS image; to add the file itself use " + arg + ":/PATH"));
        return new ImageSource(p, f);
    }

    /** Whether {@link #build} would tell a feed the files of {@code sources} (a single host source). */
    public static boolean feeds(List<Source> sources) {
        return sources.size() == 1 && sources.getFirst() instanceof HostSource;
    }

    /** {@link #build(List, Excludes, MtimePolicy, Ownership, FileFeed, Path, Workers)} with each source's default owners, no feed, threads of its own. */
    public static Tree build(List<Source> sources, Excludes excludes, MtimePolicy mtime) throws IOException {
        return build(sources, excludes, mtime, null, null, null, Workers.defaults());
    }

    /** As {@link #build(List, Excludes, MtimePolicy)} with {@code owners} for every source. */
    public static Tree build(List<Source> sources, Excludes excludes, MtimePolicy mtime, Ownership owners) throws IOException {
        return build(sources, excludes, mtime, owners, null, null, Workers.defaults());
    }

    /**
     * Builds the tree of {@code sources} applied in order, then applies excludes and the mtime
     * policy. Implied directories are 0755 root-owned with the policy's time. {@code owners}
     * (null: each source's default) applies to every source. {@code feed} (if not null) is told
     * the regular files as they are found; only a single host source is fed: its walk meets
     * files in the tree's final order, while with several sources a later one may replace what
     * an earlier one put. A feed that is not fed never ends, which tells the writer to do
     * without it. {@code temporaryDirectory} (null: the JVM's) receives decompressed images,
     * which the tree removes when it is closed. Host directories are listed on {@code workers}.
     */
    public static Tree build(List<Source> sources, Excludes excludes, MtimePolicy mtime, Ownership owners,
                             FileFeed feed, Path temporaryDirectory, Workers workers) throws IOException {
        Tree tree = new Tree(Metadata.IMPLIED_DIRECTORY.withMtime(mtime.impliedTime(), 0));
        Path tmp = temporaryDirectory != null ? temporaryDirectory : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            if (feed != null && feeds(sources) && sources.getFirst() instanceof HostSource h) {
                h.addTo(tree, excludes, owners != null ? owners : h.defaultOwnership(), withPolicy(feed, mtime), workers);
                feed.end();
            } else {
                for (Source s : sources) {
                    Ownership o = owners != null ? owners : s.defaultOwnership();
                    if (s instanceof HostSource h) h.addTo(tree, excludes, o, null, workers);
                    else s.addTo(tree, new SourceContext(o, excludes, tmp));
                }
            }
            excludes.applyTo(tree);
            if (!(mtime instanceof MtimePolicy.Keep)) tree.mapMetadata(n -> mtime.apply(n.meta()));
            return tree;
        } catch (IOException | RuntimeException | Error e) {
            tree.close();
            throw e;
        }
    }

    /** What a source is told; see {@link Source.Context}. */
    private record SourceContext(Ownership ownership, Excludes excludes, Path temporaryDirectory) implements Source.Context {
        @Override
        public boolean excluded(EntryPath path) {
            return excludes.excludes(path);
        }

        @Override
        public void overlay(Tree tree, Tree upper, boolean whiteouts) {
            tree.adopt(upper);
            Layers.apply(tree, upper, whiteouts, ownership);
        }
    }

    /** The feed told each file's metadata as the tree will have it once {@code mtime} is applied. */
    private static FileFeed withPolicy(FileFeed feed, MtimePolicy mtime) {
        if (mtime instanceof MtimePolicy.Keep) return feed;
        return new FileFeed() {
            @Override
            public void file(EntryPath path, Node.File file) {
                feed.file(path, new Node.File(mtime.apply(file.meta()), file.content()));
            }

            @Override
            public void end() {
                feed.end();
            }

            @Override
            public void close() {
                feed.close();
            }
        };
    }
}
