/**
 * Values larger than a keychain's limit are split: the account holds `lmi-chunks:N` and the
 * parts live under `account#1` … `account#N`. Nothing is truncated.
 *
 * @module
 */
import type { SecretStore } from "./store.ts";

const MANIFEST = /^lmi-chunks:(\d+)$/;

function split(value: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let current = "";
  let size = 0;
  for (const ch of value) {
    const n = new TextEncoder().encode(ch).length;
    if (size + n > maxBytes) {
      parts.push(current);
      current = "";
      size = 0;
    }
    current += ch;
    size += n;
  }
  parts.push(current);
  return parts;
}

export function chunked(store: SecretStore, maxBytes: number): SecretStore {
  const partCount = async (account: string) => {
    const head = await store.get(account);
    const m = head === undefined ? null : MANIFEST.exec(head);
    return m ? Number(m[1]) : 0;
  };
  return {
    name: store.name,
    label: store.label,
    kind: store.kind,
    async get(account) {
      const head = await store.get(account);
      if (head === undefined) return undefined;
      const m = MANIFEST.exec(head);
      if (!m) return head;
      const parts: string[] = [];
      for (let i = 1; i <= Number(m[1]); i++) {
        const part = await store.get(`${account}#${i}`);
        if (part === undefined) return undefined; // half-written: treated as no value
        parts.push(part);
      }
      return parts.join("");
    },
    async set(account, value) {
      const old = await partCount(account);
      const bytes = new TextEncoder().encode(value).length;
      if (bytes <= maxBytes && !MANIFEST.test(value)) {
        await store.set(account, value);
      } else {
        const parts = split(value, maxBytes);
        for (let i = 0; i < parts.length; i++) await store.set(`${account}#${i + 1}`, parts[i]!);
        await store.set(account, `lmi-chunks:${parts.length}`);
        for (let i = parts.length + 1; i <= old; i++) await store.delete(`${account}#${i}`);
        return;
      }
      for (let i = 1; i <= old; i++) await store.delete(`${account}#${i}`);
    },
    async delete(account) {
      const old = await partCount(account);
      for (let i = 1; i <= old; i++) await store.delete(`${account}#${i}`);
      return await store.delete(account);
    },
  };
}
