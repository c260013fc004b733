package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.LclusterIndex.D0_CBLKCNT;
import static dev.kiln.fs.erofs.format.LclusterIndex.TYPE_HEAD1;
import static dev.kiln.fs.erofs.format.LclusterIndex.TYPE_NONHEAD;
import static dev.kiln.fs.erofs.format.LclusterIndex.TYPE_PLAIN;
import static dev.kiln.fs.erofs.format.ZMap.ADVISE_BIG_PCLUSTER_1;
import static dev.kiln.fs.erofs.format.ZMap.ADVISE_BIG_PCLUSTER_2;
import static dev.kiln.fs.erofs.format.ZMap.ADVISE_COMPACTED_2B;
import static dev.kiln.fs.erofs.format.ZMap.ADVISE_FRAGMENT_PCLUSTER;
import static dev.kiln.fs.erofs.format.ZMap.ADVISE_INLINE_PCLUSTER;
import static dev.kiln.fs.erofs.format.ZMap.ADVISE_INTERLACED_PCLUSTER;
import static dev.kiln.fs.erofs.format.ZMap.COMPRESSION_LZ4;

import dev.kiln.fs.Content;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.erofs.format.LclusterIndex;
import dev.kiln.fs.erofs.format.LclusterIndex.CompactEntry;
import dev.kiln.fs.erofs.format.LclusterIndex.CompactPacks;
import dev.kiln.fs.erofs.format.ZMap;
import dev.kiln.fs.lz4.Lz4Decompressor;
import dev.kiln.fs.lz4.Lz4Exception;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A compressed inode (COMPRESSED_FULL or COMPRESSED_COMPACT): the map header, the per-lcluster
 * index and a stream that walks the index once, front to back, decoding one extent at a time.
 *
 * <p>The kernel maps a single offset by looking back and forth from its lcluster; a whole-file
 * reader can do better by scanning the index in order: each head lcluster starts an extent that
 * ends where the next head starts, and the first NONHEAD after a head carries the pcluster's
 * block count (CBLKCNT) when big pclusters are on. So every index entry is decoded once.
 */
final class ZMapContent extends ErofsContent {
    private final long imageSize;
    private final int blkszbits;
    private final boolean compact;
    private final int advise;
    private final int[] algs;
    private final boolean zeroPadding;
    private final long indexStart;
    private final long totalIdx;
    /** Where each lcluster's entry lies in a COMPACT index; null for FULL indexes. */
    private final CompactPacks packs;
    private final long idataPos;
    private final int idataSize;
    private final long fragmentOff;
    private final Content packed;

    private ZMapContent(Path image, String name, long nid, long size, long imageSize, int blkszbits, boolean compact,
                        int advise, int[] algs, boolean zeroPadding, long indexStart, long totalIdx, CompactPacks packs,
                        long idataPos, int idataSize, long fragmentOff, Content packed) {
        super(image, name, nid, size);
        this.imageSize = imageSize;
        this.blkszbits = blkszbits;
        this.compact = compact;
        this.advise = advise;
        this.algs = algs;
        this.zeroPadding = zeroPadding;
        this.indexStart = indexStart;
        this.totalIdx = totalIdx;
        this.packs = packs;
        this.idataPos = idataPos;
        this.idataSize = idataSize;
        this.fragmentOff = fragmentOff;
        this.packed = packed;
    }

