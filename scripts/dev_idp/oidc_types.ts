/**
 * The small part of oidc-provider's API the development IdP uses, typed here: the package ships
 * no TypeScript types, so its exports are untyped (oidc_provider.ts).
 *
 * @module
 */
import type * as http from "node:http";
import { oidcErrors } from "./oidc_provider.ts";

type Params = Record<string, string | undefined>;

export interface OidcClient {
  clientId: string;
  clientName?: string;
  scope?: string;
  grantTypeAllowed(grantType: string): boolean;
}

export interface OidcContext {
  client: OidcClient;
  params: Params;
  body?: Record<string, unknown>;
  entity(name: string, value: unknown): void;
  /** The absolute URL of a route ("token", …). */
  urlFor(route: string): string;
}

export interface KoaContext {
  method: string;
  path: string;
  /** The Host header's host and port. */
  host: string;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** Koa's request and response, which read the node request from here. */
  request: { req: http.IncomingMessage };
  response: { req: http.IncomingMessage };
  status: number;
  body: unknown;
  type: string;
  oidc?: OidcContext;
  set(field: string, value: string): void;
  /** A request header ("" when absent). */
  get(field: string): string;
  redirect(url: string): void;
}

export type Next = () => Promise<void>;

export interface ResourceServerInfo {
  scope: string;
  audience?: string;
  accessTokenFormat: "jwt" | "opaque";
  accessTokenTTL: number;
  jwt?: { sign: { alg: string } };
}

interface ResourceServerModel {
  scopes: Set<string>;
}

export interface TokenModel {
  scope?: string;
  /** The DPoP key thumbprint the token is bound to (cnf.jkt). */
  jkt?: string;
  expiration: number;
  tokenType: string;
  resourceServer?: ResourceServerModel & { accessTokenTTL?: number };
  save(): Promise<string>;
}

interface GrantModel {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

export interface InteractionDetails {
  uid: string;
  grantId?: string;
  params: Params;
  session?: { accountId?: string };
  prompt: {
    name: string;
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  };
}

export interface OidcProvider {
  ResourceServer: new (identifier: string, info: ResourceServerInfo) => ResourceServerModel;
  Grant: {
    new (init: { accountId: string; clientId: string }): GrantModel;
    find(id: string): Promise<GrantModel | undefined>;
  };
  AccessToken: new (init: Record<string, unknown>) => TokenModel;
  RefreshToken: new (init: Record<string, unknown>) => TokenModel;
  ReplayDetection: { unique(iss: string, jti: string, exp: number): Promise<boolean> };
  Client: { find(id: string): Promise<{ clientName?: string } | undefined> };
  use(middleware: (ctx: KoaContext, next: Next) => Promise<void>): void;
  registerGrantType(
    name: string,
    handler: (ctx: KoaContext & { oidc: OidcContext }) => Promise<void>,
    params: string[],
  ): void;
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<InteractionDetails>;
  interactionResult(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<string>;
}

interface OidcError extends Error {
  error_description?: string;
}

interface OidcErrors {
  InvalidDpopProof: new (description: string) => OidcError;
  InvalidGrant: new () => OidcError;
  InvalidRequest: new (description: string) => OidcError;
  InvalidTarget: new (description?: string) => OidcError;
  UnauthorizedClient: new (description: string) => OidcError;
}

export const errors = oidcErrors as OidcErrors;
