package dev.kiln.cli;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.registry.ProgressBar;
import dev.kiln.oci.registry.RegistryClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "pull", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = {"Pulls an image from a registry into an OCI layout: kiln pull docker://REGISTRY/REPO:TAG oci:DIR[:TAG].",
                "Every manifest and blob is checked against its digest before it is kept; the tag is set last."})
final class PullCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC") String src;
    @Parameters(index = "1", paramLabel = "DST") String dst;
    @Mixin RegistryFlags flags;

    @Override
    public Integer call() throws Exception {
        if (!(ImageReference.parse(src) instanceof ImageReference.Registry from)) {
            throw new OciException(src + ": pull takes a registry image (docker://REGISTRY/REPO:TAG)");
        }
        if (!(ImageReference.parse(dst) instanceof ImageReference.OciDirectory(Path dir, String tag))) {
            throw new OciException(dst + ": pull writes an OCI layout (oci:DIR[:TAG])");
        }
        String t = tag != null ? tag : from.tag() != null ? from.tag() : "latest";
        try (RegistryClient client = flags.client(from.registry()); ProgressBar bar = ProgressBar.forTerminal("pull")) {
            Descriptor top = client.pull(from, OciLayout.create(dir), t, RegistryClient.Options.defaults().withProgress(bar));
            System.err.printf("kiln: pulled %s as oci:%s:%s (%s)%n", from, dir, t, top.digest());
        }
        return KilnCommand.OK;
    }
}