    /**
     * Reads and checks the map header and the extent of the index, so that a broken inode fails
     * when the tree is read rather than halfway through a later copy.
     *
     * @param packed the packed inode's content for fragments, or null when there is none (or
     *               when {@code inode} is the packed inode itself)
     */
    static Content create(ErofsReaderImage img, ErofsReaderInode inode, Content packed) throws IOException {
        long nid = inode.nid();
        long size = inode.size();
        boolean compact = inode.layout() == InodeCore.COMPRESSED_COMPACT;
        long hpos = ZMap.headerPos(inode.dataPos());
        ZMap.MapHeader h = ZMap.MapHeader.decode(img.buffer(hpos, ZMap.MapHeader.SIZE, "nid " + nid + ": compression map header"), 0);
        if (h.wholeFileFragment()) return fragment(img, nid, size, packed, h.wholeFileFragmentOffset());
        if (size == 0) return Content.empty();
        int advise = h.advise();
        int[] algs = {h.algorithmHead1(), h.algorithmHead2()};
        if (algs[0] != COMPRESSION_LZ4) throw img.error(nid, hpos, "unsupported compression algorithm " + algs[0] + " (only LZ4 is supported)");
        if (img.has(Erofs.FEATURE_INCOMPAT_COMPR_CFGS) && (img.u1 & 1 << COMPRESSION_LZ4) == 0) {
            // With COMPR_CFGS the superblock lists the algorithms in use; the kernel refuses others.
            throw img.error(nid, hpos, "LZ4 is not among the superblock's compression algorithms (0x" + Integer.toHexString(img.u1) + ")");
        }
        int lclusterShift = h.clusterBits() & ZMap.CLUSTERBITS_MASK;
        if (lclusterShift != 0) {
            throw img.error(nid, hpos, "unsupported logical cluster size 2^" + (img.blkszbits + lclusterShift));
        }
        if (compact && ((advise & ADVISE_BIG_PCLUSTER_1) != 0) != ((advise & ADVISE_BIG_PCLUSTER_2) != 0)) {
            throw img.error(nid, hpos, "big pcluster flags of compact indexes disagree");
        }
        if ((advise & ADVISE_INLINE_PCLUSTER) != 0 && (advise & ADVISE_FRAGMENT_PCLUSTER) != 0) {
            throw img.error(nid, hpos, "both an inline tail and a fragment tail");
        }
        int bits = img.blkszbits;
        long totalIdx = ((size - 1) >>> bits) + 1;
        long indexStart, indexEnd;
        CompactPacks packs = null;
        if (!compact) {
            indexStart = hpos + LclusterIndex.FULL_INDEX_START;
            if (totalIdx > (img.size - indexStart) / LclusterIndex.SIZE) throw img.error(nid, indexStart, "index of " + totalIdx + " lclusters runs past the end of the image");
            indexEnd = indexStart + totalIdx * LclusterIndex.SIZE;
        } else {
            if (bits > CompactEntry.MIN_LOBITS) throw img.error(nid, hpos, "compact indexes need a block size of at most 4096");
            indexStart = hpos + LclusterIndex.COMPACT_INDEX_START;
            long initial4b = CompactPacks.initial4b(indexStart);
            long compacted2b = 0;
            if ((advise & ADVISE_COMPACTED_2B) != 0 && initial4b < totalIdx) {
                if (bits != CompactPacks.LCLUSTER_BITS_2B) throw img.error(nid, hpos, "2-byte compact indexes need 4096-byte blocks");
                compacted2b = CompactPacks.compacted2b(totalIdx, initial4b);
            }
            if (totalIdx > (img.size - indexStart) / CompactPacks.ENTRY_2B) {
                throw img.error(nid, indexStart, "index of " + totalIdx + " lclusters runs past the end of the image");
            }
            packs = new CompactPacks(indexStart, initial4b, compacted2b);
            indexEnd = packs.end(totalIdx);
        }
        img.checkRange(indexStart, indexEnd - indexStart, "nid " + nid + ": compression index");
        long idataPos = -1;
        int idataSize = 0;
        if ((advise & ADVISE_INLINE_PCLUSTER) != 0) {
            idataSize = h.idataSize();
            // The inline pcluster follows the index entry (or pack) of the last lcluster.
            idataPos = indexEnd;
            if (idataSize == 0 || (idataPos & (img.blockSize - 1)) + idataSize > img.blockSize) {
                throw img.error(nid, idataPos, "inline pcluster of " + idataSize + " bytes crosses a block boundary");
            }
            img.checkRange(idataPos, idataSize, "nid " + nid + ": inline pcluster");
        }
        long fragmentOff = -1;
        if ((advise & ADVISE_FRAGMENT_PCLUSTER) != 0) {
            if (packed == null) throw img.error(nid, hpos, "fragment tail without a packed inode");
            fragmentOff = Integer.toUnsignedLong(h.fragmentOff());
        }
        return new ZMapContent(img.path, img.name, nid, size, img.size, bits, compact, advise, algs,
                img.has(Erofs.FEATURE_INCOMPAT_LZ4_0PADDING), indexStart, totalIdx, packs,
                idataPos, idataSize, fragmentOff, packed);
    }

