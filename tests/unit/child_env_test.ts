/**
 * scripts/child_env.ts builds every child environment of the tests, the demo and the benches:
 * PATH, Deno's cache folder, the machine's CA settings, Windows' system variables, a home.
 * (That a child with an empty Deno cache downloads its packages with it is proven end to end in
 * tests/e2e/bench_quick_test.ts.)
 */
import { join } from "node:path";
import { assertEquals } from "../helpers/assert.ts";
import { childEnv, denoDir, type ParentEnv } from "../../scripts/child_env.ts";
import { REPO } from "../../scripts/run_lmi.ts";

function parent(os: typeof Deno.build.os, vars: Record<string, string>): ParentEnv {
  return { os, get: (name) => vars[name] };
}

const MACHINE = {
  PATH: "/opt/bin:/usr/bin",
  HOME: "/home/me",
  NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem",
  DENO_CERT: "/etc/ssl/corp.pem",
  SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
  SECRET_TOKEN: "not for children",
  SystemRoot: "C:\\Windows",
};

Deno.test("child environments", async (t) => {
  await t.step("PATH, Deno's cache, the machine's CA settings; nothing else", () => {
    assertEquals(childEnv({}, parent("linux", MACHINE)), {
      PATH: "/opt/bin:/usr/bin",
      DENO_DIR: "/home/me/.cache/deno",
      NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem",
      DENO_CERT: "/etc/ssl/corp.pem",
      SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
    });
  });
  await t.step("a home, a PATH, an empty Deno cache and variables of its own", () => {
    const env = childEnv({
      home: "/tmp/box/home",
      path: "/bin",
      denoDir: "/tmp/box/deno",
      vars: { NO_COLOR: "1", DENO_CERT: "/other.pem" },
    }, parent("linux", MACHINE));
    assertEquals(env, {
      PATH: "/bin",
      HOME: "/tmp/box/home",
      DENO_DIR: "/tmp/box/deno",
      NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem",
      DENO_CERT: "/other.pem",
      SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
      NO_COLOR: "1",
    });
  });
  await t.step("Windows: its system variables and AppData in the child's home", () => {
    const env = childEnv({ home: "C:/box" }, parent("windows", MACHINE));
    assertEquals(env.SystemRoot, "C:\\Windows");
    assertEquals([env.USERPROFILE, env.APPDATA], ["C:/box", join("C:/box", "AppData", "Roaming")]);
    assertEquals(childEnv({}, parent("linux", MACHINE)).SystemRoot, undefined);
  });
  await t.step("Deno's cache: DENO_DIR, else Deno's default for the OS", () => {
    assertEquals(denoDir(parent("linux", { DENO_DIR: "/d", HOME: "/h" })), "/d");
    assertEquals(denoDir(parent("linux", { HOME: "/h", XDG_CACHE_HOME: "/x" })), "/x/deno");
    assertEquals(denoDir(parent("darwin", { HOME: "/h" })), "/h/Library/Caches/deno");
  });
  await t.step("no other script or test names the CA variables", async () => {
    const named: string[] = [];
    for (const dir of ["scripts", "tests"]) {
      for await (const file of walk(join(REPO, dir))) {
        if (file.endsWith("child_env.ts") || file.endsWith("child_env_test.ts")) continue;
        const text = await Deno.readTextFile(file);
        if (/NODE_EXTRA_CA_CERTS|DENO_CERT|DENO_TLS_CA_STORE/.test(text)) named.push(file);
      }
    }
    assertEquals(named, [], "child environments come from scripts/child_env.ts");
  });
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile && path.endsWith(".ts")) yield path;
  }
}
