/**
 * What `lmi logout` and `lmi logout sso` say about revocation at the IdP (RFC 7009). Whatever
 * stays valid at the IdP is said at normal verbosity, since deleting a token here does not end
 * it there; what was revoked is said at -v. Nothing is called revoked that was not.
 *
 * @module
 */
import type { Revocation } from "../tokens/revoke.ts";
import type { Logger } from "../ui/log.ts";

/**
 * Tell the user what the IdP did with the tokens of `whose` (`env "dev"'s`, `the session's`).
 * `noEndpoint` says why there was no revocation endpoint (`it offers no revocation endpoint`).
 */
export function sayRevocation(
  log: Logger,
  whose: string,
  outcome: Revocation,
  noEndpoint: string,
): void {
  switch (outcome.kind) {
    case "nothing":
      return;
    case "not-offered":
      log.say(`${whose} tokens stay valid at the IdP until they expire: ${noEndpoint}`);
      return;
    case "revoked":
      if (outcome.access) log.info(`revoked ${whose} tokens at the IdP`);
      else {
        if (outcome.refresh) log.info(`revoked ${whose} refresh token at the IdP`);
        log.say(
          `${whose} access token stays valid at the IdP until it expires: the IdP cannot revoke it`,
        );
      }
  }
}
