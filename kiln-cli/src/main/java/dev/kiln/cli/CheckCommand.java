package dev.kiln.cli;

import dev.kiln.fs.Entry;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.ImageKind;
import dev.kiln.fs.target.Target;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check", description = {"Reads a whole image (every entry and every byte of data) and lints it for a consumer.",
        "Exit 0 when the target accepts it, 1 when it reports errors, 3 when the image is corrupt."})
final class CheckCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Option(names = "--target", paramLabel = "TARGET", defaultValue = "generic",
            description = "generic, linux or unikraft (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--json", description = "Findings as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Target t = Target.parse(target);
        if (!Files.isRegularFile(image)) throw new KilnException(image + ": not a file");
        ImageKind kind = ImageKind.detect(image);
        Tree tree = Images.read(image);
        long bytes = 0;
        byte[] buf = new byte[1 << 16];
        for (Entry e : tree.entries()) {
            // Reading every file proves the data is there and decodes (checksums, compression).
            if (e.node() instanceof Node.File f) {
                try (InputStream in = f.content().open()) {
                    int n;
                    while ((n = in.read(buf)) > 0) bytes += n;
                } catch (java.io.IOException ex) {
                    throw new KilnException(image + ": " + e.path().display() + ": data unreadable: " + ex.getMessage());
                }
            }
        }
        List<Finding> findings = new ArrayList<>(t.checkKind(kind));
        findings.addAll(t.lint(tree));
        boolean errors = findings.stream().anyMatch(Finding::isError);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("image", image.toString());
            o.put("format", kind.format() == null ? null : kind.format().id());
            o.put("compression", kind.compression().name().toLowerCase());
            o.put("target", t.id());
            o.put("entries", tree.size());
            o.put("contentBytes", bytes);
            o.put("ok", !errors);
            List<Object> fs = new ArrayList<>();
            for (Finding f : findings) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("severity", f.severity().name().toLowerCase());
                m.put("path", f.path() == null ? null : f.path().display());
                m.put("message", f.message());
                fs.add(m);
            }
            o.put("findings", fs);
            System.out.println(Json.write(o));
        } else {
            for (Finding f : findings) System.out.println(f);
            System.out.printf("%s: %s, %,d entries, %,d bytes of data: %s for --target %s%n", image,
                    kind.format().id() + (kind.cpioMagic() != null ? " " + kind.cpioMagic() : ""), tree.size(), bytes,
                    errors ? "NOT OK" : "ok", t.id());
        }
        return errors ? KilnCommand.DIFFERENT : KilnCommand.OK;
    }
}
