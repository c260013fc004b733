// ROMs and volumes through the official Unikraft Cloud JS SDK against kiln serve, with SDK calls
// only: an instance with inline ROMs (base64 and text) and an image ROM that the probe guest reads,
// its log, the ROMs echoed by instances.get; a volume created, attached to the stopped instance,
// seen attached, detached and deleted; and a create the server refuses, as the SDK reports it.
// UKC_METRO and UKC_TOKEN point the SDK at the server; KILN_IMAGE is the probe image and
// KILN_ROM_IMAGE a ROM image holding /index.html. Prints one JSON line per step for RomsSdkTest.
import { UnikraftCloud } from "@unikraft/cloud";

const ukc = new UnikraftCloud({ token: process.env.UKC_TOKEN, metro: process.env.UKC_METRO });
const image = process.env.KILN_IMAGE;
const romImage = process.env.KILN_ROM_IMAGE;
const out = (step, value) => console.log(JSON.stringify({ step, value }));
const failure = (e) => ({ name: e.name, kind: e.kind, status: e.status, message: e.message, errors: e.errors ?? null });

const created = await ukc.instances.create({
  name: "sdk-rom",
  image,
  autostart: true,
  args: ["walk=/etc/app", "cat=/etc/app/from-base64.txt", "cat=/etc/app/conf/from-text.txt", "cat=/srv/www/index.html"],
  roms: [
    {
      name: "cfg",
      at: "/etc/app",
      files: [
        { path: "from-base64.txt", encoding: "base64", data: Buffer.from("bytes via base64\n").toString("base64") },
        { path: "conf/from-text.txt", encoding: "text", data: "plain text" },
      ],
    },
    { name: "www", image: romImage, at: "/srv/www" },
  ],
});
out("create", { uuid: created.uuid, name: created.name, state: created.state });

const stopped = await ukc.instances.get({ name: "sdk-rom" }).wait({ state: "stopped", timeoutSeconds: 60 });
out("wait-stopped", { state: stopped.state });

// The console of a stopped instance is complete; read it from the start.
const logs = await ukc.instances.get({ name: "sdk-rom" }).logs({ offset: 0 });
out("logs", { console: Buffer.from(logs.output ?? "", "base64").toString("utf8") });

const got = await ukc.instances.get({ name: "sdk-rom" });
out("get", { uuid: got.uuid, state: got.state, roms: got.roms });

const volume = await ukc.volumes.create({ name: "sdk-data", size_mb: 16 });
out("volume-create", { uuid: volume.uuid, name: volume.name, state: volume.state });

const attached = await ukc.volumes.get({ name: "sdk-data" }).attach({ attach_to: { name: "sdk-rom" }, at: "/data" });
out("volume-attach", { uuid: attached.uuid, name: attached.name });

const seen = await ukc.volumes.get({ name: "sdk-data" });
out("volume-get", { state: seen.state, size_mb: seen.size_mb, attached_to: seen.attached_to });

const instanceVolumes = (await ukc.instances.get({ name: "sdk-rom" })).volumes ?? null;
out("instance-volumes", instanceVolumes);

const detached = await ukc.volumes.get({ name: "sdk-data" }).detach();
out("volume-detach", { uuid: detached.uuid, name: detached.name });

const afterDetach = await ukc.volumes.get({ name: "sdk-data" });
out("volume-detached", { state: afterDetach.state, attached_to: afterDetach.attached_to ?? null });

const deleted = await ukc.volumes.get({ name: "sdk-data" }).delete();
out("volume-delete", { uuid: deleted.uuid, name: deleted.name });

const left = [];
for await (const v of ukc.volumes.list({ details: true })) left.push(v.name);
out("volume-list", left);

// Nine ROMs: one more than an instance may have.
const nine = Array.from({ length: 9 }, (_, i) => ({ name: `r${i}`, files: [{ path: "f", data: "x" }] }));
try {
  await ukc.instances.create({ name: "sdk-nine", image, roms: nine });
  out("refused", "no error");
} catch (e) {
  out("refused", failure(e));
}

const names = [];
for await (const inst of ukc.instances.list({ details: true })) names.push(inst.name);
out("instances", names);

await ukc.instances.get({ name: "sdk-rom" }).delete();
