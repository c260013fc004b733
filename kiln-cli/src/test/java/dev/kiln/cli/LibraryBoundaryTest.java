package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.ImageBuild;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CLI parses and renders and nothing else: it reaches kiln-fs only through the packages
 * kiln-fs's module descriptor exports, as any other user of the library would have to.
 */
class LibraryBoundaryTest {
    private static ModuleDescriptor kilnFs() throws URISyntaxException {
        Path where = Path.of(ImageBuild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(where).findAll().iterator().next().descriptor();
    }

    @Test
    void kilnFsExportsOnlyItsApiPackages() throws URISyntaxException {
        ModuleDescriptor d = kilnFs();
        assertThat(d.name()).isEqualTo("dev.kiln.fs");
        assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("dev.kiln.fs", "dev.kiln.fs.build", "dev.kiln.fs.target");
    }

    @Test
    void theCliUsesOnlyExportedPackages() throws IOException, URISyntaxException {
        Set<String> exported = kilnFs().exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        Pattern ref = Pattern.compile("dev\\.kiln\\.fs((?:\\.[a-z0-9_]+)*)\\.[A-Z]");
        Set<String> used = new TreeSet<>();
        try (Stream<Path> s = Files.walk(Path.of("src/main/java/dev/kiln/cli"))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = ref.matcher(Files.readString(p));
                while (m.find()) used.add("dev.kiln.fs" + m.group(1));
            }
        }
        assertThat(used).isNotEmpty();
        assertThat(used).as("kiln-fs packages the CLI uses").isSubsetOf(exported);
    }
}
