package dev.kiln.fs.lz4;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Inputs for the differential tests: synthetic edge cases plus real text and binaries from this machine. */
record Corpus(String name, byte[] data) {
    @Override
    public String toString() {
        return name + " (" + data.length + " B)";
    }

    /** Concatenated text files (licenses, docs), up to {@code max} bytes; never empty. */
    static byte[] text(int max) {
        byte[] out = gather(List.of(Path.of("/usr/share/common-licenses"), Path.of("/usr/share/doc")), max,
                p -> !p.toString().endsWith(".gz"));
        if (out.length == 0) {
            throw new AssertionError("no text files found under /usr/share/common-licenses or /usr/share/doc");
        }
        return out;
    }

    /** Concatenated executables from /usr/bin, up to {@code max} bytes. */
    static byte[] binary(int max) {
        return gather(List.of(Path.of("/usr/bin")), max, p -> true);
    }

    /**
     * Every {@code stride}-th regular file under {@code root} (in name order) of more than 4 KiB
     * that is not gzip-compressed, concatenated up to {@code max} bytes: a sample of a real tree
     * with the files an EROFS writer would compress.
     */
    static byte[] sample(Path root, int stride, int max) {
        int[] seen = {0};
        return gather(List.of(root), max, p -> {
            try {
                if (seen[0]++ % stride != 0 || Files.size(p) <= 4096) {
                    return false;
                }
                try (var in = Files.newInputStream(p)) {
                    byte[] magic = in.readNBytes(2);
                    return !(magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b);
                }
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static byte[] gather(List<Path> roots, int max, java.util.function.Predicate<Path> keep) {
        var buf = new java.io.ByteArrayOutputStream();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> s = Files.walk(root)) {
                files = s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).filter(keep).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Path f : files) {
                if (buf.size() >= max) {
                    break;
                }
                try {
                    byte[] b = Files.readAllBytes(f);
                    buf.write(b, 0, Math.min(b.length, max - buf.size()));
                } catch (IOException | SecurityException e) {
                    // unreadable files are simply not part of the corpus
                }
            }
        }
        return buf.toByteArray();
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Text-like data with tunable redundancy: words from a small vocabulary, random separators. */
    static byte[] words(long seed, int n, int vocabulary) {
        var r = new SplittableRandom(seed);
        String[] vocab = new String[vocabulary];
        for (int i = 0; i < vocabulary; i++) {
            var sb = new StringBuilder();
            int len = 2 + r.nextInt(9);
            for (int j = 0; j < len; j++) {
                sb.append((char) ('a' + r.nextInt(26)));
            }
            vocab[i] = sb.toString();
        }
        var out = new StringBuilder(n + 16);
        while (out.length() < n) {
            out.append(vocab[r.nextInt(vocabulary)]).append(r.nextInt(8) == 0 ? '\n' : ' ');
        }
        return out.substring(0, n).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Script-like text from a dozen keywords and small numbers: many short overlapping matches,
     * where the HC parser once moved a match into the last 12 bytes of a block.
     */
    static byte[] code(long seed, int n) {
        var r = new SplittableRandom(seed);
        String[] words = "let if endif function endfunction return call exe syntax keyword match region contained the a of b:var s:list"
                .split(" ");
        var out = new StringBuilder(n + 32);
        while (out.length() < n) {
            out.append(words[r.nextInt(words.length)]);
            if (r.nextInt(4) == 0) {
                out.append(r.nextInt(1000));
            }
            out.append(r.nextInt(6) == 0 ? '\n' : ' ');
        }
        return out.substring(0, n).getBytes(StandardCharsets.US_ASCII);
    }

    /** Random bytes with long repeats at random distances, including overlapping (short-offset) runs. */
    static byte[] repeats(long seed, int n) {
        var r = new SplittableRandom(seed);
        byte[] b = new byte[n];
        int i = 0;
        while (i < n) {
            int kind = r.nextInt(4);
            int len = Math.min(n - i, 1 + r.nextInt(kind == 0 ? 600 : 40));
            if (kind == 1 || i == 0) {
                for (int j = 0; j < len; j++) {
                    b[i + j] = (byte) r.nextInt(256);
                }
            } else {
                int dist = 1 + r.nextInt(Math.min(i, kind == 2 ? 8 : 70000));
                for (int j = 0; j < len; j++) {
                    b[i + j] = b[i + j - dist];
                }
            }
            i += len;
        }
        return b;
    }

    /** The standard set: edge sizes, synthetic patterns, text and binaries, sizes up to 1 MiB. */
    static List<Corpus> standard() {
        List<Corpus> all = new ArrayList<>();
        all.add(new Corpus("empty", new byte[0]));
        byte[] text = text(1 << 20);
        byte[] bin = binary(1 << 20);
        for (int n : new int[] {1, 2, 5, 11, 12, 13, 14, 15, 16, 17, 19, 20, 24, 31, 32, 33, 64, 100, 255, 256, 270}) {
            all.add(new Corpus("zeros-" + n, new byte[n]));
            all.add(new Corpus("text-" + n, java.util.Arrays.copyOf(text, n)));
            all.add(new Corpus("random-" + n, random(n, n)));
            all.add(new Corpus("repeats-" + n, repeats(n, n)));
        }
        for (int seed = 1; seed <= 12; seed++) {
            int n = new SplittableRandom(seed).nextInt(1, 200_000);
            all.add(new Corpus("repeats-s" + seed, repeats(seed, n)));
            all.add(new Corpus("words-s" + seed, words(seed, n, 20 + seed * 40)));
        }
        all.add(new Corpus("zeros-1M", new byte[1 << 20]));
        all.add(new Corpus("random-1M", random(99, 1 << 20)));
        all.add(new Corpus("random-70000", random(98, 70_000)));
        all.add(new Corpus("repeats-1M", repeats(97, 1 << 20)));
        all.add(new Corpus("words-1M", words(96, 1 << 20, 3000)));
        all.add(new Corpus("text-1M", text));
        all.add(new Corpus("text-65547", java.util.Arrays.copyOf(text, 65547)));
        all.add(new Corpus("text-65546", java.util.Arrays.copyOf(text, 65546)));
        all.add(new Corpus("text-4096", java.util.Arrays.copyOfRange(text, 12345, 12345 + 4096)));
        all.add(new Corpus("binary-1M", bin));
        all.add(new Corpus("binary-300k", java.util.Arrays.copyOfRange(bin, bin.length / 3, bin.length / 3 + 300_000)));
        byte[] mixed = new byte[600_000];
        System.arraycopy(text, 0, mixed, 0, 200_000);
        System.arraycopy(random(5, 200_000), 0, mixed, 200_000, 200_000);
        System.arraycopy(bin, 0, mixed, 400_000, 200_000);
        all.add(new Corpus("mixed-600k", mixed));
        return all;
    }
}
