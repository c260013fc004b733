package dev.kiln.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code kiln image ls}: the images a platform can run. */
@Command(name = "image", mixinStandardHelpOptions = true, version = KilnCommand.VERSION,
        description = "The images on a platform (UKC_METRO, UKC_TOKEN).", subcommands = {ImageCommand.Ls.class})
final class ImageCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.err);
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists images.")
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode env = PlatformClient.fromEnvironment().send("GET", "/v1/images", null);
            if (json) {
                System.out.println(env.path("data").path("images"));
                return KilnCommand.OK;
            }
            StringBuilder sb = new StringBuilder(String.format("%-40s  %12s  %s%n", "IMAGE", "SIZE", "DIGEST"));
            for (JsonNode i : env.path("data").path("images")) {
                String url = i.path("url").asString("");
                sb.append(String.format("%-40s  %,12d  %s%n", url.contains("@") ? url.substring(0, url.indexOf('@')) : url,
                        i.path("size_in_bytes").asLong(), i.path("digest").asString("")));
            }
            System.out.print(sb);
            return KilnCommand.OK;
        }
    }
}
