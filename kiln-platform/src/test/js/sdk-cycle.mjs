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

// A guest that runs until stopped: autostart, wait, its console, stop, wait for stopped.
const run = await ukc.instances.create({ name: "sdk-run", image, args: ["env", "sleep=-1"], env: { MODE: "sdk" }, autostart: true });
out("autostart", { state: run.state });
const running = await ukc.instances.get({ name: "sdk-run" }).wait({ state: "running", timeoutSeconds: 30 });
out("wait-running", { state: running.state });
let console_ = "";
for (let i = 0; i < 100 && !console_.includes("ENV MODE=sdk"); i++) {
  const logs = await ukc.instances.get({ name: "sdk-run" }).logs({ offset: 0 });
  console_ = Buffer.from(logs.output ?? "", "base64").toString("utf8");
  if (!console_.includes("ENV MODE=sdk")) await new Promise((r) => setTimeout(r, 100));
}
out("logs", { hasEnv: console_.includes("ENV MODE=sdk"), hasStart: console_.includes("PROBE-START") });
await ukc.instances.get({ name: "sdk-run" }).stop();
const stopped = await ukc.instances.get({ name: "sdk-run" }).wait({ state: "stopped", timeoutSeconds: 30 });
out("stop", { state: stopped.state });
const after_stop = await ukc.instances.get({ name: "sdk-run" });
out("stopped", { stop_reason: after_stop.stop_reason, start_count: after_stop.start_count });
await ukc.instances.get({ name: "sdk-run" }).delete();

await ukc.instances.delete({ name: "sdk-web" });
const after = [];
for await (const inst of ukc.instances.list({ details: true })) after.push(inst.name);
out("delete", after);
