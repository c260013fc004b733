package dev.kiln.platform.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What /proc says about a process. A pid alone does not identify a process across a platform
 * restart (pids are reused), so the VMM records the pid with the process's start time, and
 * checks the command line for QEMU's {@code -name kiln-<id>} before it touches the process.
 */
final class ProcInfo {
    private ProcInfo() {}

    /** Field 22 of /proc/PID/stat: clock ticks after boot at which the process started. */
    static OptionalLong startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
            // The command name (field 2) is in parentheses and may hold spaces or ')', so count from the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return OptionalLong.of(Long.parseLong(rest[22 - 3]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** The argv of a live process; empty if it is gone (or a zombie, whose cmdline is empty). */
    static List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> argv = new ArrayList<>();
            int from = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    argv.add(new String(raw, from, i - from, StandardCharsets.UTF_8));
                    from = i + 1;
                }
            }
            return argv;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Whether {@code pid} is still the process that started at {@code startTime}. */
    static boolean alive(long pid, long startTime) {
        OptionalLong now = startTime(pid);
        return now.isPresent() && now.getAsLong() == startTime && !zombie(pid);
    }

    /** Whether {@code pid} is the QEMU that was started at {@code startTime} as {@code name}. */
    static boolean isQemu(long pid, long startTime, String name) {
        if (!alive(pid, startTime)) return false;
        List<String> argv = cmdline(pid);
        for (int i = 0; i + 1 < argv.size(); i++) {
            if (argv.get(i).equals("-name") && argv.get(i + 1).equals(name)) return true;
        }
        return false;
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
