package dev.kiln.platform.guest;

import java.util.List;
import java.util.Map;

/**
 * How one kind of guest kernel is told what to run: it turns an instance's {@code args},
 * {@code env} and mounts into the kernel command line, checked against what that kernel's parser
 * can carry. A request is never altered to fit: what cannot reach the guest intact (a character
 * the parser would act on, more words, variables or bytes than the kernel takes) is refused
 * with a {@link GuestArgsException} naming the field, before anything boots.
 */
public sealed interface Guest permits UnikraftGuest, LinuxGuest {
    /** The image metadata's name for this kind: {@code unikraft} or {@code linux}. */
    String kind();

    /**
     * The kernel command line for these args (the application's argv after its name), env and
     * 9p mounts.
     *
     * @throws GuestArgsException when any of them cannot be expressed or exceeds a limit
     */
    String commandLine(List<String> args, Map<String, String> env, List<Mount> mounts);

    /**
     * The guest for an image's metadata: {@code kind} as recorded there, {@code initrd} whether
     * the image has one (a Linux guest always boots from its initramfs).
     */
    static Guest of(String kind, boolean initrd) {
        return switch (kind) {
            case "unikraft" -> new UnikraftGuest(initrd);
            case "linux" -> new LinuxGuest();
            default -> throw new IllegalArgumentException("guest kind \"" + kind + "\": kiln boots unikraft and linux");
        };
    }
}
