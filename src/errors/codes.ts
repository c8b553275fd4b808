/**
 * Every error code Seamline can raise, with the one-line meaning shown in `docs/errors.md`.
 * Codes are stable: once published a code keeps its meaning and is never reused for another.
 */
export const errorCodes = {
  SEAM_ERR_INVALID_ARGUMENT:
    'A function was called with a value it cannot accept; the message names the parameter and the value.',
  SEAM_ERR_WEBHOOK_SIGNATURE_MISSING:
    'A webhook arrived without a header its signature scheme requires; it was rejected unverified.',
  SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED:
    'A webhook signature header (or its id or timestamp) is not in the format its scheme defines; it was rejected unverified.',
  SEAM_ERR_WEBHOOK_SIGNATURE_INVALID:
    'No signature on a webhook matches its raw body under any of the configured secrets; it was rejected as forged or altered.',
  SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE:
    "A correctly signed webhook's timestamp is further from the clock's time than the tolerance allows, in either direction; it was rejected as a possible replay.",
  SEAM_ERR_TIMEOUT:
    'An operation ran past its time limit (an attempt timeout or the overall deadline) and was abandoned; the message names which.',
  SEAM_ERR_RETRIES_EXHAUSTED:
    'A retried operation failed on every attempt it was allowed (attempts, deadline or retry budget); `attempts` holds the history and `cause` the last error.',
  SEAM_ERR_RATE_LIMITED:
    'The provider asked to wait longer than the time left before the deadline; `retryAfterMs` says how long, so a durable job can be rescheduled instead.',
  SEAM_ERR_CIRCUIT_OPEN:
    'A circuit breaker is open after repeated failures, so the call was refused without being sent.',
  SEAM_ERR_BULKHEAD_FULL:
    "A bulkhead's concurrent slots and queue were all taken, so the call was refused.",
  SEAM_ERR_HTTP_STATUS:
    'A call got an error status (4xx or 5xx) it could not or should not retry; `status`, `body` and `attempts` tell what happened.',
  SEAM_ERR_NETWORK:
    'A call failed without a response (connection refused, reset, DNS…) on its last attempt; `attempts` holds the history and `cause` the network error.',
  SEAM_ERR_MALFORMED_RESPONSE:
    'A successful response said it was JSON but its body did not parse; it is retried when the call is safe to repeat.',
  SEAM_ERR_JOB_CONFLICT:
    'A job was enqueued with a key that a pending or running job of the same name holds (under `unique: "reject"`, or `"replace"` while that job runs); nothing of the enqueue was written.',
  SEAM_ERR_JOB_NOT_FOUND:
    'No job has the id given, or the job is not in the state the operation needs (a replay or discard needs a dead letter).',
  SEAM_ERR_JOB_LEASE_LOST:
    "A job's lease expired and passed to another worker before this one settled it; the settlement was refused (inside a caller's transaction: roll it back) and the other worker runs the job.",
  SEAM_ERR_STORE_MIGRATION:
    'The database cannot be brought to the schema this version needs: a migration failed (and was rolled back), or a newer version of Seamline already migrated it further.',
  SEAM_ERR_STORE_TRANSACTION:
    "A caller's transaction handle was not one the store can write through (the wrong driver, or no transaction open on it).",
  SEAM_ERR_CREDENTIAL_MISSING:
    'A credential the schema requires is set in none of the sources; the message names the variable and the sources asked.',
  SEAM_ERR_CREDENTIAL_MISPLACED:
    'Refused to start: a live key under a non-production profile, or a test key under production; the message names the variable and its `sk_live_`-style marker, never the value.',
  SEAM_ERR_CREDENTIAL_MALFORMED:
    "A credential does not have the format of its declared kind, or has another kind's (a publishable key where a secret key belongs); the message names the variable, never the value.",
  SEAM_ERR_CREDENTIAL_SOURCE:
    'A credential source cannot be used: a `.env` file under production, a variable and its `_FILE` both set, an unreadable file or a failing secret manager; it names no value.',
  SEAM_ERR_ENCRYPTION_KEY_INVALID:
    'An encryption key setting is malformed (an entry without an id, an id used twice, a key not base64 of 32 bytes, a variable and its `_FILE` both set); it names the setting, never the key.',
  SEAM_ERR_ENCRYPTION_REQUIRED:
    'Refused to start: no encryption key is configured (under production, or elsewhere without `dangerouslyAllowPlaintext`), or plaintext storage was asked for under production.',
  SEAM_ERR_ENCRYPTION_KEY_UNKNOWN:
    'A sealed value names a key id the keyring does not hold (the key was removed before every value was resealed); the message names the id and the row.',
  SEAM_ERR_DECRYPT_FAILED:
    'A sealed value did not authenticate: it was altered, copied from another row (its associated data differs) or sealed under another key of that id; no plaintext was returned.',
  SEAM_ERR_SEALED_VALUE_MALFORMED:
    'A stored value is not in a sealed format Seamline reads (`v1.<keyId>.<nonce>.<ciphertext>`, or `plain.<data>` where plaintext is accepted); it names the row, never the value.',
  SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND:
    'No OAuth connection is stored for the provider and connection id given; authorize it first (the message names both).',
  SEAM_ERR_OAUTH_REAUTH_REQUIRED:
    "An OAuth connection's grant is gone (the token endpoint answered `invalid_grant` and no other process had rotated the token): the user must authorize again; calls fail fast until then.",
  SEAM_ERR_OAUTH_REFRESH_FAILED:
    'A token refresh failed for a reason that may pass (network, 5xx, 429, a misconfigured client) and no valid access token is left; the connection is `degraded`, not dead, and is retried after `retryAt`.',
  SEAM_ERR_OAUTH_REFRESH_TIMEOUT:
    "Waited longer than allowed for another process's refresh of the same connection, and no fresh access token appeared.",
  SEAM_ERR_OAUTH_STATE_INVALID:
    'An authorization response came back with a `state` that is missing, altered, signed with another secret or expired; the code was not exchanged.',
  SEAM_ERR_OAUTH_AUTHORIZATION_DENIED:
    'An authorization came back with an `error` instead of a code (the user declined, or the provider refused the request); no connection was made, and the message names the error.',
  SEAM_ERR_OAUTH_TOKEN_REQUEST:
    'A token endpoint refused an authorization-code or client-credentials request, or answered with something that is not a token response; the message names the endpoint and the OAuth error.',
  SEAM_ERR_CONFIG_INVALID:
    'A configuration does not validate; the message names every offending key path (`webhooks.sources.stripe.secrets[0]: expected a non-empty string`).',
  SEAM_ERR_CONFIG_LOAD:
    'A configuration file cannot be used: it does not exist, cannot be read, does not parse as JSON or YAML, or its module failed to import.',
  SEAM_ERR_WEBHOOK_DELIVERY_FAILED:
    'The gateway forwarded a webhook to its destination and got no 2xx answer (an error status, a timeout or a network failure); the delivery is retried, and a 410 Gone stops it.',
  SEAM_ERR_RECONCILE_UNSORTED:
    'A reconciliation source said it gives records in key order but gave a key lower than the one before; the message names the source and both keys. Drop `ordered`, or sort the source (`ORDER BY` with a binary collation).',
  SEAM_ERR_RECONCILE_DUPLICATE_KEY:
    'A reconciliation source gave two records with the same key, so neither can be paired; the message names the source and the key.',
  SEAM_ERR_RECONCILE_RECORD:
    'A reconciliation source gave a record that cannot be compared: its key is missing or not of the key type, or a field cannot be read under its rule; the message names the side, the key and the field.',
  SEAM_ERR_RECONCILE_SOURCE:
    'A reconciliation source could not be read: a file is unreadable or malformed (a CSV quote left open, a line that is not JSON), or its query or list call failed; `cause` holds the underlying error.',
  SEAM_ERR_RECONCILE_NOT_FOUND:
    'No reconciler or report has the name or id given; the message lists the names known.',
} as const satisfies Record<`SEAM_ERR_${string}`, string>

export type ErrorCode = keyof typeof errorCodes
