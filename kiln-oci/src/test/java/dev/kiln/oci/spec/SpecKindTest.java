package dev.kiln.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class SpecKindTest extends SpecFixture {
    @Test
    void byName() {
        assertThat(SpecKind.fromFileName("bunnyfile")).contains(SpecKind.BUNNYFILE);
        assertThat(SpecKind.fromFileName("Containerfile")).contains(SpecKind.CONTAINERFILE);
        assertThat(SpecKind.fromFileName("Dockerfile.unikernel")).contains(SpecKind.CONTAINERFILE);
        assertThat(SpecKind.fromFileName("app.Dockerfile")).contains(SpecKind.CONTAINERFILE);
        assertThat(SpecKind.fromFileName("Kraftfile")).contains(SpecKind.KRAFTFILE);
        assertThat(SpecKind.fromFileName("kraft.yaml")).contains(SpecKind.KRAFTFILE);
        assertThat(SpecKind.fromFileName("spec.yaml")).isEmpty();
    }

    @Test
    void byContentWhenTheNameSaysNothing() throws IOException {
        assertThat(SpecKind.of(write("a", "#syntax=harbor.nbfc.io/nubificus/bunny:latest\nversion: v0.1\nplatforms: {}\n"))).isEqualTo(SpecKind.BUNNYFILE);
        assertThat(SpecKind.of(write("b", "#syntax=harbor.nbfc.io/nubificus/bunny:latest\nFROM scratch\n"))).isEqualTo(SpecKind.CONTAINERFILE);
        assertThat(SpecKind.of(write("c", "# app\nspec: v0.7\n"))).isEqualTo(SpecKind.KRAFTFILE);
        refused(write("d", "hello: world\n"), 0).hasMessageContaining("not a bunnyfile, Containerfile or Kraftfile");
    }
}
