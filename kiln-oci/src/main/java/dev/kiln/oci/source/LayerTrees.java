package dev.kiln.oci.source;

import dev.kiln.fs.Compression;
import dev.kiln.fs.EntryPath;
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
    /**
     * A layer's tree (null when the layer adds no entry), its links to lower layers, and the
     * directories it has members in without listing them.
     */
    record Prepared(Tree tree, List<LayerTarFilter.LinkToLower> links, List<EntryPath> unlisted) implements AutoCloseable {
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
            try (LayerStreams.TarStream in = LayerStreams.openTar(image.blobs(), layer, what)) {
                r = filter(in, null, what);
            }
            // A link to a lower layer must come out of the tar before kiln's reader sees it, and a cut padding be completed.
            if (r.links().isEmpty() && !r.completed()) return new Prepared(r.members() > 0 ? read(inPlace.get(), what, temporaryDirectory) : null, List.of(), r.unlisted());
        }
        Path spool = temporaryDirectory != null ? Files.createTempFile(temporaryDirectory, "kiln-layer-", ".tar")
                : Files.createTempFile("kiln-layer-", ".tar");
        try {
            LayerTarFilter.Result r;
            try (LayerStreams.TarStream in = LayerStreams.openTar(image.blobs(), layer, what);
                 OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                r = filter(in, out, what);
            }
            if (r.members() == 0) {
                Files.delete(spool);
                return new Prepared(null, r.links(), r.unlisted());
            }
            Tree tree = read(spool, what, temporaryDirectory);
            tree.attach(() -> Files.deleteIfExists(spool));
            return new Prepared(tree, r.links(), r.unlisted());
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(spool);
            throw e;
        }
    }

    /** Filters the tar; a tar that does not parse is first checked against its digest, which then names the fault. */
    private static LayerTarFilter.Result filter(LayerStreams.TarStream in, OutputStream out, String what) throws IOException {
        try {
            return LayerTarFilter.run(in, out, what);
        } catch (OciException e) {
            try {
                in.verifyRest();
            } catch (OciException mismatch) {
                mismatch.addSuppressed(e);
                throw mismatch;
            }
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
