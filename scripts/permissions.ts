/**
 * Prints the lmi program's permission flags (from deno.json's "lmi" permission set).
 *
 * @module
 */
import { permissionFlags } from "../src/permissions.ts";

export { permissionFlags };

if (import.meta.main) console.log(permissionFlags().join(" "));
