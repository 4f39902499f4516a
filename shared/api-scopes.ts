/**
 * What an API token may do (issue 16). Plain values, no zod: the token page's client form imports
 * them. Every scope is checked by the REST procedure and the creator must still be an Interim
 * admin at every use (tokens are an admin's tool), so no scope widens what its creator may do.
 */
export const API_SCOPES = [
  "requests:read",
  "requests:write",
  "grants:read",
  "grants:write",
  "approvals:read",
  "privileges:read",
  "access-groups:read",
  "audit:read",
] as const;

export type ApiScope = (typeof API_SCOPES)[number];

export const API_SCOPE_LABELS: Record<ApiScope, string> = {
  "requests:read": "Read the creator's requests",
  "requests:write": "Submit and cancel the creator's requests",
  "grants:read": "List live grants",
  "grants:write": "End or revoke grants",
  "approvals:read": "List requests waiting for the creator's approval",
  "privileges:read": "Read published privileges",
  "access-groups:read": "Read access groups",
  "audit:read": "Export the audit trail",
};

/** Expiry choices offered by the form (days); the server bounds any value by INTERIM_API_TOKEN_MAX_DAYS. */
export const API_TOKEN_EXPIRY_DAYS = [7, 30, 90, 180, 365] as const;

export const API_TOKEN_NAME_MAX = 80;
