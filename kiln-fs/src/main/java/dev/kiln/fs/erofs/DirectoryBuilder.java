package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.Utf8;
import dev.kiln.fs.erofs.format.Dirent;
import dev.kiln.fs.erofs.format.Erofs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Directory data (reference §4): dirents and names packed into blocks as mkfs does, all names
 * including "." and ".." in unsigned byte order across blocks, because the kernel binary-searches
 * blocks by their first name.
 */
final class DirectoryBuilder {

    private DirectoryBuilder() {}

    /**
     * Adds "." and ".." to {@code dir}'s children and sorts everything by unsigned name bytes;
     * children usually arrive sorted already, which makes this a cheap merge.
     */
    static void seal(Inode.Dir dir) {
        int n = dir.childCount + 2;
        String[] names = new String[n];
        Inode[] kids = new Inode[n];
        names[0] = ".";
        kids[0] = dir;
        names[1] = "..";
        kids[1] = dir.parent;
        if (dir.childCount > 0) {
            System.arraycopy(dir.childNames, 0, names, 2, dir.childCount);
            System.arraycopy(dir.children, 0, kids, 2, dir.childCount);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> EntryPath.compareNames(names[a], names[b]));
        dir.childNames = new String[n];
        dir.children = new Inode[n];
        for (int i = 0; i < n; i++) {
            dir.childNames[i] = names[order[i]];
            dir.children[i] = kids[order[i]];
        }
        dir.childCount = n;
        dir.size = size(dir.childNames, n);
    }

    /** i_size: full blocks plus the bytes used in the last block; a new block starts when an entry would not fit. */
    static long size(String[] names, int n) {
        long blocks = 0;
        int used = 0;
        for (int i = 0; i < n; i++) {
            int need = Dirent.SIZE + Utf8.length(names[i]);
            if (used + need > BLOCK_SIZE) {
                blocks++;
                used = 0;
            }
            used += need;
        }
        return blocks * BLOCK_SIZE + used;
    }

    /**
     * Encodes the whole directory: {@code size} bytes, the last block cut at the bytes used (the
     * caller zero-pads when it stores it as a full block). Needs every child's nid.
     */
    static byte[] encode(Inode.Dir dir) {
        byte[] out = new byte[(int) dir.size];
        ByteBuffer b = Erofs.littleEndian(out);
        byte[][] names = new byte[dir.childCount][];
        for (int k = 0; k < names.length; k++) names[k] = dir.childNames[k].getBytes(StandardCharsets.UTF_8);
        int i = 0;
        int blockStart = 0;
        while (i < dir.childCount) {
            int used = 0;
            int j = i;
            while (j < dir.childCount && used + Dirent.SIZE + names[j].length <= BLOCK_SIZE) {
                used += Dirent.SIZE + names[j].length;
                j++;
            }
            int nameOff = (j - i) * Dirent.SIZE;
            for (int k = i; k < j; k++) {
                Inode child = dir.children[k];
                Dirent.put(b, blockStart + (k - i) * Dirent.SIZE, child.nid(), nameOff, child.fileType);
                byte[] name = names[k];
                System.arraycopy(name, 0, out, blockStart + nameOff, name.length);
                nameOff += name.length;
            }
            i = j;
            blockStart += BLOCK_SIZE;
        }
        return out;
    }
}
