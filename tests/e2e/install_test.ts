/**
 * install.sh against a fake release served on loopback: a fake "binary" (a shell script) per
 * target and a real SHA256SUMS made with `sha256sum` (macOS: `shasum -a 256`, as install.sh uses). `uname` is faked earlier on PATH so every
 * platform can be simulated; `curl` is wrapped to send the default GitHub URLs to the fake release
 * and record what was asked for. On any failure nothing is installed and no temp file is left.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ignoreUnless, type Needs, POSIX, SH_SCRIPTS } from "../helpers/components.ts";
import { join } from "../../src/util/path.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { TARGETS } from "../../scripts/compile.ts";
import { childEnv } from "../../scripts/child_env.ts";

const INSTALL_SH = join(REPO, "install.sh");
const UNIX_TARGETS = TARGETS.filter((t) => !t.includes("windows"));
const decoder = new TextDecoder();
/** The checksum tool install.sh finds on this system (GNU coreutils, or macOS's shasum). */
const SHA256 = Deno.build.os === "darwin" ? ["shasum", "-a", "256"] : ["sha256sum"];
/** install.sh is for Linux and macOS (Windows has install.ps1). */
const NEEDS_INSTALL_SH: Needs = {
  os: POSIX,
  why: "install.sh is for Linux and macOS (Windows has install.ps1)",
  commands: ["sh"],
};

async function sh(script: string, cwd: string): Promise<string> {
  const out = await new Deno.Command("sh", { args: ["-c", script], cwd, stdout: "piped" }).output();
  assert(out.success, script);
  return decoder.decode(out.stdout);
}

