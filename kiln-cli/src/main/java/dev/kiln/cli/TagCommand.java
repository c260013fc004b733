package dev.kiln.cli;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "tag", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = {"Gives an image another tag where it is: kiln tag oci:DIR:OLD NEW, or kiln tag docker://REGISTRY/REPO:OLD NEW",
                "(the manifest or index is fetched, checked against its digest, and put under the new tag; no blob moves)."})
final class TagCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REF")
    String ref;

    @Parameters(index = "1", paramLabel = "TAG")
    String tag;

    @picocli.CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() throws Exception {
        ImageReference r = ImageReference.parse(ref);
        if (r instanceof ImageReference.Registry reg) {
            try (var client = registry.client(reg.registry())) {
                var repo = dev.kiln.oci.registry.Repository.of(reg);
                var m = client.getManifest(repo, reg.reference());
                client.putManifest(repo, tag, m.descriptor().mediaType(), m.bytes());
                System.err.println("kiln: tagged " + m.descriptor().digest() + " as " + reg.withTag(tag));
            }
            return KilnCommand.OK;
        }
        if (!(r instanceof ImageReference.OciDirectory(Path dir, String from))) {
            throw new OciException(ref + ": tag works on an OCI layout (oci:DIR:TAG) or a registry (docker://…)");
        }
        OciLayout layout = OciLayout.open(dir);
        Descriptor d = OciRefs.top(layout, from, ref);
        layout.tag(tag, d);
        System.err.println("kiln: tagged " + d.digest() + " as oci:" + dir + ":" + tag);
        return KilnCommand.OK;
    }
}
