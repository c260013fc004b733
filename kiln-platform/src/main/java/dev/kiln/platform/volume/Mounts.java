package dev.kiln.platform.volume;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host's mount table as this process sees it ({@code /proc/self/mountinfo}): the truth about
 * what is mounted, which survives a restart of kiln serve where no memory of ours does.
 */
final class Mounts {
    private Mounts() {}

    /** One mount: where, of what (a device such as /dev/loop3), and which filesystem. */
    record Mount(Path at, String source, String type) {
        /**
         * The file behind a loop device, as the kernel recorded it at set-up; empty for anything
         * else. A file deleted or replaced since then reads "PATH (deleted)".
         */
        Optional<String> loopFile() throws IOException {
            if (!source.startsWith("/dev/loop")) return Optional.empty();
            Path f = Path.of("/sys/block", source.substring("/dev/".length()), "loop", "backing_file");
            try {
                return Optional.of(Files.readString(f).strip());
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
        }
    }

    static List<Mount> all() throws IOException {
        List<Mount> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) continue;
            out.add(new Mount(Path.of(unescape(f[4])), unescape(f[dash + 2]), f[dash + 1]));
        }
        return out;
    }

    /** The mounts at {@code dir} (more than one when stacked), oldest first. */
    static List<Mount> at(Path dir) throws IOException {
        return all().stream().filter(m -> m.at().equals(dir)).toList();
    }

    /** The mounts at or below {@code dir}, deepest first: the order they can be unmounted in. */
    static List<Mount> under(Path dir) throws IOException {
        List<Mount> found = new ArrayList<>(all().stream().filter(m -> m.at().startsWith(dir)).toList());
        return found.reversed();
    }

    /** The kernel writes space, tab, newline and backslash in mountinfo as \ooo octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\\' && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2]) && isOctal(raw[i + 3])) {
                b.write((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + (raw[i + 3] - '0'));
                i += 3;
            } else {
                b.write(raw[i]);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte c) {
        return c >= '0' && c <= '7';
    }
}
