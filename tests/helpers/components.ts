/**
 * What some tests need beyond Deno: an operating system (POSIX file modes, `#!/bin/sh` scripts,
 * /proc), system components (Chromium, gnome-keyring, D-Bus, openssl), or something a probe
 * checks (a Python module, root). A test whose needs are not met here is skipped with a printed
 * reason. Under LMI_TEST_REQUIRE_ALL=1 (`.ci/run`, on Linux) nothing is skipped on Linux: the
 * test runs and fails instead. A test for other systems than this one is skipped regardless,
 * with its reason: that is not a missing component.
 */
import { findOnPath } from "../../src/cli/child.ts";

type Os = typeof Deno.build.os;

/** Linux and macOS: POSIX modes and owners, `sh`, `chmod`, signals. */
export const POSIX: readonly Os[] = ["linux", "darwin"];
export const LINUX: readonly Os[] = ["linux"];

export interface Needs {
  /** The systems the test can run on; elsewhere it is skipped, saying `why`. */
  os?: readonly Os[];
  /** Why the test needs one of those systems (printed where it is skipped). */
  why?: string;
  /** Programs on PATH (or absolute paths) that must be there. */
  commands?: readonly string[];
  /** Anything else: the reason the test cannot run here, or undefined when it can. */
  probe?: () => string | undefined;
}

/** Absolute paths must be files; names are looked up on PATH as lmi does (PATHEXT on Windows). */
function present(command: string): boolean {
  if (command.startsWith("/")) {
    try {
      return Deno.statSync(command).isFile;
    } catch {
      return false;
    }
  }
  return findOnPath({ env: (name) => Deno.env.get(name), os: Deno.build.os }, command) !==
    undefined;
}

/**
 * `ignore` for Deno.test and t.step: true, with a printed reason, when `needs` are not met here.
 * Inside a test, `if (!ignoreUnless(...)) { … }` skips just a few assertions, saying so.
 */
export function ignoreUnless(test: string, ...needs: Needs[]): boolean {
  const os = Deno.build.os;
  const requireAll = Deno.env.get("LMI_TEST_REQUIRE_ALL") === "1";
  const otherOs = needs.filter((n) => n.os && !n.os.includes(os));
  if (otherOs.length > 0 && !(requireAll && os === "linux")) {
    const whys = [...new Set(otherOs.map((n) => n.why ?? `runs on ${n.os!.join(", ")} only`))];
    console.log(`skipping "${test}" on ${os}: ${whys.join("; ")}`);
    return true;
  }
  if (requireAll) return false;
  const missing = [...new Set(needs.flatMap((n) => n.commands ?? []))].filter((c) => !present(c));
  if (missing.length > 0) {
    console.log(
      `skipping "${test}": missing ${missing.join(", ")} (install them, see .ci/packages)`,
    );
    return true;
  }
  for (const n of needs) {
    const reason = n.probe?.();
    if (reason !== undefined) {
      console.log(`skipping "${test}": ${reason}`);
      return true;
    }
  }
  return false;
}

/** Commands run through `sh -c` (lmi exec, credential processes). */
export const SH: Needs = {
  os: POSIX,
  why: "runs POSIX sh commands (no POSIX shell on Windows)",
  commands: ["sh"],
};

/** `#!/bin/sh` scripts made executable with Deno.chmod (plugins, wrappers, fake tools). */
export const SH_SCRIPTS: Needs = {
  os: POSIX,
  why: "runs #!/bin/sh scripts as programs (Windows runs no shebang scripts)",
  commands: ["sh"],
};

/** lmi's file-mode rule (0600 files, 0700 folders), checked on the files it wrote. */
export const POSIX_MODES: Needs = {
  os: POSIX,
  why: "POSIX file modes (lmi's 0600/0700 rule does not apply on Windows)",
};
