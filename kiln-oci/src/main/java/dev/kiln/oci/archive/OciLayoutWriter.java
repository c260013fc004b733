package dev.kiln.oci.archive;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Directories;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.ResolvedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Copies an image into an OCI layout directory and tags it. A new layout is written beside its
 * destination and renamed into place when complete, so a failed copy leaves nothing; into an
 * existing layout, blobs are verified before they are stored and the tag is set last, so a
 * failure leaves at most complete, unreferenced blobs.
 */
public final class OciLayoutWriter {
    /** The tag given to an image copied without one, as skopeo reads {@code oci:DIR}. */
    public static final String DEFAULT_TAG = "latest";

    private OciLayoutWriter() {}

    /** Copies {@code image} into the layout at {@code dir} as {@code tag} (null: {@link #DEFAULT_TAG}). */
    public static void write(ResolvedImage image, String tag, Path dir) throws IOException {
        String t = tag != null ? tag : DEFAULT_TAG;
        OciLayout.checkTag(t);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            copy(image, t, OciLayout.open(dir));
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp-");
        try {
            copy(image, t, OciLayout.create(tmp));
            Files.deleteIfExists(tmp.resolve(".index.lock"));
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Directories.deleteTree(tmp);
            throw e;
        }
    }

    private static void copy(ResolvedImage image, String tag, OciLayout layout) throws IOException {
        OciForm form = OciForm.of(image);
        for (int i = 0; i < form.manifest().layers().size(); i++) {
            Descriptor stored = form.manifest().layers().get(i);
            if (layout.hasBlob(stored.digest())) continue;
            try (InputStream in = image.blobs().open(image.manifest().layers().get(i))) {
                layout.putBlob(stored, in);
            }
        }
        layout.putBlob(form.manifest().config(), new ByteArrayInputStream(image.configBytes()));
        layout.putBlob(form.descriptor(), new ByteArrayInputStream(form.bytes()));
        Descriptor entry = form.indexEntry(image, null);
        if (!layout.hasBlob(entry.digest())) throw new OciException(layout.directory() + ": manifest " + entry.digest() + " was not stored");
        layout.tag(tag, entry);
    }

}
