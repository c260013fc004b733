package dev.kiln.cli;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.registry.ProgressBar;
import dev.kiln.oci.registry.PushResult;
import dev.kiln.oci.registry.RegistryClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "push", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = {"Pushes an image from an OCI layout to a registry: kiln push oci:DIR[:TAG] docker://REGISTRY/REPO:TAG.",
                "Blobs the registry has are skipped, blobs in its other repositories mounted; manifests go up after their blobs and the tag last."})
final class PushCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC") String src;
    @Parameters(index = "1", paramLabel = "DST") String dst;
    @Mixin RegistryFlags flags;

    @Override
    public Integer call() throws Exception {
        if (!(ImageReference.parse(src) instanceof ImageReference.OciDirectory(Path dir, String tag))) {
            throw new OciException(src + ": push takes an OCI layout (oci:DIR[:TAG])");
        }
        if (!(ImageReference.parse(dst) instanceof ImageReference.Registry to)) {
            throw new OciException(dst + ": push goes to a registry (docker://REGISTRY/REPO:TAG)");
        }
        OciLayout layout = OciLayout.open(dir);
        Descriptor top = OciRefs.top(layout, tag, src);
        try (RegistryClient client = flags.client(to.registry()); ProgressBar bar = ProgressBar.forTerminal("push")) {
            PushResult r = client.push(layout, top, to, RegistryClient.Options.defaults().withProgress(bar));
            System.err.printf("kiln: pushed %s to %s (%d blobs uploaded, %d mounted, %d already there; %,d bytes sent)%n", top.digest(), to,
                    r.uploaded().size(), r.mounted().size(), r.existing().size(), r.bytesSent());
        }
        return KilnCommand.OK;
    }
}
