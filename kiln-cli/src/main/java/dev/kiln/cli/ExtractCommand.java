package dev.kiln.cli;

import dev.kiln.fs.Tree;
import dev.kiln.fs.Extractor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "extract", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, description = {"Extracts an image into a directory.",
        "Never writes outside DIR and never follows symlinks; owners and device nodes are restored only when run as root."})
final class ExtractCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE")
    String image;

    @Parameters(index = "1", paramLabel = "DIR")
    Path dir;

    @Override
    public Integer call() throws Exception {
        try (Tree tree = Inputs.open(image)) {
            for (String w : new Extractor(Extractor.runningAsRoot()).extract(tree, dir)) {
                System.err.println("kiln: warning: " + w);
            }
        }
        return KilnCommand.OK;
    }
}
