package dev.kiln.fs.target;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Tree;
import java.util.ArrayList;
import java.util.List;

/**
 * The Linux kernel: initramfs (cpio newc/crc, optionally gzip/zstd/xz compressed) and EROFS
 * mounts. It keeps owners, modes, devices and hard links; names follow NAME_MAX/PATH_MAX.
 */
public record LinuxTarget() implements Target {
    public String id() { return "linux"; }

    public List<Finding> checkKind(ImageKind kind) {
        List<Finding> out = new ArrayList<>();
        if (kind.format() == ImageFormat.CPIO && "070707".equals(kind.cpioMagic())) {
            out.add(Finding.error(null, "odc cpio (070707): the kernel's initramfs unpacker reads only newc (070701) and crc (070702)"));
        }
        if (kind.format() == ImageFormat.TAR) {
            out.add(Finding.error(null, "tar: the kernel cannot boot or mount a tar archive; build cpio (initramfs) or EROFS"));
        }
        if (kind.erofsKernel() != null) {
            ErofsKernel k = kind.erofsKernel();
            out.add(Finding.info("needs Linux " + k.version() + " or newer (" + String.join(", ", k.reasons()) + ")"));
        }
        if (kind.format() == ImageFormat.EROFS && kind.compression() != Compression.NONE) {
            out.add(Finding.error(null, "EROFS must not be wrapped in " + kind.compression().name().toLowerCase() + ": the kernel mounts the raw image"));
        }
        return out;
    }

    public List<Finding> prepare(Tree tree) {
        List<Finding> out = new ArrayList<>();
        Limits.names(tree, out, "Linux");
        return out;
    }

    public List<Finding> lint(Tree tree) {
        return prepare(tree);
    }
}