    private static Content fragment(ErofsReaderImage img, long nid, long size, Content packed, long off) {
        if (packed == null) throw img.error(nid, -1, "file stored in the packed inode, but there is none");
        if (off > packed.size() || size > packed.size() - off) {
            throw img.error(nid, -1, "fragment of " + size + " bytes at " + off + " lies outside the packed inode (" + packed.size() + " bytes)");
        }
        if (size == 0) return Content.empty();
        return new ErofsContent.Fragment(img.path, img.name, nid, size, packed, off);
    }

    /** The on-disk shape, for tests that check which layouts an image exercised. */
    String shape() {
        StringBuilder sb = new StringBuilder(compact ? "compact" : "full");
        if ((advise & ADVISE_COMPACTED_2B) != 0 && packs != null && packs.compacted2b() > 0) sb.append("+2b");
        if ((advise & ADVISE_BIG_PCLUSTER_1) != 0) sb.append("+big");
        if ((advise & ADVISE_INLINE_PCLUSTER) != 0) sb.append("+inline");
        if ((advise & ADVISE_FRAGMENT_PCLUSTER) != 0) sb.append("+fragment");
        return sb.toString();
    }

    @Override
    Stream stream(FileChannel ch) {
        return new ExtentStream(ch);
    }

    /** One decoded index entry. */
    private static final class Entry {
        int type;
        int lo; // clusterofs for heads; delta for NONHEADs
        int cblkcnt; // -1 when this NONHEAD carries no block count
        long pblk;
        boolean partialRef;
    }

    private final class ExtentStream extends Stream {
        private final byte[] window;
        private final ByteBuffer windowBuf;
        private long windowStart = -1, windowEnd = -1;
        private final Entry e = new Entry();
        private final int bs = 1 << blkszbits;

        // The extent whose head was found last and is produced next.
        private boolean started, done;
        private long headLcn, headLa, headPblk;
        private int headType;
        private boolean headPartial;
        private byte[] in = new byte[0];

        ExtentStream(FileChannel ch) {
            super(ch);
            window = new byte[bs];
            windowBuf = Erofs.littleEndian(window);
        }

        /** Bytes of the index, read a block at a time; entries and packs never cross blocks. */
        private int indexBytes(long at, int len) throws IOException {
            if (at < windowStart || at + len > windowEnd) {
                long blockStart = at & -(long) bs;
                int n = (int) Math.min(bs, imageSize - blockStart);
                if (at + len > blockStart + n) throw error("index entry at offset " + at + " runs past the end of the image");
                readAt(blockStart, window, 0, n);
                windowStart = blockStart;
                windowEnd = blockStart + n;
            }
            return (int) (at - windowStart);
        }

        private void decode(long lcn) throws IOException {
            if (compact) decodeCompact(lcn);
            else decodeFull(lcn);
            if (e.type != TYPE_NONHEAD && e.lo >= bs) {
                throw error("lcluster " + lcn + ": cluster offset " + e.lo + " is not inside the lcluster");
            }
            if (e.cblkcnt >= 0 && (advise & (ADVISE_BIG_PCLUSTER_1 | ADVISE_BIG_PCLUSTER_2)) == 0) {
                throw error("lcluster " + lcn + ": compressed block count without big pclusters");
            }
        }

        private void decodeFull(long lcn) throws IOException {
            long at = indexStart + lcn * LclusterIndex.SIZE;
            LclusterIndex x = LclusterIndex.decode(windowBuf, indexBytes(at, LclusterIndex.SIZE));
            e.type = x.type();
            e.partialRef = x.partialRef();
            e.cblkcnt = -1;
            if (e.type == TYPE_NONHEAD) {
                int d0 = x.delta0();
                e.lo = d0;
                if ((d0 & D0_CBLKCNT) != 0) e.cblkcnt = d0 & ~D0_CBLKCNT;
            } else {
                e.lo = x.clusterOfs();
                e.pblk = Integer.toUnsignedLong(x.blkAddr());
            }
        }

