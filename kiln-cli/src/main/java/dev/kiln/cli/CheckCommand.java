package dev.kiln.cli;

import dev.kiln.fs.target.Check;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.ImageKind;
import dev.kiln.fs.target.Target;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, description = {"Reads a whole image (every entry and every byte of data) and lints it for a consumer.",
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
        Check.Result r = Check.run(image, t);
        ImageKind kind = r.kind();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("image", image.toString());
            o.put("format", kind.format() == null ? null : kind.format().id());
            o.put("compression", kind.compression().name().toLowerCase());
            o.put("target", t.id());
            o.put("entries", r.entries());
            o.put("contentBytes", r.contentBytes());
            o.put("ok", r.ok());
            List<Object> fs = new ArrayList<>();
            for (Finding f : r.findings()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("severity", f.severity().name().toLowerCase());
                m.put("path", f.path() == null ? null : f.path().display());
                m.put("message", f.message());
                fs.add(m);
            }
            o.put("findings", fs);
            System.out.println(Json.write(o));
        } else {
            for (Finding f : r.findings()) System.out.println(f);
            System.out.printf("%s: %s, %,d entries, %,d bytes of data: %s for --target %s%n", image,
                    kind.format().id() + (kind.cpioMagic() != null ? " " + kind.cpioMagic() : ""), r.entries(), r.contentBytes(),
                    r.ok() ? "ok" : "NOT OK", t.id());
        }
        return r.ok() ? KilnCommand.OK : KilnCommand.DIFFERENT;
    }
}
