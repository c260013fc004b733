package dev.kiln.platform.instance;

import dev.kiln.platform.guest.Mount;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The rules of an instance's ROM entries, shared by create and PATCH. */
final class Roms {
    /** Unikraft Cloud's limit: ROMs per instance, inline and image-based together. */
    static final int MAX = 8;
    /**
     * A ROM's name is the tail of its disk's serial {@code ukp_rom_<name>}, and a guest reads at
     * most 20 bytes of a virtio-blk serial: 12 are left, of characters a serial and a device
     * name both carry.
     */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,12}");

    private Roms() {}

    /**
     * Checks {@code specs} and makes them ROMs: inline files built into the ROM store, images
     * resolved and pinned. {@code taken} holds the mount points already used (the volumes'), to
     * which the ROMs' are added. Every ROM is built, and so added to {@code out}, only once all
     * entries passed the checks that need no building; a failure after that leaves in
     * {@code out} the inline ROMs stored so far, for the caller to collect.
     */
    static List<InstanceRom> resolve(List<InstanceSpec.RomSpec> specs, RomSource source, Set<String> taken, List<InstanceRom> out)
            throws IOException {
        return resolve(List.of(), specs, source, taken, out);
    }

    /**
     * {@link #resolve(List, RomSource, Set, List)} after the ROMs {@code kept}, which stay as
     * they are (not built or resolved again) and count as entries {@code roms[0..]}: their names,
     * mount points and number are taken. Returns {@code kept} followed by the new ROMs.
     */
    static List<InstanceRom> resolve(List<InstanceRom> kept, List<InstanceSpec.RomSpec> specs, RomSource source, Set<String> taken,
                                     List<InstanceRom> out) throws IOException {
        int total = kept.size() + specs.size();
        if (total > MAX) throw new InstanceException(400, "roms", total + " ROMs; an instance has at most " + MAX);
        Set<String> names = new HashSet<>();
        List<String> generated = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (InstanceRom r : kept) {
            names.add(r.name());
            seen.add(r.name());
            if (r.at() != null) taken.add(r.at());
        }
        for (InstanceSpec.RomSpec s : specs) if (s.name() != null) names.add(s.name());
        List<String> resolvedNames = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            InstanceSpec.RomSpec s = specs.get(i);
            String f = "roms[" + (kept.size() + i) + "]";
            String name = s.name();
            if (name == null) {
                // The docs call the name optional: number the nameless ones, skipping names given.
                int n = generated.size();
                while (names.contains("rom" + n)) n++;
                name = "rom" + n;
                names.add(name);
                generated.add(name);
            }
            if (!NAME.matcher(name).matches()) {
                throw new InstanceException(400, f + ".name", f + ".name '" + InstanceService.shorten(name) + "': 1 to 12 of A-Z a-z 0-9"
                        + " _ - (the guest finds the ROM by its disk serial ukp_rom_<name>, and a virtio-blk serial holds 20 bytes)");
            }
            if (!seen.add(name)) throw new InstanceException(400, f + ".name", f + ".name '" + name + "' is used by another ROM of this instance");
            if ((s.image() == null) == (s.files() == null)) {
                throw new InstanceException(400, f, f + ": give either image (a ROM image) or files (an inline ROM), "
                        + (s.image() == null ? "not neither" : "not both"));
            }
            if (s.at() != null) {
                String problem = Mount.pathProblem(s.at());
                if (problem == null && s.at().equals("/")) problem = "/ would hide the whole root filesystem";
                if (problem != null) throw new InstanceException(400, f + ".at", f + ".at " + problem);
                if (!taken.add(s.at())) throw new InstanceException(400, f + ".at", f + ".at " + s.at() + " is already used by another ROM or volume");
            }
            resolvedNames.add(name);
        }
        List<InstanceRom> all = new ArrayList<>(kept);
        for (int i = 0; i < specs.size(); i++) {
            InstanceSpec.RomSpec s = specs.get(i);
            String f = "roms[" + (kept.size() + i) + "]", name = resolvedNames.get(i);
            if (s.image() != null) {
                RomSource.Resolved r = source.resolveImage(f + ".image", s.image());
                out.add(new InstanceRom(name, s.at(), r.pinned(), null, r.digest()));
            } else {
                String digest = source.putInline(f, s.files());
                out.add(new InstanceRom(name, s.at(), null, s.files(), digest));
            }
            all.add(out.getLast());
        }
        return all;
    }
}
