package dev.kiln.platform.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bench/roms.sh's create load: a closed loop of CLIENTS threads, each sending
 * {@code POST /v1/instances} without autostart over keep-alive HTTP/1.1 (one instance per
 * request, unique names) until COUNT instances exist. ROM is {@code none} (the baseline),
 * {@code distinct} (each instance one inline ROM of one 4 KiB file, base64, its bytes different
 * for every instance) or {@code shared} (the same 4 KiB ROM in every request). Prints one JSON
 * object: the settings, wall time, creates/s and the latency percentiles in ms.
 * Arguments: {@code URL TOKEN IMAGE COUNT CLIENTS PREFIX ROM}.
 */
public final class RomCreateLoad {
    static final int ROM_BYTES = 4096;

    public static void main(String[] a) throws Exception {
        String url = a[0], token = a[1], image = a[2], prefix = a[5], rom = a[6];
        int count = Integer.parseInt(a[3]), clients = Integer.parseInt(a[4]);
        if (!List.of("none", "distinct", "shared").contains(rom)) throw new IllegalArgumentException("ROM: none, distinct or shared, not " + rom);
        // The bodies are made before the clock starts: the load measures the server, not the encoder.
        String[] bodies = new String[count];
        String shared = romFile(new Random(0));
        Random r = new Random(prefix.hashCode());
        for (int i = 0; i < count; i++) {
            StringBuilder b = new StringBuilder(6000).append("{\"name\":\"").append(prefix).append(i).append("\",\"image\":\"").append(image).append('"');
            if (!rom.equals("none")) {
                b.append(",\"roms\":[{\"name\":\"cfg\",\"at\":\"/etc/app\",\"files\":[")
                        .append(rom.equals("shared") ? shared : romFile(r)).append("]}]");
            }
            bodies[i] = b.append('}').toString();
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<long[]>> fs = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                long[] lat = new long[count];
                int n = 0;
                for (int i; (i = next.getAndIncrement()) < count; ) {
                    HttpRequest q = HttpRequest.newBuilder(URI.create(url + "/v1/instances")).header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(bodies[i])).build();
                    long t0 = System.nanoTime();
                    HttpResponse<String> res = http.send(q, HttpResponse.BodyHandlers.ofString());
                    lat[n++] = System.nanoTime() - t0;
                    if (res.statusCode() != 200 || !res.body().startsWith("{\"status\":\"success\"")) {
                        throw new IllegalStateException("create failed: " + res.statusCode() + " " + res.body());
                    }
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        long[] lat = new long[0];
        for (Future<long[]> f : fs) {
            long[] l = f.get();
            int old = lat.length;
            lat = Arrays.copyOf(lat, old + l.length);
            System.arraycopy(l, 0, lat, old, l.length);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        Arrays.sort(lat);
        System.out.printf(java.util.Locale.ROOT,
                "{\"rom\":\"%s\",\"creates\":%d,\"clients\":%d,\"wall_s\":%.3f,\"creates_per_s\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}%n",
                rom, count, clients, secs, count / secs, pct(lat, 0.50), pct(lat, 0.99), lat[lat.length - 1] / 1e6);
    }

    /** One {@code {path, encoding, data}} entry: 4 KiB of bytes from {@code r}, base64. */
    private static String romFile(Random r) {
        byte[] b = new byte[ROM_BYTES];
        r.nextBytes(b);
        return "{\"path\":\"blob.bin\",\"encoding\":\"base64\",\"data\":\"" + Base64.getEncoder().encodeToString(b) + "\"}";
    }

    /** The nearest-rank percentile in ms. */
    static double pct(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] / 1e6;
    }
}
