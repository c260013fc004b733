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
        description = "Gives an image another tag in the same OCI layout: kiln tag oci:DIR:OLD NEW.")
final class TagCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REF")
    String ref;

    @Parameters(index = "1", paramLabel = "TAG")
    String tag;

    @Override
    public Integer call() throws Exception {
        ImageReference r = ImageReference.parse(ref);
        if (!(r instanceof ImageReference.OciDirectory(Path dir, String from))) {
            throw new OciException(ref + ": tag works on an OCI layout (oci:DIR:TAG)");
        }
        OciLayout layout = OciLayout.open(dir);
        Descriptor d = OciRefs.top(layout, from, ref);
        layout.tag(tag, d);
        System.err.println("kiln: tagged " + d.digest() + " as oci:" + dir + ":" + tag);
        return KilnCommand.OK;
    }
}
