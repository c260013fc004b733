package dev.kiln.fs.example;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.BuildResult;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Builds a read-only EROFS ROM from files held in memory. */
public final class BuildRomFromBytes {
    public static void main(String[] args) throws Exception {
        Source files = Source.memory()
                .file("/etc/app/config.json", "{\"port\": 8080}\n".getBytes(StandardCharsets.UTF_8))
                .file("/etc/app/start.sh", "#!/bin/sh\nexec /app --config /etc/app/config.json\n".getBytes(StandardCharsets.UTF_8), 0755)
                .build();
        ImageBuild rom = ImageBuild.builder()
                .source(files)              // parents (/etc, /etc/app) are created
                .format(ImageFormat.EROFS)  // or CPIO, TAR; .compression("lz4hc") for EROFS
                .build();                   // options are checked here
        BuildResult result = rom.writeTo(Path.of(args[0]));   // atomic; or toBytes(), or a channel
        System.out.println(result.imageSize() + " bytes, " + result.entries() + " entries");
    }
}
