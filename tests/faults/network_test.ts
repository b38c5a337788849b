/**
 * The network faults of issue 9, against the real program and a hostile loopback server: a body
 * that stalls, drips, never ends or breaks off is exit 5; an oversized IdP answer is exit 4 naming
 * the limit (read without holding it in memory); absurd lifetimes are clamped; tokens that cannot
 * go into a header are refused; what a server wrote reaches stderr capped and without escape
 * sequences. Bad answers lmi already handled stay handled.
 */
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import { type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import { type HostileMode, type HostileServer, startHostile } from "../helpers/hostile.ts";
import { lmiCommand } from "../../scripts/run_lmi.ts";
import { ignoreUnless, LINUX } from "../helpers/components.ts";

/**
 * The env's timeout where the timeout is what is tested (servers that stall, drip or hang); the
 * other envs get a generous one, so 24 runs started together on a loaded machine cannot time out
 * instead of showing the failure under test. A run is killed well after either.
 */
const TIMEOUT = "2s";
const GENEROUS = "20s";
const TIMED: ReadonlySet<HostileMode> = new Set(["stall", "drip", "hang"]);
const timeout = (m: HostileMode) => TIMED.has(m) ? TIMEOUT : GENEROUS;
/** An endless API error body is read until the timeout: that one is tested too. */
const apiTimeout = (m: HostileMode) => TIMED.has(m) || m === "endless" ? TIMEOUT : GENEROUS;
const KILL_AFTER_MS = 40_000;

/** Token modes (token_url), discovery modes (issuer) and API modes (base_url, no auth). */
const TOKEN_MODES: HostileMode[] = [
  "ok",
  "stall",
  "drip",
  "endless",
  "whitespace",
  "early-close",
  "huge-expiry",
  "crlf-token",
  "long-description",
  "html",
  "empty",
  "array",
  "null",
  "missing-fields",
  "hang",
];
const ISSUER_MODES: HostileMode[] = ["whitespace", "redirect-away", "endless-jwks"];
const API_MODES: HostileMode[] = ["stall", "drip", "endless", "early-close", "long-description"];

function config(server: HostileServer): string {
  const auth = `type = "client_credentials"\nclient_id = "c"\nclient_secret_env = "SVC_SECRET"\n`;
  return [
    ...TOKEN_MODES.map((m) =>
      `[envs.t-${m}]\ntimeout = "${timeout(m)}"\n[envs.t-${m}.auth]\n${auth}` +
      `token_url = "${server.base(m)}/token"\n`
    ),
    ...ISSUER_MODES.map((m) =>
      `[envs.d-${m}]\ntimeout = "${timeout(m)}"\n[envs.d-${m}.auth]\n${auth}` +
      `issuer = "${server.base(m)}"\n`
    ),
    ...API_MODES.map((m) =>
      `[envs.a-${m}]\ntimeout = "${apiTimeout(m)}"\nbase_url = "${server.base(m)}/api"\n`
    ),
  ].join("\n");
}

/** One `lmi: error:` line and one `hint:` line, with the exit code, and no stack trace. */
function assertCleanError(r: RunResult, code: number, message: RegExp): void {
  assertEquals(r.code, code, `exit code; stderr: ${r.stderr.slice(0, 2000)}`);
  const lines = r.stderr.trimEnd().split("\n").filter((l) => !l.startsWith("lmi: waiting"));
  assertEquals(lines.length, 2, `two lines expected: ${r.stderr.slice(0, 2000)}`);
  assertMatch(lines[0]!, /^lmi: error: /);
  assertMatch(lines[0]!, message);
  assertMatch(lines[1]!, /^hint: \S/);
}

/** Nothing a terminal would act on: no control character but newline. */
function assertNoControls(text: string): void {
  const bad = [...text].filter((c) => {
    const n = c.codePointAt(0)!;
    return c !== "\n" && (n < 0x20 || (n >= 0x7f && n <= 0x9f));
  });
  assertEquals(bad, [], `control characters in ${JSON.stringify(text.slice(0, 300))}`);
}

function run(box: Sandbox, args: string[]): Promise<RunResult> {
  return box.run(args, { limitMs: KILL_AFTER_MS });
}

/** Run lmi under GNU `/usr/bin/time` for its peak RSS in KB (undefined where it cannot be). */
async function runMeasured(
  box: Sandbox,
  args: string[],
): Promise<RunResult & { peakKb: number | undefined }> {
  const time = "/usr/bin/time";
  const gnuTime = {
    os: LINUX,
    why: "GNU time -f (macOS's /usr/bin/time takes other options)",
    commands: [time],
  };
  if (ignoreUnless("measuring the peak memory of lmi auth token", gnuTime)) {
    return { ...await run(box, args), peakKb: undefined };
  }
  const { cmd, args: full } = lmiCommand(args);
  const out = await new Deno.Command(time, {
    args: ["-f", "peak-rss-kb=%M", cmd, ...full],
    clearEnv: true,
    env: box.env,
    cwd: box.home,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(KILL_AFTER_MS),
  }).output();
  const dec = new TextDecoder();
  const stderr = dec.decode(out.stderr);
  const m = /peak-rss-kb=(\d+)\s*$/.exec(stderr);
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: stderr.replace(/(?:Command exited with non-zero status \d+\n)?peak-rss-kb=\d+\s*$/, ""),
    peakKb: m ? Number(m[1]) : undefined,
  };
}

