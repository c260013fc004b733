package dev.kiln.platform.rom;

import dev.kiln.fs.target.Target;
import dev.kiln.oci.Digest;
import dev.kiln.oci.OciException;
import dev.kiln.platform.instance.InstanceException;
import dev.kiln.platform.instance.InstanceRom;
import dev.kiln.platform.instance.RomSource;
import dev.kiln.platform.instance.RootfsComposer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The ROM side of the platform as the instance rules see it: inline ROMs in the {@link RomStore},
 * ROM images through {@link RomImages}, compositions by the {@link InitrdComposer}. Maps this
 * package's errors to the API's (400 naming the field).
 */
public final class PlatformRoms implements RomSource, RootfsComposer {
    /** Compositions kept on disk; past this the least recently used go (a start rebuilds one if needed). */
    static final long COMPOSITION_CACHE_BYTES = 4L << 30;

    private final RomStore store;
    private final RomImages images;
    private final InitrdComposer composer;

    public PlatformRoms(RomStore store, RomImages images, InitrdComposer composer) {
        this.store = store;
        this.images = images;
        this.composer = composer;
    }

    @Override
    public String putInline(String field, List<InstanceRom.InlineFile> files) throws IOException {
        List<InlineFile> decoded = new ArrayList<>(files.size());
        for (int j = 0; j < files.size(); j++) {
            InstanceRom.InlineFile f = files.get(j);
            byte[] data;
            if (f.encoding().equals("base64")) {
                try {
                    data = Base64.getDecoder().decode(f.data());
                } catch (IllegalArgumentException e) {
                    throw new InstanceException(400, field + ".files[" + j + "].data", field + ".files[" + j + "].data is not valid base64: " + e.getMessage());
                }
            } else {
                data = f.data().getBytes(StandardCharsets.UTF_8);
            }
            decoded.add(new InlineFile(f.path(), data));
        }
        try {
            return store.putInline(field, decoded).digest().toString();
        } catch (RomException e) {
            throw new InstanceException(400, e.field(), e.getMessage());
        }
    }

    @Override
    public Resolved resolveImage(String field, String reference) throws IOException {
        try {
            RomImages.Resolved r = images.resolve(field, reference);
            return new Resolved(r.pinned(), r.blob().toString());
        } catch (RomException e) {
            throw new InstanceException(400, e.field(), e.getMessage());
        } catch (OciException e) {
            throw new InstanceException(400, field, field + " '" + reference + "': " + e.getMessage());
        }
    }

    @Override
    public Path path(InstanceRom rom) throws IOException {
        if (rom.inline()) return store.path(Digest.parse(rom.digest(), "ROM digest"));
        try {
            return images.resolve("roms", rom.image()).path();
        } catch (RomException e) {
            throw new InstanceException(400, "roms", "ROM '" + rom.name() + "': " + e.getMessage());
        }
    }

    @Override
    public void delete(String digest) throws IOException {
        store.delete(Digest.parse(digest, "ROM digest"));
    }

    @Override
    public int collect(Set<String> keep) throws IOException {
        Set<Digest> k = new HashSet<>();
        for (String d : keep) k.add(Digest.parse(d, "ROM digest"));
        return store.collect(k).blobs().size();
    }

    @Override
    public Path compose(Path base, String baseKey, List<Placement> placements, String guest) throws IOException {
        List<InitrdComposer.Placement> ps = new ArrayList<>();
        for (Placement p : placements) ps.add(new InitrdComposer.Placement(p.rom(), p.key(), p.at()));
        InitrdComposer.Composition c = composer.compose(base, baseKey, ps, guest.equals("unikraft") ? Target.UNIKRAFT : null);
        if (!c.cached()) composer.trim(COMPOSITION_CACHE_BYTES);
        return c.file();
    }
}
