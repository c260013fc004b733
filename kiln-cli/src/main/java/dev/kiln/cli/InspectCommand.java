package dev.kiln.cli;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.Inspection;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = {"Shows an image: its index or manifest, each manifest's platform, annotations, config and layers.",
                "Every blob shown is read and checked against its digest."})
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REF", description = "oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME] or docker://REGISTRY/REPO:TAG")
    String ref;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Option(names = "--platform", paramLabel = "OS/ARCH", description = "Archives: which manifest (default linux/amd64).")
    String platform;

    @picocli.CommandLine.Mixin
    RegistryFlags registry;

    @Override
    public Integer call() throws Exception {
        java.nio.file.Path scratch = java.nio.file.Files.createTempDirectory("kiln-inspect-");
        Inspection in;
        try {
            dev.kiln.oci.Platform plat = null;
            if (platform != null) {
                plat = dev.kiln.oci.Platform.parse(platform, "--platform");
            }
            in = OciRefs.inspect(ImageReference.parse(ref), scratch.resolve("image"), registry, plat);
        } finally {
            dev.kiln.oci.Directories.deleteTree(scratch);
        }
        if (json) {
            System.out.println(Json.write(toJson(in)));
            return KilnCommand.OK;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(ref).append(": ").append(in.index() != null ? "index" : "manifest").append(' ').append(in.top().digest())
                .append(" (").append(in.top().size()).append(" bytes)\n");
        if (in.index() != null) in.index().annotations().forEach((k, v) -> sb.append("  annotation ").append(k).append('=').append(v).append('\n'));
        for (Inspection.Entry e : in.manifests()) {
            sb.append("manifest ").append(e.descriptor().digest());
            if (e.descriptor().platform() != null) sb.append("  platform ").append(e.descriptor().platform());
            sb.append('\n');
            e.manifest().annotations().forEach((k, v) -> sb.append("  annotation ").append(k).append('=').append(v).append('\n'));
            ImageConfig c = e.config();
            if (c != null) {
                sb.append("  config ").append(e.manifest().config().digest()).append(": ").append(c.os()).append('/').append(c.architecture());
                if (c.osVersion() != null) sb.append(" os.version ").append(c.osVersion());
                if (!c.osFeatures().isEmpty()) sb.append(", ").append(c.osFeatures().size()).append(" os.features");
                sb.append('\n');
                if (c.entrypoint() != null) sb.append("    Entrypoint ").append(c.entrypoint()).append('\n');
                if (c.cmd() != null) sb.append("    Cmd ").append(c.cmd()).append('\n');
                if (!c.env().isEmpty()) sb.append("    Env ").append(c.env()).append('\n');
                c.labels().forEach((k, v) -> sb.append("    label ").append(k).append('=').append(v).append('\n'));
            }
            for (Descriptor l : e.manifest().layers()) {
                sb.append("  layer ").append(l.digest()).append(' ').append(l.size()).append(' ').append(l.mediaType());
                l.annotations().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
                sb.append('\n');
            }
        }
        System.out.print(sb);
        return KilnCommand.OK;
    }

    private static Map<String, Object> toJson(Inspection in) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("mediaType", in.top().mediaType());
        o.put("digest", in.top().digest().toString());
        o.put("size", in.top().size());
        if (in.index() != null) o.put("annotations", in.index().annotations());
        List<Object> ms = new ArrayList<>();
        for (Inspection.Entry e : in.manifests()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("digest", e.descriptor().digest().toString());
            if (e.descriptor().platform() != null) m.put("platform", e.descriptor().platform().toString());
            m.put("annotations", e.manifest().annotations());
            ImageConfig c = e.config();
            if (c != null) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("digest", e.manifest().config().digest().toString());
                cm.put("architecture", c.architecture());
                cm.put("os", c.os());
                cm.put("os.version", c.osVersion());
                cm.put("os.features", c.osFeatures());
                cm.put("Entrypoint", c.entrypoint());
                cm.put("Cmd", c.cmd());
                cm.put("Env", c.env());
                cm.put("Labels", c.labels());
                m.put("config", cm);
            }
            List<Object> ls = new ArrayList<>();
            for (Descriptor l : e.manifest().layers()) {
                Map<String, Object> lm = new LinkedHashMap<>();
                lm.put("mediaType", l.mediaType());
                lm.put("digest", l.digest().toString());
                lm.put("size", l.size());
                lm.put("annotations", l.annotations());
                ls.add(lm);
            }
            m.put("layers", ls);
            ms.add(m);
        }
        o.put("manifests", ms);
        return o;
    }
}
