package dev.kiln.fs.target;

import dev.kiln.fs.Entry;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What `kiln check` does: read a whole image, every byte of data included, and lint it for a target. */
public final class Check {
    private Check() {}

    /**
     * @param kind         format and compression
     * @param entries      the entries read
     * @param contentBytes bytes of file data read (each hard-link group once per path)
     * @param findings     what the target says, errors first
     */
    public record Result(ImageKind kind, int entries, long contentBytes, List<Finding> findings) {
        public boolean ok() {
            return findings.stream().noneMatch(Finding::isError);
        }
    }

    public static Result run(Path image, Target target) throws IOException {
        if (!Files.isRegularFile(image)) throw new KilnException(image + ": not a file");
        ImageKind kind = ImageKind.detect(image);
        List<CpioReader.Member> members = target.readsMembers() ? new ArrayList<>() : null;
        try (Tree tree = Images.read(image, null, members == null ? null : members::add)) {
            return check(image, target, kind, tree, members);
        }
    }

    private static Result check(Path image, Target target, ImageKind kind, Tree tree, List<CpioReader.Member> members) {
        long bytes = 0;
        byte[] buf = new byte[1 << 16];
        for (Entry e : tree.entries()) {
            // Reading every file proves the data is there and decodes (checksums, compression).
            if (e.node() instanceof Node.File f) {
                try (InputStream in = f.content().open()) {
                    int n;
                    while ((n = in.read(buf)) > 0) bytes += n;
                } catch (IOException ex) {
                    throw new KilnException(image + ": " + e.path().display() + ": data unreadable: " + ex.getMessage());
                }
            }
        }
        List<Finding> findings = new ArrayList<>(target.checkKind(kind));
        findings.addAll(target.lint(tree));
        if (members != null) findings.addAll(target.lintMembers(members));
        findings.sort(java.util.Comparator.comparing(Finding::severity));
        return new Result(kind, tree.size(), bytes, findings);
    }
}
