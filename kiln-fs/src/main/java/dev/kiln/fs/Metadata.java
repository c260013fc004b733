package dev.kiln.fs;

/**
 * What every entry carries besides its kind and content.
 *
 * @param permissions the low 12 mode bits: rwx for user/group/other plus setuid (04000),
 *                    setgid (02000) and sticky (01000); the file type lives in the {@link Node} kind
 * @param uid         owner user id
 * @param gid         owner group id
 * @param mtime       modification time, seconds since the epoch (may be negative)
 * @param mtimeNanos  nanoseconds within that second, 0..999 999 999
 * @param xattrs      extended attributes
 */
public record Metadata(int permissions, long uid, long gid, long mtime, int mtimeNanos, Xattrs xattrs) {
    public static final int SETUID = 04000, SETGID = 02000, STICKY = 01000;

    public Metadata {
        if ((permissions & ~07777) != 0) {
            throw new KilnException("permission bits out of range: 0" + Integer.toOctalString(permissions));
        }
        if (uid < 0 || uid > 0xFFFFFFFFL || gid < 0 || gid > 0xFFFFFFFFL) {
            throw new KilnException("uid/gid out of range: " + uid + ":" + gid);
        }
        if (mtimeNanos < 0 || mtimeNanos > 999_999_999) {
            throw new KilnException("mtime nanoseconds out of range: " + mtimeNanos);
        }
        if (xattrs == null) xattrs = Xattrs.NONE;
    }

    public static Metadata of(int permissions) {
        return new Metadata(permissions, 0, 0, 0, 0, Xattrs.NONE);
    }

    /** Default metadata for directories a source implies but does not list: 0755 root, mtime 0. */
    public static final Metadata IMPLIED_DIRECTORY = of(0755);

    public Metadata withPermissions(int p) {
        return new Metadata(p, uid, gid, mtime, mtimeNanos, xattrs);
    }

    public Metadata withOwner(long u, long g) {
        return new Metadata(permissions, u, g, mtime, mtimeNanos, xattrs);
    }

    public Metadata withMtime(long seconds, int nanos) {
        return new Metadata(permissions, uid, gid, seconds, nanos, xattrs);
    }

    public Metadata withXattrs(Xattrs x) {
        return new Metadata(permissions, uid, gid, mtime, mtimeNanos, x);
    }
}
