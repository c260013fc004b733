package dev.kiln.fs.host;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
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
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The few libc calls kiln needs that NIO does not offer: full st_mode (setuid/setgid/sticky),
 * nanosecond times and device numbers in one statx call, every xattr namespace (NIO only sees
 * "user."), and mknod/lchown/chmod/utimensat to restore all of that on extraction.
 *
 * <p>Not thread-safe: an instance owns its scratch buffers. Create one per walk or extraction,
 * or one per pool thread ({@link #shared}).
 */
public final class Posix implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000, STATX_BASIC_STATS = 0x7ff;
    private static final int ENOENT = 2, ELOOP = 40;
    /** The empty C string that, with AT_EMPTY_PATH, makes statx describe the descriptor itself. */
    private static final MemorySegment EMPTY_PATH = Arena.global().allocate(1);
    private static final int O_RDONLY = 0, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000,
            O_NONBLOCK = 04000, O_NOCTTY = 0400, O_WRONLY = 1, O_DIRECT = 040000;
    private static final int ENODATA = 61, ENOTSUP = 95, ERANGE = 34, EINVAL = 22, ENOSYS = 38;

    // One holder class per function: a downcall handle costs a few milliseconds to make, so each
    // is made the first time it is used (a build never needs mknod, an extraction never getdents).
    private static final class Statx {
        static final MethodHandle H = handle("statx", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    private static final class Llistxattr {
        static final MethodHandle H = handle("llistxattr", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Lgetxattr {
        static final MethodHandle H = handle("lgetxattr", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Lsetxattr {
        static final MethodHandle H = handle("lsetxattr", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }

    private static final class Mknod {
        static final MethodHandle H = handle("mknod", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    }

    private static final class Lchown {
        static final MethodHandle H = handle("lchown", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class Chmod {
        static final MethodHandle H = handle("chmod", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private static final class Openat {
        static final MethodHandle H = LINKER.downcallHandle(symbol("openat"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                CAPTURE, Linker.Option.firstVariadicArg(3));
    }

    /**
     * A critical downcall, so that read(2) may fill a Java array directly: that saves the copy
     * through a native buffer that FileChannel and RandomAccessFile make. The collector waits
     * while it runs, which for a read of at most a few MiB from the page cache is a millisecond
     * or two.
     */
    private static final class Read {
        static final MethodHandle H = LINKER.downcallHandle(symbol("read"), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), CAPTURE, Linker.Option.critical(true));
    }

    private static final class Close {
        static final MethodHandle H = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class Getdents64 {
        static final MethodHandle H = handle("getdents64", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Readlinkat {
        static final MethodHandle H = handle("readlinkat", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Utimensat {
        static final MethodHandle H = handle("utimensat", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    /** glibc 2.28+ has renameat2; without it {@link #exchange} reports "cannot". */
    private static final class Renameat2 {
        static final MethodHandle H = LIBC.find("renameat2").map(addr -> LINKER.downcallHandle(addr,
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE)).orElse(null);
    }

    private static final int RENAME_EXCHANGE = 2;

    private static final class Mmap {
        static final MethodHandle H = handle("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    }

    private static final class Munmap {
        static final MethodHandle H = handle("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG));
    }

    private static final class Pread {
        static final MethodHandle H = handle("pread", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }

    private static final class Pwrite {
        static final MethodHandle H = handle("pwrite", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }

    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10,
            MAP_ANONYMOUS = 0x20, O_RDWR = 2, O_TMPFILE = 020000000 | O_DIRECTORY;

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(name), fd, CAPTURE);
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new KilnException("libc lacks " + name + "(); kiln needs glibc 2.30 or newer"));
    }

    /** What statx says about a path (not following a final symlink). */
    public record Stat(int mode, long uid, long gid, long size, long ino, long nlink,
                       int devMajor, int devMinor, int rdevMajor, int rdevMinor, long mtime, int mtimeNanos) {
        public int type() {
            return mode & 0170000;
        }
    }

    private final Arena arena;

    /** An instance for the calling thread only. */
    public Posix() {
        this(Arena.ofConfined());
    }

    private Posix(Arena arena) {
        this.arena = arena;
        this.errno = arena.allocate(ERRNO_LAYOUT);
        this.statBuf = arena.allocate(256, 8);
        this.pathBuf = arena.allocate(4097);
        this.nameBuf = arena.allocate(256);
        this.listBuf = arena.allocate(4096);
        this.valueBuf = arena.allocate(4096);
        this.times = arena.allocate(32, 8);
        this.dents = arena.allocate(1 << 15, 8);
    }

    /**
     * An instance that one thread uses but any thread may close: for pool threads, whose
     * instances the pool's owner closes when the work is done.
     */
    public static Posix shared() {
        return new Posix(Arena.ofShared());
    }

    /** Each thread's instance for {@link #openRegular}, with memory the collector frees. */
    private static final ThreadLocal<Posix> OPENER = ThreadLocal.withInitial(() -> new Posix(Arena.ofAuto()));

    /**
     * Opens the regular file {@code file} for reading, not following a symlink and never
     * waiting: a file replaced by a fifo since it was listed would otherwise hold a plain open
     * until some process opened the fifo for writing. The file is opened non-blocking, its type
     * checked on the open file, and that same file opened again through {@code /proc/self/fd}
     * as the FileChannel that {@code transferTo} needs (about 3 µs more per file than a plain
     * open). Without /proc the second open goes by name, a window of microseconds.
     */
    public static FileChannel openRegular(Path file) throws IOException {
        return OPENER.get().openRegularFile(file);
    }

    private FileChannel openRegularFile(Path file) throws IOException {
        int fd = openRegularFd(file);
        try {
            try {
                return FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ);
            } catch (NoSuchFileException noProc) {
                return FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            }
        } finally {
            close(fd);
        }
    }

    /**
     * Opens the regular file {@code file} for reading the way {@link #openRegular} does, but
     * returns the descriptor itself, for {@link #pread}; close it with {@link #close(int)}.
     */
    public int openRegularFd(Path file) throws IOException {
        int fd = openNonBlocking(AT_FDCWD, cPath(file));
        if (fd < 0) {
            int e = (int) ERRNO.get(errno, 0L);
            if (e == ENOENT) throw new NoSuchFileException(file.toString(), null, strerror(e));
            throw new FileSystemException(file.toString(), null,
                    e == ELOOP ? "a symbolic link now, where the source had a file" : strerror(e));
        }
        try {
            if (statx(fd, EMPTY_PATH, AT_EMPTY_PATH) != 0) throw error("stat", file);
            int type = stat().type();
            if (type != Node.S_IFREG) {
                throw new FileSystemException(file.toString(), null, "no longer a regular file (now a "
                        + switch (type) {
                            case Node.S_IFIFO -> "fifo";
                            case Node.S_IFDIR -> "directory";
                            case Node.S_IFSOCK -> "socket";
                            case Node.S_IFCHR, Node.S_IFBLK -> "device";
                            default -> "special file";
                        } + ")");
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            close(fd);
            throw e;
        }
    }

    /**
     * Reads {@code fd} from {@code offset} into {@code dst} until that is full or the file ends;
     * returns the count read. {@code file} is for messages.
     */
    public long pread(int fd, MemorySegment dst, long offset, Path file) throws IOException {
        long done = 0;
        while (done < dst.byteSize()) {
            long n;
            try {
                n = (long) Pread.H.invokeExact(errno, fd, dst.asSlice(done), dst.byteSize() - done, offset + done);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n < 0) throw error("read", file);
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    /**
     * Opens the existing file {@code file} for writing with O_DIRECT, so that writes go from
     * the caller's memory to the device without passing through the page cache: the
     * descriptor, or -1 when the file system does not do direct I/O (tmpfs, some FUSE) or the
     * file cannot be opened. Writes through it must be aligned (see {@link #pwriteFully}).
     */
    public int openDirectWrite(Path file) {
        try {
            return (int) Openat.H.invokeExact(errno, AT_FDCWD, cPath(file), O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Writes all of {@code src} to {@code fd} at {@code offset}; for a descriptor from
     * {@link #openDirectWrite} the address, size and offset must be multiples of the device's
     * block size. {@code file} is for messages.
     */
    public void pwriteFully(int fd, MemorySegment src, long offset, Path file) throws IOException {
        long done = 0;
        while (done < src.byteSize()) {
            long n;
            try {
                n = (long) Pwrite.H.invokeExact(errno, fd, src.asSlice(done), src.byteSize() - done, offset + done);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n < 0) throw error("write", file);
            if (n == 0) throw new FileSystemException(file.toString(), null, "write made no progress");
            done += n;
        }
    }

    private final MemorySegment errno;
    private final MemorySegment statBuf;
    private MemorySegment pathBuf;
    private MemorySegment nameBuf;
    private MemorySegment listBuf;
    private MemorySegment valueBuf;
    private final MemorySegment times;
    private final MemorySegment dents;

    @Override
    public void close() {
        arena.close();
    }

    public Stat lstat(Path p) throws IOException {
        if (statx(AT_FDCWD, cPath(p), AT_SYMLINK_NOFOLLOW) != 0) throw error("stat", p);
        return stat();
    }

    /** statx into {@link #statBuf} (read it with {@link #stat()}): 0, or -1 with errno set. */
    private int statx(int dirFd, MemorySegment path, int flags) {
        try {
            return (int) Statx.H.invokeExact(errno, dirFd, path, flags, STATX_BASIC_STATS, statBuf);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private Stat stat() {
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
        return listXattrs(cPath(p), p);
    }

    /** {@link #listXattrs(Path)} of the entry {@code name} in the directory {@code dir} (both raw bytes). */
    public List<Xattr> listXattrs(byte[] dir, byte[] name) throws IOException {
        int len = dir.length + 1 + name.length;
        if (pathBuf.byteSize() <= len) pathBuf = arena.allocate(len + 1L);
        MemorySegment.copy(dir, 0, pathBuf, ValueLayout.JAVA_BYTE, 0, dir.length);
        pathBuf.set(ValueLayout.JAVA_BYTE, dir.length, (byte) '/');
        MemorySegment.copy(name, 0, pathBuf, ValueLayout.JAVA_BYTE, dir.length + 1, name.length);
        pathBuf.set(ValueLayout.JAVA_BYTE, len, (byte) 0);
        return listXattrs(pathBuf, null);
    }

    private List<Xattr> listXattrs(MemorySegment path, Path p) throws IOException {
        long n;
        while (true) {
            n = llistxattr(path, listBuf, listBuf.byteSize());
            if (n >= 0) break;
            int e = (int) ERRNO.get(errno, 0L);
            if (e == ENOTSUP || e == ENODATA) return List.of();
            if (e != ERANGE) throw error("listxattr", where(p, path));
            listBuf = arena.allocate(listBuf.byteSize() * 4);
        }
        if (n == 0) return List.of();
        List<Xattr> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (listBuf.get(ValueLayout.JAVA_BYTE, i) == 0) {
                String name = new String(listBuf.asSlice(start, i - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                byte[] value = getXattr(path, listBuf.asSlice(start, i - start + 1), where(p, path), name);
                if (value != null) out.add(new Xattr(name, value));
                start = i + 1;
            }
        }
        return out;
    }

    public record Xattr(String name, byte[] value) {}

    /** For messages: {@code name} in {@code dir} (the whole path when dir is null). */
    private static Path at(Path dir, byte[] name) {
        String n = new String(name, StandardCharsets.UTF_8);
        return dir == null ? Path.of(n) : dir.resolve(n);
    }

    /** For messages: the path as given, or as it stands in the C buffer. */
    private static Path where(Path p, MemorySegment cPath) {
        return p != null ? p : Path.of(cPath.getString(0, StandardCharsets.UTF_8));
    }

    // Directory walking relative to open directories: the kernel resolves one name per call
    // instead of the whole path, and no Java Path is made for entries that do not need one.

    /**
     * Opens the directory {@code name} inside the open directory {@code dirFd} (or a path, with
     * {@link #AT_CWD}), not following symlinks. {@code dir}, the directory's path, is for messages.
     */
    public int openDirectory(int dirFd, byte[] name, Path dir) throws IOException {
        int fd;
        try {
            fd = (int) Openat.H.invokeExact(errno, dirFd, cBytes(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (fd < 0) throw error("open", at(dir, name));
        return fd;
    }

    /**
     * Reads the file {@code name} of the open directory {@code dirFd} into {@code dst}: all of it
     * when it fits, else the first {@code dst.byteSize()} bytes. Returns the count read. For a
     * small file that is openat, read and close, where a {@code RandomAccessFile} also stats
     * the file and registers a cleaner. The file is opened without following a symlink and
     * without waiting for a fifo's writer, so an entry replaced since it was listed fails or
     * reads short instead of hanging. {@code dir} is for messages.
     */
    public int readFile(int dirFd, byte[] name, MemorySegment dst, Path dir) throws IOException {
        int fd = openFile(dirFd, name, dir);
        try {
            long n = readFully(fd, dst);
            if (n < 0) throw error("read", at(dir, name));
            return (int) n;
        } finally {
            close(fd);
        }
    }

    /**
     * Opens the file {@code name} of the open directory {@code dirFd} for reading, as
     * {@link #readFile} does: not following a symlink, not waiting for a fifo's writer.
     * {@code dir} is for messages.
     */
    public int openFile(int dirFd, byte[] name, Path dir) throws IOException {
        int fd = openNonBlocking(dirFd, cBytes(name));
        if (fd < 0) throw error("open", at(dir, name));
        return fd;
    }

    /** Opens for reading, not following a symlink, not waiting for a fifo: the fd, or -1 with errno set. */
    private int openNonBlocking(int dirFd, MemorySegment path) {
        try {
            return (int) Openat.H.invokeExact(errno, dirFd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Reads from {@code fd} into {@code dst[off, off+len)} until that is full or the file ends;
     * returns the count read. {@code file} is for messages.
     */
    public int read(int fd, byte[] dst, int off, int len, Path file) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        long n = readFully(fd, MemorySegment.ofArray(dst).asSlice(off, len));
        if (n < 0) throw error("read", file);
        return (int) n;
    }

    /** Reads into {@code dst} until it is full or the file ends: the count, or -1 with errno set. */
    private long readFully(int fd, MemorySegment dst) {
        long done = 0;
        while (done < dst.byteSize()) {
            long n;
            try {
                n = (long) Read.H.invokeExact(errno, fd, dst.asSlice(done), dst.byteSize() - done);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n < 0) return -1;
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    /** The fd meaning "relative to the working directory" (absolute paths ignore it). */
    public static final int AT_CWD = AT_FDCWD;

    public void close(int fd) {
        try {
            int rc = (int) Close.H.invokeExact(errno, fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The raw names in an open directory, "." and ".." left out, in the file system's order. */
    public List<byte[]> names(int dirFd, Path where) throws IOException {
        List<byte[]> out = new ArrayList<>();
        while (true) {
            long n;
            try {
                n = (long) Getdents64.H.invokeExact(errno, dirFd, dents, dents.byteSize());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n < 0) throw error("getdents64", where);
            if (n == 0) return out;
            // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[] (NUL-terminated).
            // Parsed from one heap copy: byte-wise segment reads cost more than the copy.
            byte[] b = dents.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            for (int off = 0; off < n; ) {
                int reclen = (b[off + 16] & 0xff) | (b[off + 17] & 0xff) << 8;
                int start = off + 19, end = start;
                while (b[end] != 0) end++;
                int len = end - start;
                boolean dot = len <= 2 && b[start] == '.' && (len == 1 || b[start + 1] == '.');
                if (!dot) out.add(Arrays.copyOfRange(b, start, end));
                off += reclen;
            }
        }
    }

    /** {@link #lstat} of {@code name} in the open directory {@code dirFd}. */
    public Stat lstatAt(int dirFd, byte[] name, Path dir) throws IOException {
        if (statx(dirFd, cBytes(name), AT_SYMLINK_NOFOLLOW) != 0) throw error("stat", at(dir, name));
        return stat();
    }

    /** The target of the symlink {@code name} in the open directory {@code dirFd}, as raw bytes. */
    public byte[] readlinkAt(int dirFd, byte[] name, Path dir) throws IOException {
        while (true) {
            long n;
            try {
                n = (long) Readlinkat.H.invokeExact(errno, dirFd, cBytes(name), valueBuf, valueBuf.byteSize());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n < 0) throw error("readlink", at(dir, name));
            if (n < valueBuf.byteSize()) return valueBuf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            valueBuf = arena.allocate(valueBuf.byteSize() * 4); // possibly truncated: ask again with room
        }
    }

    private long llistxattr(MemorySegment path, MemorySegment buf, long size) {
        try {
            return (long) Llistxattr.H.invokeExact(errno, path, buf, size);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private byte[] getXattr(MemorySegment path, MemorySegment cname, Path p, String name) throws IOException {
        while (true) {
            long n;
            try {
                n = (long) Lgetxattr.H.invokeExact(errno, path, cname, valueBuf, valueBuf.byteSize());
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
            rc = (int) Lsetxattr.H.invokeExact(errno, path, cname, v, (long) value.length, 0);
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
            rc = (int) Mknod.H.invokeExact(errno, cPath(p), mode, dev);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("mknod", p);
    }

    public void lchown(Path p, long uid, long gid) throws IOException {
        int rc;
        try {
            rc = (int) Lchown.H.invokeExact(errno, cPath(p), (int) uid, (int) gid);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw error("lchown", p);
    }

    /** chmod with all 12 permission bits (NIO cannot set setuid/setgid/sticky). */
    public void chmod(Path p, int permissions) throws IOException {
        int rc;
        try {
            rc = (int) Chmod.H.invokeExact(errno, cPath(p), permissions);
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
            rc = (int) Utimensat.H.invokeExact(errno, AT_FDCWD, cPath(p), times, AT_SYMLINK_NOFOLLOW);
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
        MethodHandle renameat2 = Renameat2.H;
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

    /**
     * {@code size} bytes of fresh anonymous memory (mmap), page-aligned, unmapped when
     * {@code arena} closes. Unlike {@link Arena#allocate} the memory is a mapping of its own, so
     * {@link #moveToFile} can later put a file under the same addresses. These memory calls run
     * once per MiB of inline bytes, so they allocate only the errno cell, not an
     * instance's buffers.
     */
    public static MemorySegment mapAnonymous(long size, Arena arena) {
        MemorySegment addr;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(ERRNO_LAYOUT);
            try {
                addr = (MemorySegment) Mmap.H.invokeExact(errno, MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (addr.address() == -1L) {
                throw new KilnException("mmap of " + size + " bytes failed: errno " + (int) ERRNO.get(errno, 0L));
            }
        }
        return addr.reinterpret(size, arena, Posix::unmap);
    }

    private static void unmap(MemorySegment m) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(ERRNO_LAYOUT);
            int rc = (int) Munmap.H.invokeExact(errno, m, m.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * An unnamed temporary file in {@code dir} (O_TMPFILE: nothing to clean up, even after a
     * crash), open for reading and writing; -1 when the file system cannot make one.
     */
    public static int openTemporary(Path dir) {
        try (Posix posix = new Posix()) {
            try {
                return (int) Openat.H.invokeExact(posix.errno, AT_FDCWD, posix.cPath(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** Closes a descriptor from {@link #openTemporary}. */
    public static void closeFd(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(ERRNO_LAYOUT);
            int rc = (int) Close.H.invokeExact(errno, fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Writes the page-aligned anonymous mapping {@code m} (from {@link #mapAnonymous}) to
     * {@code fd} at {@code offset}, then maps that file range over the same addresses: the bytes
     * stay readable where they were, but live in the page cache instead of the process, whose
     * resident size drops by {@code m}'s size. Returns false, changing nothing, when the write
     * fails (a full disk): the memory simply stays. A failing mmap throws: the kernel may have
     * unmapped the range already, so the bytes cannot be trusted.
     */
    public static boolean moveToFile(MemorySegment m, int fd, long offset) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = call.allocate(ERRNO_LAYOUT);
            long done = 0;
            while (done < m.byteSize()) {
                long n;
                try {
                    n = (long) Pwrite.H.invokeExact(errno, fd, m.asSlice(done), m.byteSize() - done, offset + done);
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
                if (n <= 0) return false;
                done += n;
            }
            MemorySegment at;
            try {
                at = (MemorySegment) Mmap.H.invokeExact(errno, m, m.byteSize(), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_FIXED, fd, offset);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (at.address() != m.address()) {
                throw new KilnException("mmap of a temporary file over " + m.byteSize() + " bytes failed: errno "
                        + (int) ERRNO.get(errno, 0L));
            }
            return true;
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

    /**
     * Names (an entry in a directory, an xattr name, a second path) get their own buffer, so a
     * path and a name can be passed in one call.
     */
    private MemorySegment cBytes(byte[] b) {
        if (nameBuf.byteSize() <= b.length) nameBuf = arena.allocate(b.length + 1L);
        return terminated(nameBuf, b);
    }

    private MemorySegment cString(String s) {
        return cBytes(s.getBytes(StandardCharsets.UTF_8));
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
            case 40 -> "a symbolic link where none was expected, or a loop of them";
            case 95 -> "operation not supported";
            default -> "errno " + e;
        };
    }
}
