package dev.kiln.fs.guest;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Node;
import dev.kiln.fs.testing.Listing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what the guest's {@code kiln_listing} printed (see init-prelude.sh) into the text
 * {@link Listing#of} produces for a host directory or a kiln tree, so a boot test compares
 * what the real kernel shows with the source in one assertion whose diff names the paths.
 *
 * <p>The line format is {@link Listing}'s: {@code /path type perms uid:gid t=mtime detail
 * [link=/first]}. Anything inside the markers that is not a well-formed record (an I/O error
 * from sha256sum, a stray kernel message) is kept as a {@code !!} line so the diff shows it.
 */
public final class GuestListing {
    private GuestListing() {}

    private static final Pattern HASH = Pattern.compile("H\\|([0-9a-f]{64})  (.*)");
    // busybox %y: "2020-09-13 12:26:40.123456789 +0000"
    private static final Pattern NANOS = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.(\\d{1,9}))? [+-]\\d{4}");

    private static final class Rec {
        int mode, nlink;
        long ino, uid, gid, size, major, minor, sec;
        int nanos;
        String sha, target;
    }

    /**
     * The listing between {@code KILN-LISTING-BEGIN label} and its END in {@code console}, with
     * paths made relative to {@code root} (the directory the guest listed, which becomes "/").
     */
    public static String parse(String console, String label, String root, Listing.Options o) {
        String begin = "KILN-LISTING-BEGIN " + label + "\n", end = "KILN-LISTING-END " + label + "\n";
        int b = console.indexOf(begin);
        int e = b < 0 ? -1 : console.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new AssertionError("no complete listing \"" + label + "\" on the console:\n" + console);
        }
        String body = console.substring(b + begin.length(), e);

        TreeMap<EntryPath, Rec> recs = new TreeMap<>();
        Map<EntryPath, String> hashes = new HashMap<>();
        Map<EntryPath, String> targets = new HashMap<>();
        List<String> junk = new ArrayList<>();
        String[] lines = body.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.isEmpty() && i == lines.length - 1) break;
            try {
                if (l.startsWith("S|")) {
                    String[] f = l.split("\\|", 12);
                    Rec r = new Rec();
                    r.mode = Integer.parseInt(f[1], 16);
                    r.nlink = Integer.parseInt(f[2]);
                    r.ino = Long.parseLong(f[3]);
                    r.uid = Long.parseLong(f[4]);
                    r.gid = Long.parseLong(f[5]);
                    r.size = Long.parseLong(f[6]);
                    r.major = Long.parseLong(f[7], 16);
                    r.minor = Long.parseLong(f[8], 16);
                    r.sec = Long.parseLong(f[9]);
                    Matcher m = NANOS.matcher(f[10]);
                    if (!m.matches()) throw new IllegalArgumentException("bad time " + f[10]);
                    r.nanos = m.group(1) == null ? 0 : Integer.parseInt((m.group(1) + "00000000").substring(0, 9));
                    if (recs.put(relative(f[11], root), r) != null) throw new IllegalArgumentException("listed twice");
                } else if (l.startsWith("H|")) {
                    Matcher m = HASH.matcher(l);
                    if (!m.matches()) throw new IllegalArgumentException("bad hash line");
                    hashes.put(relative(m.group(2), root), m.group(1));
                } else if (l.startsWith("L|") && i + 1 < lines.length && lines[i + 1].startsWith("T|")) {
                    targets.put(relative(l.substring(2), root), lines[i + 1].substring(2));
                    i++;
                } else {
                    throw new IllegalArgumentException("unexpected line");
                }
            } catch (RuntimeException ex) {
                junk.add("!! " + l + "   (" + ex.getMessage() + ")");
            }
        }

        StringBuilder sb = new StringBuilder();
        Map<List<Long>, EntryPath> firstByInode = new HashMap<>();
        for (var en : recs.entrySet()) {
            EntryPath p = en.getKey();
            Rec r = en.getValue();
            int type = r.mode & Node.S_IFMT;
            String link = "";
            if (o.hardLinks() && type != Node.S_IFDIR && r.nlink > 1) {
                EntryPath first = firstByInode.putIfAbsent(List.of(r.ino), p);
                if (first != null) link = " link=" + first.display();
            }
            String detail = switch (type) {
                case Node.S_IFREG -> hashes.getOrDefault(p, "<no sha256>") + " " + r.size;
                case Node.S_IFLNK -> "-> " + targets.getOrDefault(p, "<no readlink>");
                case Node.S_IFCHR, Node.S_IFBLK -> r.major + ":" + r.minor;
                default -> "";
            };
            sb.append(Listing.line(p, type, r.mode & 07777, r.uid, r.gid, r.sec, r.nanos, detail, o)).append(link).append('\n');
        }
        for (String j : junk) sb.append(j).append('\n');
        return sb.toString();
    }

    private static EntryPath relative(String guestPath, String root) {
        if (guestPath.equals(root)) return EntryPath.ROOT;
        if (!guestPath.startsWith(root + "/")) throw new IllegalArgumentException("path outside " + root);
        return new EntryPath(guestPath.substring(root.length() + 1));
    }

}
