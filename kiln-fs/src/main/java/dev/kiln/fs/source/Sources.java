package dev.kiln.fs.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FileFeed;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Turns command-line source arguments into sources and sources into a tree. */
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
     * {@code hostOwners} applies to host files and directories, {@code imageOwners} to images.
     */
    public static Source parse(String arg, Ownership hostOwners, Ownership imageOwners) throws IOException {
        Path p = Path.of(arg);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            int colon = arg.lastIndexOf(':');
            if (colon > 0) {
                Path src = Path.of(arg.substring(0, colon));
                String dst = arg.substring(colon + 1);
                if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) throw new KilnException(src + ": no such file or directory (in \"" + arg + "\")");
                if (dst.isEmpty()) throw new KilnException("\"" + arg + "\": empty destination after ':'");
                EntryPath at = EntryPath.parse(dst);
                if (dst.endsWith("/") && !Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                    at = at.resolve(EntryPath.parse(src.getFileName().toString()));
                }
                return new HostSource(src, at, hostOwners);
            }
            throw new KilnException(arg + ": no such file or directory");
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return new HostSource(p, EntryPath.ROOT, hostOwners);
        if (Files.isRegularFile(p)) {
            ImageFormat f = ImageFormat.detect(p).orElseThrow(() -> new KilnException(
                    arg + ": not a directory, cpio, tar or EROFS image; to add the file itself use " + arg + ":/PATH"));
            return new ImageSource(p, f, imageOwners);
        }
        throw new KilnException(arg + ": not a directory or regular file; map it with SRC:DST");
    }

    /**
     * Builds the tree of {@code sources} applied in order, then applies excludes and the mtime
     * policy. Implied directories are 0755 root-owned with the policy's time.
     */
    public static Tree build(List<Source> sources, Excludes excludes, MtimePolicy mtime) throws IOException {
        return build(sources, excludes, mtime, null);
    }

    /**
     * Like {@link #build(List, Excludes, MtimePolicy)}, telling {@code feed} (if not null) the
     * regular files as they are found. Only a single host source is fed: its walk meets files in
     * the tree's final order, while with several sources a later one may replace what an earlier
     * one put. A feed that is not fed never ends, which tells the writer to do without it.
     */
    public static Tree build(List<Source> sources, Excludes excludes, MtimePolicy mtime, FileFeed feed) throws IOException {
        Tree tree = new Tree(Metadata.IMPLIED_DIRECTORY.withMtime(mtime.impliedTime(), 0));
        if (feed != null && sources.size() == 1 && sources.getFirst() instanceof HostSource h) {
            h.addTo(tree, excludes, withPolicy(feed, mtime));
            feed.end();
        } else {
            for (Source s : sources) s.addTo(tree, excludes);
        }
        excludes.applyTo(tree);
        if (!(mtime instanceof MtimePolicy.Keep)) tree.mapMetadata(n -> mtime.apply(n.meta()));
        return tree;
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