async function writeExecutable(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** A fake release folder: `lmi-<target>` scripts and SHA256SUMS made by the real tool. */
async function fakeRelease(dir: string, label: string): Promise<Map<string, Uint8Array>> {
  await Deno.mkdir(dir, { recursive: true });
  for (const target of UNIX_TARGETS) {
    await writeExecutable(
      join(dir, `lmi-${target}`),
      `#!/bin/sh\necho "fake lmi ${label} ${target} $*"\n`,
    );
  }
  await sh(`${SHA256.join(" ")} lmi-* > SHA256SUMS`, dir);
  const files = new Map<string, Uint8Array>();
  for (const name of await listing(dir)) files.set(name, await Deno.readFile(join(dir, name)));
  return files;
}

const FAKE_RELEASE = "install.sh against a fake release on loopback";

Deno.test({
  name: FAKE_RELEASE,
  ignore: ignoreUnless(FAKE_RELEASE, NEEDS_INSTALL_SH, SH_SCRIPTS, {
    commands: [SHA256[0]!, "curl"],
  }),
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "lmi-install-test-" });
    // path on the server → file contents
    const served = new Map<string, Uint8Array>();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => {
        const body = served.get(new URL(req.url).pathname);
        return body ? new Response(body.slice()) : new Response("not found", { status: 404 });
      },
    );
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const serve = (prefix: string, files: Map<string, Uint8Array>) => {
      for (const [name, bytes] of files) served.set(`${prefix}/${name}`, bytes);
    };
    const v1 = await fakeRelease(join(root, "release-v1"), "v1");
    const v2 = await fakeRelease(join(root, "release-v2"), "v2");
    serve("/ok", v1);
    serve("/ORG/lmi/releases/download/v1.0.0", v1);
    serve("/ORG/lmi/releases/latest/download", v2);
    serve("/tampered", v1);
    const target = "x86_64-unknown-linux-gnu";
    served.set(`/tampered/lmi-${target}`, new TextEncoder().encode("#!/bin/sh\necho evil\n"));
    served.set(`/nosums/lmi-${target}`, v1.get(`lmi-${target}`)!);

    const fakeBin = join(root, "fakebin");
    await Deno.mkdir(fakeBin);
    await writeExecutable(
      join(fakeBin, "uname"),
      `#!/bin/sh\ncase "$1" in -s) echo "\${FAKE_OS:-Linux}";; -m) echo "\${FAKE_ARCH:-x86_64}";; *) echo "\${FAKE_OS:-Linux}";; esac\n`,
    );
    const realCurl = (await sh("command -v curl", root)).trim();
    const curlLog = join(root, "curl.log");
    await writeExecutable(
      join(fakeBin, "curl"),
      `#!/bin/sh
for last; do :; done
echo "$last" >> "${curlLog}"
out=""
prev=""
for a; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
exec "${realCurl}" -fsL -o "$out" "$(echo "$last" | sed 's#^https://github.com#${origin}#')"
`,
    );

    let n = 0;
    const install = async (env: Record<string, string>) => {
      const home = join(root, `home-${++n}`);
      const tmp = join(home, "tmp");
      await Deno.mkdir(tmp, { recursive: true });
      await Deno.writeTextFile(curlLog, "");
      const dir = join(home, ".local", "bin");
      const out = await new Deno.Command("sh", {
        args: [INSTALL_SH],
        clearEnv: true,
        env: childEnv({ home, path: `${fakeBin}:/usr/bin:/bin`, vars: { TMPDIR: tmp, ...env } }),
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
        dir,
        tmp,
        urls: (await Deno.readTextFile(curlLog)).trim().split("\n").filter((l) => l !== ""),
      };
    };
    const run = async (path: string) =>
      decoder.decode(
        (await new Deno.Command(path, { args: ["--version"], stdout: "piped" })
          .output()).stdout,
      );

    /** A failure: exit non-zero, one clear line, no lmi, no temp files anywhere. */
    const assertNothingInstalled = async (r: Awaited<ReturnType<typeof install>>, msg: string) => {
      assertEquals(r.code, 1, r.stderr);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      assertStringIncludes(r.stderr, msg);
      assertEquals(r.stdout, "");
      const inDir = await listing(r.dir).catch(() => []);
      assertEquals(inDir, []);
      assertEquals(await listing(r.tmp), []);
    };

    try {
      await t.step("success: checked, installed with mode 755, runs; PATH noted", async () => {
        const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/ok` });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await listing(r.dir), ["lmi"]);
        assertEquals((await Deno.stat(join(r.dir, "lmi"))).mode! & 0o777, 0o755);
        assertEquals(await run(join(r.dir, "lmi")), `fake lmi v1 ${target} --version\n`);
        assertStringIncludes(r.stdout, `lmi installed to ${r.dir}/lmi`);
        assertStringIncludes(r.stdout, `${r.dir} is not on your PATH`);
        assertEquals(await listing(r.tmp), []);
      });
      await t.step("LMI_INSTALL_DIR on PATH: said so", async () => {
        const dir = join(root, "onpath");
        const r = await install({
          LMI_INSTALL_BASE_URL: `${origin}/ok`,
          LMI_INSTALL_DIR: dir,
          PATH: `${fakeBin}:${dir}:/usr/bin:/bin`,
        });
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, `${dir} is on your PATH`);
        assertEquals(await run(join(dir, "lmi")), `fake lmi v1 ${target} --version\n`);
      });
      for (
        const [os, arch, t2] of [
          ["Linux", "aarch64", "aarch64-unknown-linux-gnu"],
          ["Linux", "amd64", "x86_64-unknown-linux-gnu"],
          ["Darwin", "arm64", "aarch64-apple-darwin"],
          ["Darwin", "x86_64", "x86_64-apple-darwin"],
        ]
      ) {
        await t.step(`uname ${os} ${arch}: lmi-${t2}`, async () => {
          const r = await install({
            LMI_INSTALL_BASE_URL: `${origin}/ok`,
            FAKE_OS: os!,
            FAKE_ARCH: arch!,
          });
          assertEquals(r.code, 0, r.stderr);
          assertEquals(await run(join(r.dir, "lmi")), `fake lmi v1 ${t2} --version\n`);
        });
      }
      await t.step("LMI_VERSION picks the release's path; default: latest", async () => {
        const r = await install({ LMI_VERSION: "v1.0.0" });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.urls, [
          `https://github.com/ORG/lmi/releases/download/v1.0.0/lmi-${target}`,
          "https://github.com/ORG/lmi/releases/download/v1.0.0/SHA256SUMS",
        ]);
        assertEquals(await run(join(r.dir, "lmi")), `fake lmi v1 ${target} --version\n`);
        const latest = await install({});
        assertEquals(latest.code, 0, latest.stderr);
        assertEquals(
          latest.urls[0],
          `https://github.com/ORG/lmi/releases/latest/download/lmi-${target}`,
        );
        assertEquals(await run(join(latest.dir, "lmi")), `fake lmi v2 ${target} --version\n`);
      });
      await t.step("a tampered binary: checksum mismatch, nothing installed", async () => {
        const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/tampered` });
        await assertNothingInstalled(r, `checksum mismatch for lmi-${target}`);
      });
      await t.step("a tampered binary does not replace an installed lmi", async () => {
        const dir = join(root, "existing");
        await Deno.mkdir(dir);
        await writeExecutable(join(dir, "lmi"), "#!/bin/sh\necho old\n");
        const r = await install({
          LMI_INSTALL_BASE_URL: `${origin}/tampered`,
          LMI_INSTALL_DIR: dir,
        });
        assertEquals(r.code, 1);
        assertEquals(await listing(dir), ["lmi"]);
        assertEquals(await run(join(dir, "lmi")), "old\n");
      });
      for (const kind of ["a folder", "a link to a folder"]) {
        await t.step(`an existing lmi that is ${kind}: exit 1, nothing installed`, async () => {
          const dir = join(root, `occupied-${kind.replaceAll(" ", "-")}`);
          const folder = join(dir, kind === "a folder" ? "lmi" : "elsewhere");
          await Deno.mkdir(folder, { recursive: true });
          if (kind !== "a folder") await Deno.symlink(folder, join(dir, "lmi"));
          const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/ok`, LMI_INSTALL_DIR: dir });
          assertEquals(r.code, 1, r.stderr);
          assertEquals(
            r.stderr,
            `lmi install: error: ${dir}/lmi is a folder, not a file: remove it or set ` +
              "LMI_INSTALL_DIR to another folder\n",
          );
          assertEquals(r.stdout, "");
          assertEquals(r.urls, [], "nothing downloaded");
          assertEquals(await listing(dir), kind === "a folder" ? ["lmi"] : ["elsewhere", "lmi"]);
          assertEquals(await listing(folder), [], "nothing put in the folder");
          assertEquals(await listing(r.tmp), []);
        });
      }
      await t.step("a missing SHA256SUMS: nothing installed", async () => {
        const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/nosums` });
        await assertNothingInstalled(r, `cannot download ${origin}/nosums/SHA256SUMS`);
      });
      await t.step("a missing binary: nothing installed", async () => {
        const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/nothing-here` });
        await assertNothingInstalled(r, `cannot download ${origin}/nothing-here/lmi-${target}`);
      });
      await t.step("an unknown arch: unsupported, nothing downloaded", async () => {
        const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/ok`, FAKE_ARCH: "riscv64" });
        await assertNothingInstalled(r, "unsupported architecture: riscv64");
        assertEquals(r.urls, []);
      });
      await t.step("an unknown OS: unsupported", async () => {
        const r = await install({ LMI_INSTALL_BASE_URL: `${origin}/ok`, FAKE_OS: "FreeBSD" });
        await assertNothingInstalled(r, "unsupported operating system: FreeBSD");
      });
    } finally {
      await server.shutdown();
      await Deno.remove(root, { recursive: true });
    }
  },
});

const SH_N = "install.sh is POSIX sh: sh -n";

Deno.test({
  name: SH_N,
  ignore: ignoreUnless(SH_N, NEEDS_INSTALL_SH),
  async fn() {
    const out = await new Deno.Command("sh", { args: ["-n", INSTALL_SH], stderr: "piped" })
      .output();
    assertEquals(out.code, 0, decoder.decode(out.stderr));
  },
});

const SHELLCHECK = "install.sh passes shellcheck";

Deno.test({
  name: SHELLCHECK,
  ignore: ignoreUnless(SHELLCHECK, { commands: ["shellcheck"] }),
  async fn() {
    const out = await new Deno.Command("shellcheck", {
      args: ["--shell=sh", INSTALL_SH],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, decoder.decode(out.stdout) + decoder.decode(out.stderr));
  },
});
