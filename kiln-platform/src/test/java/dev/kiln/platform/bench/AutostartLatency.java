package dev.kiln.platform.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

/**
 * bench/platform.sh's autostart measure: {@code POST /v1/instances} with autostart, one at a time,
 * each answered once its QEMU runs the guest (kiln starts QEMU paused, connects its QMP and
 * console sockets, then resumes it), so the time is an upper bound of "create to QEMU exec'd".
 * The guests are deleted at the end. Arguments: {@code URL TOKEN IMAGE COUNT}.
 */
public final class AutostartLatency {
    public static void main(String[] a) throws Exception {
        String url = a[0], token = a[1], image = a[2];
        int count = Integer.parseInt(a[3]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long[] lat = new long[count];
        for (int i = 0; i < count; i++) {
            String body = "{\"name\":\"auto" + i + "\",\"image\":\"" + image + "\",\"args\":[\"sleep=-1\"],\"autostart\":true}";
            HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/v1/instances")).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long t0 = System.nanoTime();
            HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
            lat[i] = System.nanoTime() - t0;
            if (!res.body().contains("\"state\":\"running\"")) throw new IllegalStateException("not running: " + res.body());
            HttpRequest del = HttpRequest.newBuilder(URI.create(url + "/v1/instances")).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").method("DELETE", HttpRequest.BodyPublishers.ofString("[{\"name\":\"auto" + i + "\"}]")).build();
            http.send(del, HttpResponse.BodyHandlers.ofString());
        }
        long[] warm = Arrays.copyOfRange(lat, Math.min(5, count - 1), count);
        Arrays.sort(warm);
        System.out.printf("| create with autostart until the guest runs (%d after 5 warm-up, one at a time) | %.1f ms median, p90 %.1f ms | median <= 20 ms |%n",
                warm.length, warm[warm.length / 2] / 1e6, warm[(int) (warm.length * 0.9)] / 1e6);
    }
}
