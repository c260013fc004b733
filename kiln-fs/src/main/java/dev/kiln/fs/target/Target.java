package dev.kiln.fs.target;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.Tree;
import java.util.List;
import java.util.Locale;

/**
 * A consumer of images and what it accepts. {@link #prepare} adapts a tree before a build
 * (dropping what the consumer would drop, with a warning); {@link #lint} reports what an
 * existing image would make the consumer do.
 */
public sealed interface Target permits GenericTarget, LinuxTarget, UnikraftTarget {
    /** Any reader: nothing adapted, over-long names reported. */
    Target GENERIC = new GenericTarget();
    /** The Linux kernel: initramfs cpio, EROFS mounts. */
    Target LINUX = new LinuxTarget();
    /** Unikraft's initrd extractor (ukcpio), as of 0.17. */
    Target UNIKRAFT = new UnikraftTarget();

    String id();

    /** Checks the container format and compression. */
    List<Finding> checkKind(ImageKind kind);

    /** Adapts {@code tree} for this consumer in place and says what changed or cannot work. */
    List<Finding> prepare(Tree tree);

    /** Reports, without changing anything, how this consumer would treat {@code tree}. */
    List<Finding> lint(Tree tree);

    /** Whether this consumer extracts archives member by member, so their raw order matters. */
    default boolean readsMembers() {
        return false;
    }

    /** Reports what the raw member sequence of a cpio archive makes this consumer do. */
    default List<Finding> lintMembers(List<dev.kiln.fs.cpio.CpioReader.Member> members) {
        return List.of();
    }

    /** Whether a cpio for this consumer must store every hard link as a full copy. */
    default boolean copyHardLinks() {
        return false;
    }

    /**
     * Notes to print after a successful build (e.g. memory needs): {@code tree} is what was
     * written, after {@link #prepare}, into an image of {@code imageSize} bytes.
     */
    default List<Finding> afterBuild(Tree tree, long imageSize) {
        return List.of();
    }

    static Target parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "generic" -> GENERIC;
            case "linux" -> LINUX;
            case "unikraft" -> UNIKRAFT;
            default -> throw new KilnException("unknown target \"" + s + "\" (expected generic, linux or unikraft)");
        };
    }
}
