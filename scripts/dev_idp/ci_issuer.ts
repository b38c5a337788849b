/**
 * A test "CI issuer" for workload identity: its own key pair (trusted by the dev IdP), JWTs it
 * mints as a CI system or a cluster would, and a GitHub Actions-style OIDC token endpoint on
 * loopback (`GET …?audience=A` with `Authorization: Bearer <request token>`, answering
 * `{"value": "<JWT>"}`) that records what it was asked.
 *
 * @module
 */
import { jose } from "../deps.ts";
import { SIGNING_ALG } from "./keys.ts";
import type { DevIdp, GithubTokenRequest } from "./types.ts";

/** The subject of the CI tokens the dev IdP trusts, as GitHub Actions writes it. */
export const CI_SUBJECT = "repo:lmi-dev/app:ref:refs/heads/main";
/** The audience of GitHub's tokens when the request names none (the owner's URL). */
const DEFAULT_AUDIENCE = "https://github.com/lmi-dev";
/** The request token the endpoint expects (not a secret: loopback only). */
const REQUEST_TOKEN = "dev-gh-request-token-3e8b1f6a92c4d750";

export interface CiIssuerHandle {
  /** What tests see as `DevIdp.ci`. */
  controls: DevIdp["ci"];
  /** Verifies a JWT of this issuer for one of `audiences`; throws when it does not verify. */
  verify(token: string, audiences: string[]): Promise<jose.JWTPayload>;
  close(): Promise<void>;
}

/** Starts the CI issuer's GitHub-style endpoint on loopback `port` (0: a free one). */
export async function startCiIssuer(port = 0): Promise<CiIssuerHandle> {
  const { publicKey, privateKey } = await jose.generateKeyPair(SIGNING_ALG);
  const requests: GithubTokenRequest[] = [];
  let fault: { status: number; remaining: number } | null = null;
  const listening = Promise.withResolvers<number>();
  let issuer = "";

  const mint: DevIdp["ci"]["mint"] = (options = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ repository: "lmi-dev/app", ...options.claims })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: "JWT" })
      .setIssuer(issuer)
      .setSubject(options.sub ?? CI_SUBJECT)
      .setAudience(options.aud ?? DEFAULT_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + (options.ttlSeconds ?? 300))
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => listening.resolve(port),
  }, async (req) => {
    const url = new URL(req.url);
    const authorization = req.headers.get("authorization");
    const audience = url.searchParams.get("audience");
    const record: GithubTokenRequest = {
      method: req.method,
      path: url.pathname,
      bearerOk: authorization === `Bearer ${REQUEST_TOKEN}`,
      ...(audience !== null ? { audience } : {}),
    };
    requests.push(record);
    if (fault && fault.remaining > 0) {
      const { status } = fault;
      if (--fault.remaining <= 0) fault = null;
      return Response.json({ message: "injected failure" }, { status });
    }
    if (req.method !== "GET" || url.pathname !== "/token") {
      return Response.json({ message: "Not Found" }, { status: 404 });
    }
    if (!record.bearerOk) {
      return Response.json({ message: "Bad credentials" }, { status: 401 });
    }
    return Response.json({ count: 1, value: await mint({ aud: audience ?? DEFAULT_AUDIENCE }) });
  });
  issuer = `http://127.0.0.1:${await listening.promise}`;

  return {
    controls: {
      issuer,
      mint,
      github: {
        requestUrl: `${issuer}/token?api-version=2.0`,
        requestToken: REQUEST_TOKEN,
        requests,
        fail(status, times = 1) {
          fault = { status, remaining: times };
        },
        reset() {
          requests.length = 0;
          fault = null;
        },
      },
    },
    async verify(token, audiences) {
      return (await jose.jwtVerify(token, publicKey, {
        issuer,
        audience: audiences,
        algorithms: [SIGNING_ALG],
      })).payload;
    },
    close: () => server.shutdown(),
  };
}
