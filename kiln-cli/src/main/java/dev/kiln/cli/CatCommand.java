package dev.kiln.cli;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cat", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, description = "Writes a file of an image to standard output (symlinks inside the image are followed).")
final class CatCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE")
    String image;

    @Parameters(index = "1", paramLabel = "PATH")
    String path;

    @Override
    public Integer call() throws Exception {
        try (Tree tree = Inputs.open(image)) {
            EntryPath at = tree.follow(EntryPath.parse(path));
            Node n = tree.resolve(at);
            if (!(n instanceof Node.File f)) throw new KilnException(EntryPath.parse(path).display() + ": not a regular file");
            try (InputStream in = f.content().open()) {
                in.transferTo(System.out);
            }
        }
        System.out.flush();
        return KilnCommand.OK;
    }
}