        private void decodeCompact(long lcn) throws IOException {
            int pack = packs.packSize(lcn);
            int base = indexBytes(packs.packStart(lcn), pack);
            int i = packs.slot(lcn);
            int lobits = CompactEntry.lobits(blkszbits);
            CompactEntry c = CompactEntry.decode(windowBuf, base, pack, i, lobits);
            e.type = c.type();
            e.partialRef = false;
            e.cblkcnt = -1;
            e.lo = c.lo();
            if (e.type == TYPE_NONHEAD) {
                if ((e.lo & D0_CBLKCNT) != 0) e.cblkcnt = e.lo & ~D0_CBLKCNT;
                return;
            }
            // A head's block address is the pack's base plus the blocks of the pclusters that
            // start earlier in the same pack; walk back over them as the on-disk encoding demands.
            boolean big = (advise & ADVISE_BIG_PCLUSTER_1) != 0;
            long nblk = big ? 0 : 1;
            int k = i;
            while (k > 0) {
                k--;
                CompactEntry w = CompactEntry.decode(windowBuf, base, pack, k, lobits);
                int wlo = w.lo();
                int wtype = w.type();
                if (!big) {
                    if (wtype == TYPE_NONHEAD) k -= wlo;
                    if (k >= 0) nblk++;
                } else if (wtype == TYPE_NONHEAD) {
                    if ((wlo & D0_CBLKCNT) != 0) {
                        k--;
                        nblk += wlo & ~D0_CBLKCNT;
                    } else if (wlo < 2) {
                        throw error("lcluster " + lcn + ": bogus lookback distance " + wlo + " in a big-pcluster pack");
                    } else {
                        k -= wlo - 2;
                    }
                } else {
                    nblk++;
                }
            }
            e.pblk = Integer.toUnsignedLong(CompactEntry.packBlkAddr(windowBuf, base, pack)) + nblk;
        }

        // The extent found by scanExtent(), not yet produced or skipped.
        private long extLen, extNextHead;
        private boolean extTail, extNonheadFollows;
        private int extCblk;

        /** Finds where the current extent ends: the next head, or the end of the file. */
        private void scanExtent() throws IOException {
            if (done) throw error("compressed extents end before the file size");
            if (!started) {
                decode(0);
                if (e.type == TYPE_NONHEAD || e.lo != 0) throw error("lcluster 0 does not start an extent at offset 0");
                takeHead(0);
                started = true;
            }
            long j = headLcn + 1;
            int cblk = -1;
            boolean nonheadFollows = false;
            while (j < totalIdx) {
                decode(j);
                if (e.type != TYPE_NONHEAD) break;
                if (j == headLcn + 1) {
                    nonheadFollows = true;
                    cblk = e.cblkcnt;
                }
                j++;
            }
            long nextLa = j < totalIdx ? (j << blkszbits) + e.lo : size;
            long llen = Math.min(nextLa, size) - headLa;
            if (llen <= 0 || llen > ZMap.PCLUSTER_MAX_DSIZE) throw error("extent at " + headLa + " has impossible length " + llen);
            extLen = llen;
            extTail = nextLa >= size;
            extNonheadFollows = nonheadFollows;
            extCblk = cblk;
            extNextHead = j;
        }

        /** Moves on to the extent after the scanned one; {@code e} still holds the next head's entry. */
        private void finishExtent() {
            if (extTail) done = true;
            else takeHead(extNextHead);
        }

        @Override
        void refill() throws IOException {
            scanExtent();
            produce(extLen, extTail, extNonheadFollows, extCblk);
            finishExtent();
        }

        /** Skips whole extents from the index alone; only the one the skip ends in is decoded. */
        @Override
        long skipUnbuffered(long n) throws IOException {
            long skipped = 0;
            while (skipped < n) {
                scanExtent();
                if (extLen > n - skipped) {
                    produce(extLen, extTail, extNonheadFollows, extCblk);
                    finishExtent();
                    pos = (int) (n - skipped);
                    return n;
                }
                skipped += extLen;
                finishExtent();
            }
            return skipped;
        }

        private dev.kiln.fs.FormatException extentError(String problem) {
            return error("extent at " + headLa + problem);
        }

        private void takeHead(long lcn) {
            headLcn = lcn;
            headLa = (lcn << blkszbits) + e.lo;
            headType = e.type;
            headPblk = e.pblk;
            headPartial = e.partialRef;
        }

