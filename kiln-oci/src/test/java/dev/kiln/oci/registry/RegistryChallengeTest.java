package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** WWW-Authenticate as registries and token services really spell it. */
class RegistryChallengeTest {
    @Test
    void dockerHubsChallenge() {
        List<Challenge> c = Challenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/alpine:pull\"");
        assertThat(c).singleElement().satisfies(ch -> {
            assertThat(ch.isBearer()).isTrue();
            assertThat(ch.realm()).isEqualTo("https://auth.docker.io/token");
            assertThat(ch.service()).isEqualTo("registry.docker.io");
            assertThat(ch.scopes()).containsExactly("repository:library/alpine:pull");
        });
    }

    @Test
    void parametersInAnyOrderWithSpacesAndUnquotedValues() {
        List<Challenge> c = Challenge.parse("bearer  scope = repository:a/b:pull,push , service=reg.example,\trealm=https://reg.example/token?x=1");
        assertThat(c).singleElement().satisfies(ch -> {
            assertThat(ch.isBearer()).isTrue();
            assertThat(ch.params()).containsExactly(Map.entry("scope", "repository:a/b:pull,push"), Map.entry("service", "reg.example"),
                    Map.entry("realm", "https://reg.example/token?x=1"));
        });
    }

    @Test
    void severalScopesInOneParameter() {
        Challenge c = Challenge.parse("Bearer realm=\"https://r/t\",scope=\"repository:x:pull,push repository:y:pull\",error=\"insufficient_scope\"")
                .getFirst();
        assertThat(c.scopes()).containsExactly("repository:x:pull,push", "repository:y:pull");
        assertThat(c.params()).containsEntry("error", "insufficient_scope");
    }

    @Test
    void quotedCommasAndEscapesStayInTheirValue() {
        Challenge c = Challenge.parse("Basic realm=\"a, \\\"quoted\\\" realm\", charset=\"UTF-8\"").getFirst();
        assertThat(c.isBasic()).isTrue();
        assertThat(c.realm()).isEqualTo("a, \"quoted\" realm");
        assertThat(c.params()).containsEntry("charset", "UTF-8");
    }

    @Test
    void severalChallengesInOneHeaderAndInSeveral() {
        List<Challenge> c = Challenge.parse("Basic realm=\"basic\", Bearer realm=\"https://t\",service=\"s\"");
        assertThat(c).extracting(Challenge::scheme).containsExactly("Basic", "Bearer");
        assertThat(c.get(1).service()).isEqualTo("s");
        assertThat(Challenge.parseAll(List.of("Negotiate", "Bearer realm=x"))).extracting(Challenge::scheme).containsExactly("Negotiate", "Bearer");
        assertThat(Challenge.parse("Basic, Bearer realm=x")).extracting(Challenge::scheme).containsExactly("Basic", "Bearer");
    }

    @Test
    void anUnquotedScopeKeepsItsActionsButNotTheNextChallenge() {
        List<Challenge> c = Challenge.parse("Bearer realm=r,scope=repository:x:pull,push,delete, Basic realm=b");
        assertThat(c).extracting(Challenge::scheme).containsExactly("Bearer", "Basic");
        assertThat(c.getFirst().scopes()).containsExactly("repository:x:pull,push,delete");
        assertThat(Challenge.parse("Bearer scope=repository:x:pull,push,realm=r").getFirst().params())
                .containsEntry("scope", "repository:x:pull,push").containsEntry("realm", "r");
    }

    @Test
    void aChallengeWithoutScopeHasNone() {
        assertThat(Challenge.parse("Bearer realm=\"https://t\"").getFirst().scopes()).isEmpty();
        assertThat(Challenge.parse("Bearer realm=\"https://t\",scope=\"\"").getFirst().scopes()).isEmpty();
    }

    @Test
    void garbageGivesWhatCanBeRead() {
        assertThat(Challenge.parse(null)).isEmpty();
        assertThat(Challenge.parse("")).isEmpty();
        assertThat(Challenge.parse(" , ;; ")).isEmpty();
        assertThat(Challenge.parse("Bearer realm=\"unterminated").getFirst().realm()).isEqualTo("unterminated");
    }
}
