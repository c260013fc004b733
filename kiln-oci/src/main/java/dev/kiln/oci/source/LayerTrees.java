package dev.kiln.oci.source;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Tree;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.LayerStreams;
import dev.kiln.oci.OciException;
import dev.kiln.oci.ResolvedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One layer as a tree ready to be laid over the ones below it. An uncompressed layer that is a
 * file of its own (a layout's blob) is read where it lies, after one pass that checks its digest
 * and its paths; any other layer is decompressed, checked and filtered in one pass into a spool
 * file in the build's temporary directory, which the tree owns (closing it deletes the file).
 */
final class LayerTrees {
    /** A layer's tree (null when the layer adds no entry) and its links to lower layers. */
    record Prepared(Tree tree, List<LayerTarFilter.LinkToLower> links) implements AutoCloseable {
        @Override
        public void close() {
            if (tree != null) tree.close();
        }
    }

    private LayerTrees() {}

    static Prepared prepare(ResolvedImage image, Descriptor layer, String what, Path temporaryDirectory) throws IOException {
        Optional<Path> inPlace = image.blobs().file(layer);
        if (inPlace.isPresent() && Compression.detect(inPlace.get()) == Compression.NONE) {
            LayerTarFilter.Result r;
            try (InputStream in = LayerStreams.openTar(image.blobs(), layer, what)) {
                r = LayerTarFilter.run(in, null, what);
            }
            // A link to a lower layer must come out of the tar before kiln's reader sees it.
            if (r.links().isEmpty()) return new Prepared(r.members() > 0 ? read(inPlace.get(), what, temporaryDirectory) : null, List.of());
        }
        Path spool = temporaryDirectory != null ? Files.createTempFile(temporaryDirectory, "kiln-layer-", ".tar")
                : Files.createTempFile("kiln-layer-", ".tar");
        try {
            LayerTarFilter.Result r;
            try (InputStream in = LayerStreams.openTar(image.blobs(), layer, what);
                 OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                r = LayerTarFilter.run(in, out, what);
            }
            if (r.members() == 0) {
                Files.delete(spool);
                return new Prepared(null, r.links());
            }
            Tree tree = read(spool, what, temporaryDirectory);
            tree.attach(() -> Files.deleteIfExists(spool));
            return new Prepared(tree, r.links());
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(spool);
            throw e;
        }
    }

    private static Tree read(Path tar, String what, Path temporaryDirectory) throws IOException {
        if (ImageFormat.detect(tar).orElse(null) != ImageFormat.TAR) throw new OciException(what + ": not a tar archive");
        try {
            return Images.read(tar, temporaryDirectory);
        } catch (OciException e) {
            throw e;
        } catch (KilnException e) {
            throw new OciException(what + ": " + e.getMessage(), e);
        }
    }
}
