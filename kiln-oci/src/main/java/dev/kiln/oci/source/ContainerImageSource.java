package dev.kiln.oci.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.LayerStreams;
import dev.kiln.oci.OciException;
import dev.kiln.oci.Platform;
import dev.kiln.oci.ResolvedImage;
import dev.kiln.oci.archive.ImageReferences;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A container image's filesystem as a build source: its layers laid in order as a container
 * runtime stacks them ({@code .wh.NAME} deletes, {@code .wh..wh..opq} empties a directory, a hard
 * link may name a file of a lower layer), each layer verified against its digest as it is read.
 * Layers go straight into the build's tree: an uncompressed layer in a layout is read where it
 * lies, the others are decompressed into the build's temporary directory, and those files are
 * deleted when the build's tree is closed. Nothing is unpacked.
 *
 * <p>Where the image comes from is an {@link Opener}: a local reference (OCI layout, OCI or Docker
 * archive) here, a registry pull elsewhere. Layers are decompressed on up to one thread per core,
 * started and ended within {@link #addTo}, and laid in order as they become ready.
 */
public final class ContainerImageSource implements Source {
    /** Opens the image when the build reads the source; the source closes what it returns. */
    @FunctionalInterface
    public interface Opener {
        ResolvedImage open(Path temporaryDirectory) throws IOException;
    }

    private static final List<String> PREFIXES = List.of("oci:", "oci-archive:", "docker-archive:");

    private final String description;
    private final Opener opener;

    public ContainerImageSource(String description, Opener opener) {
        this.description = description;
        this.opener = opener;
    }

    /** The image at a local reference, for {@code platform} (null: linux/amd64 or an index's only manifest). */
    public static ContainerImageSource of(ImageReference reference, Platform platform) {
        if (reference instanceof ImageReference.Registry) {
            throw new OciException(reference + ": registry images are not supported here yet (pull them into an OCI layout first)");
        }
        return new ContainerImageSource(reference.toString(), tmp -> ImageReferences.open(reference, platform, tmp));
    }

    /** An image already open (a registry's, say); the caller keeps it and closes it after the build. */
    public static ContainerImageSource of(ResolvedImage image) {
        return new ContainerImageSource(image.name(), tmp -> image.borrowed());
    }

    /** Whether {@code argument} of {@code kiln build} names a container image ({@code oci:}, {@code oci-archive:}, {@code docker-archive:}). */
    public static boolean isImageArgument(String argument) {
        for (String p : PREFIXES) if (argument.startsWith(p)) return true;
        return false;
    }

    /** {@link #parse(String, Platform)} for the default platform. */
    public static ContainerImageSource parse(String argument) {
        return parse(argument, null);
    }

    /**
     * A {@code kiln build} source argument: {@code oci:DIR[:TAG]}, {@code oci-archive:FILE[:TAG]}
     * or {@code docker-archive:FILE[:NAME]}. Fails at once, naming the argument, when the form is
     * not one of these or the directory or file does not exist; the image is read by the build.
     */
    public static ContainerImageSource parse(String argument, Platform platform) {
        if (argument.startsWith("docker://")) {
            throw new OciException(argument + ": registry images are not supported here yet (copy them into an OCI layout first)");
        }
        if (!isImageArgument(argument)) {
            throw new OciException("\"" + argument + "\": a container image is oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME]");
        }
        ImageReference ref = ImageReference.parse(argument);
        switch (ref) {
            case ImageReference.OciDirectory(Path dir, String tag) -> {
                if (!Files.isDirectory(dir)) throw new OciException(argument + ": " + dir + " is not a directory (an OCI layout)");
            }
            case ImageReference.OciArchive(Path file, String tag) -> {
                if (!Files.isRegularFile(file)) throw new OciException(argument + ": no such file " + file);
            }
            case ImageReference.DockerArchive(Path file, String name) -> {
                if (!Files.isRegularFile(file)) throw new OciException(argument + ": no such file " + file);
            }
            case ImageReference.Registry r -> { }
        }
        return of(ref, platform);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void addTo(Tree tree, Context context) throws IOException {
        try (ResolvedImage image = opener.open(context.temporaryDirectory())) {
            List<Descriptor> layers = image.manifest().layers();
            // Every layer must be a tar before any is read: a ROM or a kernel blob is not a filesystem to flatten.
            for (int i = 0; i < layers.size(); i++) LayerStreams.checkTarLayer(layers.get(i), what(image, i));
            int threads = Math.min(layers.size(), Math.max(1, Runtime.getRuntime().availableProcessors()));
            if (threads <= 1) {
                for (int i = 0; i < layers.size(); i++) {
                    lay(tree, context, LayerTrees.prepare(image, layers.get(i), what(image, i), context.temporaryDirectory()), what(image, i));
                }
            } else {
                layInParallel(tree, context, image, threads);
            }
        }
    }

    private void layInParallel(Tree tree, Context context, ResolvedImage image, int threads) throws IOException {
        List<Descriptor> layers = image.manifest().layers();
        ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("kiln-layer-", 0).daemon().factory());
        List<Future<LayerTrees.Prepared>> ready = new ArrayList<>();
        int laid = 0;
        try {
            for (int i = 0; i < layers.size(); i++) {
                int n = i;
                ready.add(pool.submit(() -> LayerTrees.prepare(image, layers.get(n), what(image, n), context.temporaryDirectory())));
            }
            for (; laid < layers.size(); laid++) {
                LayerTrees.Prepared p = ready.get(laid).get();
                lay(tree, context, p, what(image, laid));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the layers of " + description);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw new IOException(e.getCause());
            }
        } finally {
            pool.shutdownNow();
            // Wait for layers still being read, then delete what nobody will lay: no thread and no spool outlives the call.
            try {
                while (!pool.awaitTermination(1, TimeUnit.MINUTES)) { }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int i = laid + 1; i < ready.size(); i++) {
                Future<LayerTrees.Prepared> f = ready.get(i);
                if (f.state() == Future.State.SUCCESS) f.resultNow().close();
            }
        }
    }

    /**
     * Lays one prepared layer over {@code tree}, then its links to files of lower layers. A
     * directory the layer only implies (it has members in it but no entry of its own, as
     * {@code umoci insert} writes a whiteout) keeps the metadata the lower layers gave it, as a
     * runtime that extracts the layer leaves an existing directory alone.
     */
    private static void lay(Tree tree, Context context, LayerTrees.Prepared p, String what) {
        if (p.tree() != null) {
            List<EntryPath> kept = new ArrayList<>();
            List<Metadata> metas = new ArrayList<>();
            for (EntryPath d : p.unlisted()) {
                if (tree.get(d).orElse(null) instanceof Node.Directory dir) {
                    kept.add(d);
                    metas.add(dir.meta());
                }
            }
            try {
                context.overlay(tree, p.tree(), true);
            } finally {
                p.close(); // after overlay the build's tree owns the spool: this releases nothing then
            }
            for (int i = 0; i < kept.size(); i++) {
                if (tree.get(kept.get(i)).orElse(null) instanceof Node.Directory) tree.put(kept.get(i), new Node.Directory(metas.get(i)));
            }
        }
        for (LayerTarFilter.LinkToLower link : p.links()) {
            String entry = "entry \"" + link.path().display() + "\": hard link to \"" + link.target().display() + "\"";
            Node target = tree.get(link.target()).orElseThrow(() ->
                    new OciException(what + ": " + entry + ", which neither this layer nor a lower one has"));
            if (target instanceof Node.Directory) throw new OciException(what + ": " + entry + ", which is a directory");
            try {
                tree.put(link.path(), new Node.HardLink(link.target()));
            } catch (KilnException e) {
                throw new OciException(what + ": " + entry + ": " + e.getMessage(), e);
            }
        }
    }

    private static String what(ResolvedImage image, int i) {
        return LayerStreams.describe(image.name(), i, image.manifest().layers().size(), image.manifest().layers().get(i));
    }
}
