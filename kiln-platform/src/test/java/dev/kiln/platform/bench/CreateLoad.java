package dev.kiln.platform.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bench/platform.sh's load: {@code POST /v1/instances} without autostart from concurrent
 * clients over keep-alive HTTP/1.1, one instance per request, unique names. Prints a Markdown
 * table row. Arguments: {@code URL TOKEN IMAGE COUNT CLIENTS PREFIX [BATCH]}; with BATCH > 1
 * each request creates that many (an array body), for filling the store quickly.
 */
public final class CreateLoad {
    public static void main(String[] a) throws Exception {
        String url = a[0], token = a[1], image = a[2], prefix = a[5];
        int count = Integer.parseInt(a[3]), clients = Integer.parseInt(a[4]);
        int batch = a.length > 6 ? Integer.parseInt(a[6]) : 1;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<long[]>> fs = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                long[] lat = new long[count / batch + 1];
                int n = 0;
                for (int i; (i = next.getAndAdd(batch)) < count; ) {
                    StringBuilder body = new StringBuilder(batch > 1 ? "[" : "");
                    for (int k = i; k < Math.min(count, i + batch); k++) {
                        if (k > i) body.append(',');
                        body.append("{\"name\":\"").append(prefix).append(k).append("\",\"image\":\"").append(image).append("\"}");
                    }
                    if (batch > 1) body.append(']');
                    HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/v1/instances")).header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
                    long t0 = System.nanoTime();
                    HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
                    lat[n++] = System.nanoTime() - t0;
                    if (res.statusCode() != 200 || !res.body().startsWith("{\"status\":\"success\"")) {
                        throw new IllegalStateException("create failed: " + res.statusCode() + " " + res.body());
                    }
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<long[]> f : fs) for (long l : f.get()) all.add(l);
        double secs = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] lat = all.stream().mapToLong(Long::longValue).sorted().toArray();
        double p50 = lat[lat.length / 2] / 1e6, p99 = lat[(int) Math.min(lat.length - 1, Math.ceil(lat.length * 0.99) - 1)] / 1e6;
        System.out.printf("| %,d creates, %d clients%s | %.2f s | %,.0f creates/s | %.1f ms | %.1f ms |%n", count, clients,
                batch > 1 ? ", " + batch + " per request" : "", secs, count / secs, p50, p99);
    }
}