Deno.test("hostile IdPs and APIs: documented exit codes, bounded memory, safe text", async (t) => {
  await using server = startHostile();
  await using box = await sandbox({ SVC_SECRET: "hostile-secret" });
  await box.writeConfig(config(server));
  const token = (mode: HostileMode, ...more: string[]) =>
    run(box, ["auth", "token", "-e", `t-${mode}`, ...more]);
  const request = (mode: HostileMode, path: string, ...more: string[]) =>
    run(box, ["request", "-e", `a-${mode}`, path, ...more]);

  // Independent runs, started together to keep the suite short; each step checks one.
  const runs = {
    ok: token("ok"),
    stall: token("stall"),
    drip: token("drip"),
    endless: token("endless"),
    whitespace: runMeasured(box, ["auth", "token", "-e", "t-whitespace"]),
    earlyClose: token("early-close"),
    hugeExpiry: token("huge-expiry", "-v"),
    crlf: token("crlf-token", "--format", "header"),
    longDescription: token("long-description", "-vv"),
    html: token("html"),
    empty: token("empty"),
    array: token("array"),
    null: token("null"),
    missing: token("missing-fields"),
    hang: token("hang"),
    discoveryWhitespace: run(box, ["auth", "token", "-e", "d-whitespace"]),
    redirectAway: run(box, ["auth", "token", "-e", "d-redirect-away"]),
    endlessJwks: run(box, ["auth", "token", "-e", "d-endless-jwks"]),
    apiStall: request("stall", "/data"),
    apiDripJson: request("drip", "/data", "--json"),
    apiDripError: request("drip", "/error"),
    apiEndlessError: request("endless", "/error"),
    apiEarlyClose: request("early-close", "/data"),
    apiEscapes: request("long-description", "/data"),
  };

  await t.step("a good IdP still works", async () => {
    const r = await runs.ok;
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), "hostile-good-token");
  });

  await t.step("defect 3: a token body that stalls or drips is a timeout, exit 5", async () => {
    assertCleanError(await runs.stall, 5, /timed out after 2s/);
    assertCleanError(await runs.drip, 5, /timed out after 2s/);
  });
  await t.step(
    "defect 3: a token body that ends early: the IdP stopped sending, exit 5",
    async () => {
      assertCleanError(await runs.earlyClose, 5, /the IdP stopped sending/);
    },
  );
  await t.step("a token endpoint that never answers: still exit 5", async () => {
    assertCleanError(await runs.hang, 5, /hang\/token timed out/);
  });

  await t.step("defect 2: an endless token body stops at the limit, exit 4", async () => {
    assertCleanError(await runs.endless, 4, /larger than 1 MiB, lmi's limit for an IdP response/);
  });
  await t.step("defect 2: 200 MB of whitespace before JSON: exit 4 in bounded memory", async () => {
    const r = await runs.whitespace;
    assertCleanError(r, 4, /larger than 1 MiB/);
    assertEquals(r.stdout, "");
    // Generous: a Deno process with openid-client loaded is about 100 MB; before the fix, 1.2 GB.
    if (r.peakKb !== undefined) assert(r.peakKb < 400_000, `peak RSS ${r.peakKb} KB`);
  });
  await t.step("defect 2: discovery and JWKS answers are capped too", async () => {
    assertCleanError(await runs.discoveryWhitespace, 4, /larger than 1 MiB/);
    assertCleanError(await runs.endlessJwks, 4, /\/endless-jwks\/jwks is larger than 1 MiB/);
  });

  await t.step("defect 4: expires_in 1e300 is clamped to a year, with a -v note", async () => {
    const r = await runs.hugeExpiry;
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), "hostile-huge-expiry");
    assertMatch(r.stderr, /expires_in \(1e\+300 s\) is more than a year; lmi uses one year/);
    const status = await run(box, ["auth", "status", "-e", "t-huge-expiry", "--json"]);
    const expiresAt = Date.parse(JSON.parse(status.stdout).envs[0].token.expires_at);
    assert(expiresAt - Date.now() <= 366 * 24 * 3600 * 1000, `expires_at ${expiresAt}`);
  });

  await t.step("defect 5: CR/LF in access_token: refused, exit 4, nothing printed", async () => {
    const r = await runs.crlf;
    assertCleanError(r, 4, /access_token contains characters a Bearer token may not have/);
    assertEquals(r.stdout, "");
    assertNotIncludes(r.stderr, "X-Evil");
  });

  await t.step("defect 6: a 20,000-character error_description with escapes", async () => {
    const r = await runs.longDescription;
    assertEquals(r.code, 4, r.stderr.slice(0, 500));
    assertNoControls(r.stderr);
    assertNotIncludes(r.stderr, "pwned-title\x07");
    const error = r.stderr.split("\n").find((l) => l.startsWith("lmi: error:"))!;
    // The automatic client authentication tried two methods: both answers are quoted, each capped.
    assertMatch(error, /HTTP 400 invalid_client: RED click A{190,200}…\)/);
    assert(!/A{201}/.test(error), "at most 200 characters of the description");
    // -vv shows each body: capped to the snippet size (2 KB), still without escapes.
    const longest = Math.max(...r.stderr.split("\n").map((l) => l.length));
    assert(longest < 2_200, `a stderr line of ${longest} characters`);
  });

  await t.step("bad answers that already failed cleanly still do (exit 4)", async () => {
    assertCleanError(await runs.html, 4, /HTTP 200/);
    assertCleanError(await runs.empty, 4, /HTTP 200/);
    assertCleanError(await runs.array, 4, /HTTP 200/);
    assertCleanError(await runs.null, 4, /HTTP 200/);
    assertCleanError(await runs.missing, 4, /access_token/);
    assertCleanError(await runs.redirectAway, 4, /refusing the redirect .* another origin/);
  });

  await t.step("defect 1: lmi request: a streamed body that stalls ends with exit 5", async () => {
    const r = await runs.apiStall;
    assertCleanError(r, 5, /timed out after 2s \(no data\)/);
    assertEquals(r.stdout, "partial ");
  });
  await t.step(
    "defect 1: lmi request: a body read whole must come within the timeout",
    async () => {
      assertCleanError(await runs.apiDripJson, 5, /timed out after 2s \(not all of it\)/);
      assertCleanError(await runs.apiDripError, 5, /timed out after 2s/);
      assertCleanError(await runs.apiEndlessError, 5, /timed out after 2s/);
    },
  );
  await t.step("defect 3: lmi request: a body that breaks off is exit 5", async () => {
    assertCleanError(await runs.apiEarlyClose, 5, /the API stopped sending/);
  });
  await t.step("defect 6: an API error body on stderr: capped, no escapes", async () => {
    const r = await runs.apiEscapes;
    assertCleanError(
      r,
      1,
      /^lmi: error: HTTP 500 Internal Server Error from GET .*: RED click A+…$/,
    );
    assertNoControls(r.stderr);
    assert(r.stdout.includes("\x1b]0;pwned-title"), "stdout is data: the body as it came");
  });
});
