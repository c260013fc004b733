package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small parsers of registry answers: upload ranges, error JSON. */
class RegistryHeadersTest {
    @Test
    void uploadRangeIsTheOffsetAfterItsEnd() {
        assertThat(Uploader.rangeEnd("0-65535")).isEqualTo(65536L);
        assertThat(Uploader.rangeEnd("bytes=0-99")).isEqualTo(100L);
        assertThat(Uploader.rangeEnd("0-0")).isZero(); // distribution's answer for an empty upload
        assertThat(Uploader.rangeEnd("nonsense")).isNull();
        assertThat(Uploader.rangeEnd("0-x")).isNull();
    }

    @Test
    void errorJsonBecomesCodesAndMessages() {
        List<String> codes = new ArrayList<>();
        String json = "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\",\"detail\":\"sha256:x\"},"
                + "{\"code\":\"DENIED\",\"message\":\"\"}]}";
        assertThat(RegistryException.errorText(json.getBytes(StandardCharsets.UTF_8), codes))
                .isEqualTo("BLOB_UNKNOWN: blob unknown to registry; DENIED");
        assertThat(codes).containsExactly("BLOB_UNKNOWN", "DENIED");
        assertThat(RegistryException.errorText("<html>\n<h1>502 Bad Gateway</h1>".getBytes(StandardCharsets.UTF_8), new ArrayList<>()))
                .isEqualTo("<html>");
        assertThat(RegistryException.errorText(new byte[0], new ArrayList<>())).isEmpty();
    }

    @Test
    void retriedStatusesAreTheTemporaryOnes() {
        assertThat(List.of(429, 408, 500, 502, 503, 504)).allMatch(Transport::retryable);
        assertThat(List.of(400, 401, 403, 404, 501, 505)).noneMatch(Transport::retryable);
    }
}
