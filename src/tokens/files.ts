/**
 * One env's files in the token cache folder. The rule for reading and writing lmi's files
 * (private folder, 0600 files written whole, others' files refused) is in
 * src/util/private_files.ts, re-exported here for the token modules.
 *
 * @module
 */
import { join } from "../util/path.ts";

export * from "../util/private_files.ts";

/** Paths of one env's cache entry, its lock and its issuer's JWKS. */
export interface EnvFiles {
  dir: string;
  token: string;
  lock: string;
  jwks: string;
  /** The env's DPoP key pair (a private JWK), when `dpop = true`. */
  dpop: string;
}

export function envFiles(dir: string, env: string): EnvFiles {
  return {
    dir,
    token: join(dir, `${env}.json`),
    lock: join(dir, `${env}.lock`),
    jwks: join(dir, `${env}.jwks.json`),
    dpop: join(dir, `${env}.dpop.jwk`),
  };
}
