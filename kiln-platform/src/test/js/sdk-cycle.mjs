// Drives kiln serve with the official Unikraft Cloud JS SDK, as a user of Unikraft Cloud would:
// UKC_METRO and UKC_TOKEN point it at the server. Prints one JSON line per step for the Java
// test (InstancesSdkTest) to check. The image to use comes from KILN_IMAGE.
import { UnikraftCloud } from "@unikraft/cloud";

const ukc = new UnikraftCloud({ token: process.env.UKC_TOKEN, metro: process.env.UKC_METRO });
const image = process.env.KILN_IMAGE;
const out = (step, value) => console.log(JSON.stringify({ step, value }));

const created = await ukc.instances.create({ name: "sdk-web", image, memory_mb: 128, args: ["walk=/"], env: { A: "1" } });
out("create", { uuid: created.uuid, name: created.name, state: created.state, image: created.image });

const got = await ukc.instances.get({ name: "sdk-web" });
out("get", { uuid: got.uuid, state: got.state, memory_mb: got.memory_mb, args: got.args, env: got.env });

const names = [];
for await (const inst of ukc.instances.list({ details: true })) names.push(inst.name);
out("list", names);

try {
  await ukc.instances.get({ name: "no-such-instance" });
  out("missing", "no error");
} catch (e) {
  out("missing", { status: e.status, message: e.message });
}

await ukc.instances.delete({ name: "sdk-web" });
const after = [];
for await (const inst of ukc.instances.list({ details: true })) after.push(inst.name);
out("delete", after);
