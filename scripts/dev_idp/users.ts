/**
 * The development user `alice` (a fixed password, not a secret: this IdP only ever runs on
 * loopback): password check and the account oidc-provider asks for.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { DevIdp, DevIdpUser } from "./types.ts";

const ALICE: DevIdpUser = {
  username: "alice",
  password: "alice-dev-password-4e7a19",
  sub: "user-alice-0001",
  email: "alice@example.com",
  name: "Alice Example",
};

/** The users as `DevIdp.users` (copies). */
export function devIdpUsers(): DevIdp["users"] {
  return { alice: { ...ALICE } };
}

/**
 * The user with this username and password, if any. The password is compared even for an
 * unknown user, so that both failures take the same time.
 */
export function authenticate(username: string, password: string): DevIdpUser | undefined {
  const user = username === ALICE.username ? ALICE : undefined;
  const passwordOk = sameSecret(password, user?.password ?? ALICE.password);
  return user && passwordOk ? user : undefined;
}

/** oidc-provider's `findAccount`: the account of `sub` and its claims. */
export function findAccount(_ctx: unknown, sub: string) {
  const user = sub === ALICE.sub ? ALICE : undefined;
  return Promise.resolve(user ? account(user) : undefined);
}

function account(user: DevIdpUser) {
  return {
    accountId: user.sub,
    claims: () =>
      Promise.resolve({
        sub: user.sub,
        name: user.name,
        email: user.email,
        email_verified: true,
        preferred_username: user.username,
      }),
  };
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
