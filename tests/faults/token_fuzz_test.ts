/**
 * Property-based fuzz of token responses (issue 9): random answers from a token endpoint (status,
 * content type, and a body that is JSON with fields of every type, odd token strings, absurd
 * lifetimes, or raw bytes) go through the whole service-token flow in process (request, response
 * checks, verification, expiry, cache write). Each either gives a token lmi can print, or fails
 * with an LmiError whose message and hint are one printable line each; nothing else is thrown.
 */
import { join } from "node:path";
import { fc } from "../../scripts/deps.ts";
import { assert } from "../helpers/assert.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { getServiceToken } from "../../src/tokens/service.ts";
import { LmiError } from "../../src/errors.ts";

const SEED = 20_261_201;
const RUNS = 1500;

const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "a b", "x\r\nX-Evil: 1", "\u0000", "\u001b[31mred", "eyJ.eyJ.", "null"),
);
const token = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~+/-]{8,64}=*$/) },
  { weight: 1, arbitrary: oddString },
);
const anyJson = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const lifetime = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, 1e300, Number.MAX_SAFE_INTEGER, 3.5) },
  { weight: 1, arbitrary: anyJson },
);
/** Mostly `usual`, sometimes anything. */
const mostly = <T>(usual: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 8, arbitrary: usual }, { weight: 1, arbitrary: anyJson });
const tokenBody = fc.record({
  access_token: fc.oneof({ weight: 5, arbitrary: token }, { weight: 1, arbitrary: anyJson }),
  token_type: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom("Bearer", "bearer", "DPoP", "N_A") },
    { weight: 1, arbitrary: oddString },
  ),
  expires_in: lifetime,
  refresh_token: mostly(token),
  scope: mostly(fc.string({ maxLength: 20 })),
}, { requiredKeys: ["access_token", "token_type"] });
const errorBody = fc.record({
  error: fc.oneof(fc.constantFrom("invalid_client", "invalid_grant"), oddString),
  error_description: oddString,
}, { requiredKeys: [] });

const answer = fc.record({
  status: fc.oneof(
    { weight: 6, arbitrary: fc.constant(200) },
    { weight: 1, arbitrary: fc.constantFrom(201, 204, 302, 400, 401, 403, 429, 500, 503) },
  ),
  contentType: fc.constantFrom("application/json", "text/html", "", "application/json; charset=x"),
  body: fc.oneof(
    { weight: 8, arbitrary: tokenBody.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: errorBody.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "[]", "null", "{", "<html>oops</html>") },
  ),
});

/** Printable ASCII without spaces (what may go in an Authorization header). */
function visibleAscii(text: string): boolean {
  return text.length > 0 &&
    [...text].every((c) => c.charCodeAt(0) > 0x20 && c.charCodeAt(0) < 0x7f);
}

/** Whether `text` holds a C0/C1 control character (a line break among them). */
function hasControl(text: string): boolean {
  return [...text].some((c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 || (n >= 0x7f && n <= 0x9f);
  });
}

const TOML = `[envs.dev.auth]
type = "client_credentials"
token_url = "https://idp.example/token"
client_id = "svc"
`;

Deno.test("fuzz: any token endpoint answer gives a token or a clean LmiError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await parseConfigText(TOML, join(dir, "lmi.toml"));
    const config = { path: join(dir, "lmi.toml"), dotenvDirs: [dir], file };
    let tokens = 0;
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        const deps = fakeDeps({
          cwd: dir,
          env: { LMI_CACHE_DIR: dir, LMI_DEV_CLIENT_SECRET: "sek" },
          fetch: () =>
            Promise.resolve(
              new Response(a.status === 204 ? null : a.body, {
                status: a.status,
                headers: a.contentType ? { "content-type": a.contentType } : {},
              }),
            ),
        });
        const env = resolveNamedEnv(deps, config, "dev");
        try {
          const outcome = await getServiceToken(env, { deps, log: testLogger(deps) }, {
            force: true,
          });
          const t = outcome.token.accessToken;
          assert(visibleAscii(t), `printable token: ${JSON.stringify(t)}`);
          assert(visibleAscii(outcome.token.tokenType), "printable token type");
          assert(
            outcome.token.expiresAt === undefined || Number.isFinite(outcome.token.expiresAt),
            "a finite expiry",
          );
          tokens++;
        } catch (err) {
          if (!(err instanceof LmiError)) {
            throw new Error(`not an LmiError for ${JSON.stringify(a)}: ${err}`, { cause: err });
          }
          for (const text of [err.message, err.hint ?? "x"]) {
            assert(text.length > 0 && !hasControl(text), `one line: ${JSON.stringify(text)}`);
          }
          errors++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert(tokens > RUNS / 10 && errors > RUNS / 10, `both outcomes seen: ${tokens}/${errors}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
