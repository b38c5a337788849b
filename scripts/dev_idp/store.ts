/**
 * Storage: one in-memory store per IdP, behind oidc-provider's adapter interface (one adapter
 * per model, all sharing the store).
 *
 * @module
 */

type Payload = Record<string, unknown>;

interface StoredEntry {
  payload: Payload;
  expiresAt: number | undefined;
}

interface Store {
  entries: Map<string, StoredEntry>;
  /** Session uid → session id. */
  uids: Map<string, string>;
  /** Device flow user code → device code id. */
  userCodes: Map<string, string>;
  writes: number;
}

/** oidc-provider's adapter interface, as far as this store implements it. */
export interface Adapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** A new empty store, and the function that gives oidc-provider an adapter for each model. */
export function memoryAdapter(): (model: string) => Adapter {
  const store: Store = { entries: new Map(), uids: new Map(), userCodes: new Map(), writes: 0 };
  return (model) => modelAdapter(store, model);
}

/** Every 500th write drops the expired entries. */
function sweep(store: Store): void {
  if (++store.writes % 500 !== 0) return;
  const now = Date.now();
  for (const [key, entry] of store.entries) {
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) store.entries.delete(key);
  }
}

function modelAdapter(store: Store, model: string): Adapter {
  const key = (id: string) => `${model}:${id}`;

  const find = (id: string): Promise<Payload | undefined> => {
    const entry = store.entries.get(key(id));
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      store.entries.delete(key(id));
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry?.payload);
  };

  return {
    upsert(id, payload, expiresIn) {
      sweep(store);
      const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined;
      store.entries.set(key(id), { payload: { ...payload }, expiresAt });
      if (model === "Session" && typeof payload.uid === "string") store.uids.set(payload.uid, id);
      if (typeof payload.userCode === "string") store.userCodes.set(payload.userCode, id);
      return Promise.resolve();
    },

    find,

    findByUid(uid) {
      const id = store.uids.get(uid);
      return id === undefined ? Promise.resolve(undefined) : find(id);
    },

    findByUserCode(userCode) {
      const id = store.userCodes.get(userCode);
      return id === undefined ? Promise.resolve(undefined) : find(id);
    },

    consume(id) {
      const entry = store.entries.get(key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    },

    destroy(id) {
      store.entries.delete(key(id));
      return Promise.resolve();
    },

    revokeByGrantId(grantId) {
      const prefix = `${model}:`;
      for (const [k, entry] of store.entries) {
        if (k.startsWith(prefix) && entry.payload.grantId === grantId) store.entries.delete(k);
      }
      return Promise.resolve();
    },
  };
}
