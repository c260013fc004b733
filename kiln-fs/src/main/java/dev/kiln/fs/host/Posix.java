package dev.kiln.fs.host;

import dev.kiln.fs.KilnException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few libc calls kiln needs that NIO does not offer: full st_mode (setuid/setgid/sticky),
 * nanosecond times and device numbers in one statx call, every xattr namespace (NIO only sees
 * "user."), and mknod/lchown/chmod/utimensat to restore all of that on extraction.
 *
 * <p>Not thread-safe: an instance owns its scratch buffers. Create one per walk or extraction.
 */
public final class Posix implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, STATX_BASIC_STATS = 0x7ff;
    private static final int ENODATA = 61, ENOTSUP = 95, ERANGE = 34, EINVAL = 22, ENOSYS = 38;

    private static final MethodHandle STATX = handle("statx", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle LLISTXATTR = handle("llistxattr", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle LGETXATTR = handle("lgetxattr", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle LSETXATTR = handle("lsetxattr", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MKNOD = handle("mknod", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle LCHOWN = handle("lchown", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CHMOD = handle("chmod", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle UTIMENSAT = handle("utimensat", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private static final int RENAME_EXCHANGE = 2;

    /** glibc 2.28+ has renameat2; without it {@link #exchange} reports "cannot". */
    private static final MethodHandle RENAMEAT2 = LIBC.find("renameat2").map(addr -> LINKER.downcallHandle(addr,
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE)).orElse(null);

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        MemorySegment addr = LIBC.find(name).orElseThrow(() -> new KilnException("libc lacks " + name + "(); kiln needs glibc 2.28 or newer"));
        return LINKER.downcallHandle(addr, fd, CAPTURE);
    }

    /** What statx says about a path (not following a final symlink). */
    public record Stat(int mode, long uid, long gid, long size, long ino, long nlink,
                       int devMajor, int devMinor, int rdevMajor, int rdevMinor, long mtime, int mtimeNanos) {
        public int type() {
            return mode & 0170000;
        }
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment errno = arena.allocate(ERRNO_LAYOUT);
    private final MemorySegment statBuf = arena.allocate(256, 8);
    private MemorySegment pathBuf = arena.allocate(4097);
    private MemorySegment nameBuf = arena.allocate(256);
    private MemorySegment listBuf = arena.allocate(4096);
    private MemorySegment valueBuf = arena.allocate(4096);
    private final MemorySegment times = arena.allocate(32, 8);

    @Override
    public void close() {
        arena.close();
    }

    public Stat lstat(Path p) throws IOException {
        MemorySegment path = cPath(p);
        int rc;
        try {
            rc = (int) STATX.invokeExact(errno, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, statBuf);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("stat", p);
        MemorySegment b = statBuf;
        return new Stat(
                Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT, 28)),
                Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT, 20)),
                Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT, 24)),
                b.get(ValueLayout.JAVA_LONG, 40),
                b.get(ValueLayout.JAVA_LONG, 32),
                Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT, 16)),
                b.get(ValueLayout.JAVA_INT, 136), b.get(ValueLayout.JAVA_INT, 140),
                b.get(ValueLayout.JAVA_INT, 128), b.get(ValueLayout.JAVA_INT, 132),
                b.get(ValueLayout.JAVA_LONG, 112), b.get(ValueLayout.JAVA_INT, 120));
    }

    /**
     * All extended attributes of {@code p} (not following symlinks), in any namespace the
     * caller may read. A file system without xattr support yields none.
     */
    public List<Xattr> listXattrs(Path p) throws IOException {
        MemorySegment path = cPath(p);
        long n;
        while (true) {
            n = llistxattr(path, listBuf, listBuf.byteSize());
            if (n >= 0) break;
            int e = (int) ERRNO.get(errno, 0L);
            if (e == ENOTSUP || e == ENODATA) return List.of();
            if (e != ERANGE) throw error("listxattr", p);
            listBuf = arena.allocate(listBuf.byteSize() * 4);
        }
        if (n == 0) return List.of();
        List<Xattr> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (listBuf.get(ValueLayout.JAVA_BYTE, i) == 0) {
                String name = new String(listBuf.asSlice(start, i - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                byte[] value = getXattr(path, listBuf.asSlice(start, i - start + 1), p, name);
                if (value != null) out.add(new Xattr(name, value));
                start = i + 1;
            }
        }
        return out;
    }

    public record Xattr(String name, byte[] value) {}

    private long llistxattr(MemorySegment path, MemorySegment buf, long size) {
        try {
            return (long) LLISTXATTR.invokeExact(errno, path, buf, size);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private byte[] getXattr(MemorySegment path, MemorySegment cname, Path p, String name) throws IOException {
        while (true) {
            long n;
            try {
                n = (long) LGETXATTR.invokeExact(errno, path, cname, valueBuf, valueBuf.byteSize());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n >= 0) return valueBuf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            int e = (int) ERRNO.get(errno, 0L);
            if (e == ENODATA) return null; // removed since listed
            if (e != ERANGE) throw error("getxattr " + name, p);
            valueBuf = arena.allocate(valueBuf.byteSize() * 4);
        }
    }

    public void setXattr(Path p, String name, byte[] value) throws IOException {
        MemorySegment path = cPath(p);
        MemorySegment cname = cString(name);
        MemorySegment v = arena.allocate(Math.max(1, value.length));
        MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
        int rc;
        try {
            rc = (int) LSETXATTR.invokeExact(errno, path, cname, v, (long) value.length, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("setxattr " + name, p);
    }

    /** Creates a device node, fifo or socket node; {@code mode} includes the type bits. */
    public void mknod(Path p, int mode, int major, int minor) throws IOException {
        long dev = makedev(major, minor);
        int rc;
        try {
            rc = (int) MKNOD.invokeExact(errno, cPath(p), mode, dev);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("mknod", p);
    }

    public void lchown(Path p, long uid, long gid) throws IOException {
        int rc;
        try {
            rc = (int) LCHOWN.invokeExact(errno, cPath(p), (int) uid, (int) gid);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("lchown", p);
    }

    /** chmod with all 12 permission bits (NIO cannot set setuid/setgid/sticky). */
    public void chmod(Path p, int permissions) throws IOException {
        int rc;
        try {
            rc = (int) CHMOD.invokeExact(errno, cPath(p), permissions);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("chmod", p);
    }

    /** Sets atime and mtime of {@code p} itself (a symlink is not followed). */
    public void setMtime(Path p, long seconds, int nanos) throws IOException {
        for (int i = 0; i < 2; i++) {
            times.set(ValueLayout.JAVA_LONG, i * 16L, seconds);
            times.set(ValueLayout.JAVA_LONG, i * 16L + 8, nanos);
        }
        int rc;
        try {
            rc = (int) UTIMENSAT.invokeExact(errno, AT_FDCWD, cPath(p), times, AT_SYMLINK_NOFOLLOW);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("utimensat", p);
    }

    /**
     * Swaps two paths in one step (renameat2 with RENAME_EXCHANGE). Returns false when the file
     * system or kernel cannot (the caller then falls back to a plain rename); other failures throw.
     */
    public static boolean exchange(Path a, Path b) throws IOException {
        MethodHandle renameat2 = RENAMEAT2;
        if (renameat2 == null) return false;
        try (Posix posix = new Posix()) {
            MemorySegment from = posix.cPath(a);
            MemorySegment to = posix.cString(b.toString());
            int rc;
            try {
                rc = (int) renameat2.invokeExact(posix.errno, AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (rc == 0) return true;
            int e = (int) ERRNO.get(posix.errno, 0L);
            if (e == EINVAL || e == ENOSYS || e == ENOTSUP) return false;
            throw posix.error("renameat2", b);
        }
    }

    /** glibc's makedev: 12 bits of major and 20 of minor in the classic positions, the rest above. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffL) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xffL) | ((minor & ~0xffL) << 12);
    }

    private MemorySegment cPath(Path p) {
        byte[] b = p.toString().getBytes(StandardCharsets.UTF_8);
        if (pathBuf.byteSize() <= b.length) pathBuf = arena.allocate(b.length + 1L);
        return terminated(pathBuf, b);
    }

    /** Xattr names get their own buffer, so a path and a name can be passed in one call. */
    private MemorySegment cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (nameBuf.byteSize() <= b.length) nameBuf = arena.allocate(b.length + 1L);
        return terminated(nameBuf, b);
    }

    private static MemorySegment terminated(MemorySegment buf, byte[] b) {
        MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, 0, b.length);
        buf.set(ValueLayout.JAVA_BYTE, b.length, (byte) 0);
        return buf;
    }

    private IOException error(String call, Path p) {
        int e = (int) ERRNO.get(errno, 0L);
        return new IOException(p + ": " + call + " failed: " + strerror(e));
    }

    private static String strerror(int e) {
        return switch (e) {
            case 1 -> "operation not permitted";
            case 2 -> "no such file or directory";
            case 13 -> "permission denied";
            case 17 -> "file exists";
            case 20 -> "not a directory";
            case 22 -> "invalid argument";
            case 28 -> "no space left on device";
            case 30 -> "read-only file system";
            case 36 -> "file name too long";
            case 95 -> "operation not supported";
            default -> "errno " + e;
        };
    }
}
