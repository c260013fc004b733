package dev.kiln.cli;

import dev.kiln.fs.Tree;
import dev.kiln.fs.TreeDiff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, description = {"Compares two images or directories: one line per difference, exit 1 when they differ.",
        "Lines: '- PATH' only in A, '+ PATH' only in B, 'KIND PATH: A -> B' for type, content, mode, owner, mtime, target, device, xattrs, link."})
final class DiffCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A")
    String a;

    @Parameters(index = "1", paramLabel = "B")
    String b;

    @Option(names = "--no-owners", description = "Ignore uid/gid.")
    boolean noOwners;

    @Option(names = "--no-mtimes", description = "Ignore modification times.")
    boolean noMtimes;

    @Option(names = "--no-xattrs", description = "Ignore extended attributes.")
    boolean noXattrs;

    @Option(names = "--nanos", description = "Compare mtimes to the nanosecond (cpio and ustar keep whole seconds only).")
    boolean nanos;

    @Option(names = "--json", description = "One JSON array of differences.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        TreeDiff.Options o = new TreeDiff.Options(true, !noOwners, !noMtimes, nanos, !noXattrs, true);
        List<TreeDiff.Difference> diffs;
        try (Tree ta = Inputs.open(a); Tree tb = Inputs.open(b)) {
            diffs = TreeDiff.compare(ta, tb, o);
        }
        if (json) {
            List<Object> out = new ArrayList<>();
            for (TreeDiff.Difference d : diffs) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("path", d.path().display());
                m.put("kind", d.kind());
                if (!d.a().isEmpty() || !d.b().isEmpty()) {
                    m.put("a", d.a());
                    m.put("b", d.b());
                }
                out.add(m);
            }
            System.out.println(Json.write(out));
        } else {
            StringBuilder sb = new StringBuilder();
            for (TreeDiff.Difference d : diffs) sb.append(d.line()).append('\n');
            System.out.print(sb);
        }
        return diffs.isEmpty() ? KilnCommand.OK : KilnCommand.DIFFERENT;
    }
}