        private void produce(long llenL, boolean tail, boolean nonheadFollows, int cblk) throws IOException {
            int llen = (int) llenL;
            if (buf.length < llen) buf = new byte[Math.max(llen, Math.min(ZMap.PCLUSTER_MAX_DSIZE, buf.length * 2))];
            pos = 0;
            limit = llen;
            if (tail && (advise & ADVISE_FRAGMENT_PCLUSTER) != 0) {
                long off = fragmentOff;
                if (!compact) off |= headPblk << 32;
                if (off < 0 || off > packed.size() || llen > packed.size() - off) {
                    throw extentError(": fragment at " + off + " lies outside the packed inode");
                }
                try (InputStream pin = packed.open()) {
                    pin.skipNBytes(off);
                    if (pin.readNBytes(buf, 0, llen) != llen) throw extentError(": packed inode ends inside the fragment");
                } catch (java.io.EOFException ex) {
                    throw extentError(": packed inode ends before the fragment");
                }
                return;
            }
            long pa;
            int plen;
            if (tail && (advise & ADVISE_INLINE_PCLUSTER) != 0) {
                pa = idataPos;
                plen = idataSize;
            } else {
                boolean big = (advise & (headType == TYPE_HEAD1 ? ADVISE_BIG_PCLUSTER_1 : ADVISE_BIG_PCLUSTER_2)) != 0;
                long blocks = 1;
                if (big && nonheadFollows) {
                    if (cblk < 0) throw extentError(": no compressed block count after the head lcluster");
                    blocks = cblk;
                }
                plen = (int) Math.min(Integer.MAX_VALUE, blocks << blkszbits);
                if (blocks == 0 || plen > ZMap.PCLUSTER_MAX_SIZE) throw extentError(": pcluster of " + blocks + " blocks");
                pa = headPblk << blkszbits;
                if (pa + plen > imageSize) {
                    throw extentError(": pcluster at block " + headPblk + " (" + plen + " bytes) runs past the end of the image");
                }
            }
            if (in.length < plen) in = new byte[Math.max(plen, bs)];
            readAt(pa, in, 0, plen);
            if (headType == TYPE_PLAIN) {
                if (llen > plen) throw extentError(": " + llen + " bytes stored uncompressed in a " + plen + "-byte pcluster");
                if ((advise & ADVISE_INTERLACED_PCLUSTER) != 0) {
                    // Interlaced: the extent starts at its in-block offset and wraps around.
                    int off = (int) (headLa & (bs - 1));
                    if (off > plen) throw extentError(": interlaced offset " + off + " outside a " + plen + "-byte pcluster");
                    int first = Math.min(llen, plen - off);
                    System.arraycopy(in, off, buf, 0, first);
                    System.arraycopy(in, 0, buf, first, llen - first);
                } else {
                    System.arraycopy(in, 0, buf, 0, llen);
                }
                return;
            }
            int alg = algs[headType == TYPE_HEAD1 ? 0 : 1];
            if (alg != COMPRESSION_LZ4) throw extentError(": unsupported compression algorithm " + alg + " (only LZ4 is supported)");
            int start = 0;
            if (zeroPadding) {
                // The block is right-aligned in its pcluster; the kernel looks for its start in the first block only.
                int scan = Math.min(plen, bs);
                while (start < scan && in[start] == 0) start++;
                if (start == scan) throw extentError(": compressed data starts with an all-zero block");
            }
            try {
                int n;
                if (zeroPadding && !headPartial) {
                    n = Lz4Decompressor.decompress(in, start, plen - start, buf, 0, llen);
                } else {
                    // Without 0-padding the block is followed by junk, and a partially referenced
                    // pcluster decodes to more than this extent: stop once the extent is full.
                    n = Lz4Decompressor.decompressPrefix(in, start, plen - start, buf, 0, llen);
                }
                if (n != llen) throw extentError(": LZ4 data decodes to " + n + " bytes instead of " + llen);
            } catch (Lz4Exception ex) {
                throw extentError(" (pcluster at byte " + pa + "): corrupt LZ4 data: " + ex.getMessage());
            }
        }
    }
}
