package dev.kiln.fs.erofs;

/**
 * Checks that an LZ4 block obeys the end-of-block rules the reference decoder enforces
 * ({@code LZ4_decompress_safe}, used by the kernel and by fsck.erofs): every match starts at least
 * 12 bytes and ends at least 5 bytes before the end of the output, the block ends with literals,
 * and it decodes to exactly the expected length. A block that breaks them decodes in lenient
 * decoders but makes the kernel fail the read, so the packer never stores one.
 */
final class Lz4BlockRules {
    private static final int MFLIMIT = 12;
    private static final int LASTLITERALS = 5;
    private static final int MINMATCH = 4;

    private Lz4BlockRules() {}

    static boolean hold(byte[] b, int off, int len, int decodedLen) {
        int ip = off;
        int end = off + len;
        long op = 0;
        while (ip < end) {
            int token = b[ip++] & 0xff;
            long lit = token >>> 4;
            if (lit == 15) {
                int s;
                do {
                    if (ip >= end) return false;
                    s = b[ip++] & 0xff;
                    lit += s;
                } while (s == 255);
            }
            if (lit > end - ip) return false;
            ip += (int) lit;
            op += lit;
            if (ip == end) return op == decodedLen; // the last sequence: literals only
            if (end - ip < 2) return false;
            int offset = (b[ip] & 0xff) | (b[ip + 1] & 0xff) << 8;
            ip += 2;
            if (offset == 0 || offset > op) return false;
            if (op > decodedLen - MFLIMIT) return false;
            long match = token & 15;
            if (match == 15) {
                int s;
                do {
                    if (ip >= end) return false;
                    s = b[ip++] & 0xff;
                    match += s;
                } while (s == 255);
            }
            op += match + MINMATCH;
            if (op > decodedLen - LASTLITERALS) return false;
        }
        return false;
    }
}
