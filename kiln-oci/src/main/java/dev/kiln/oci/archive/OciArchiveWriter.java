package dev.kiln.oci.archive;

import dev.kiln.fs.Content;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Index;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.ResolvedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes an image as an OCI archive: a tar of an OCI layout ({@code oci-layout},
 * {@code index.json} with one entry, {@code blobs/sha256/…}), as {@code skopeo copy
 * oci-archive:} reads it. The same image gives the same bytes.
 */
public final class OciArchiveWriter {
    static final byte[] OCI_LAYOUT = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);

    private OciArchiveWriter() {}

    /**
     * Writes {@code image} to {@code out} (replaced atomically; nothing is left there on failure),
     * tagged {@code tag} in {@code index.json} when not null. Every blob is verified as it is copied.
     */
    public static void write(ResolvedImage image, String tag, Path out, Path temporaryDirectory) throws IOException {
        if (tag != null) dev.kiln.oci.OciLayout.checkTag(tag);
        OciForm form = OciForm.of(image);
        Index index = Index.of(List.of(form.indexEntry(image, tag)));
        ArchiveFiles files = new ArchiveFiles("oci-archive:" + out)
                .add("oci-layout", Content.of(OCI_LAYOUT))
                .add("index.json", Content.of(OciJson.encode(index)))
                .add(blobPath(form.descriptor()), Content.of(form.bytes()))
                .add(blobPath(form.manifest().config()), new BlobContent(image.blobs(), image.manifest().config()));
        for (int i = 0; i < form.manifest().layers().size(); i++) {
            // The blobs are the source's: the OCI form may only have renamed their media types.
            files.add(blobPath(form.manifest().layers().get(i)), new BlobContent(image.blobs(), image.manifest().layers().get(i)));
        }
        files.writeTo(out, temporaryDirectory);
    }

    static String blobPath(Descriptor d) {
        return "blobs/" + d.digest().algorithm() + "/" + d.digest().encoded();
    }
}
