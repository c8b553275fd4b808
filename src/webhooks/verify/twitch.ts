import { hmacHeaderScheme, providerConfig } from './generic-hmac.js'

/**
 * Twitch EventSub over webhooks: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256
 * of id + timestamp + body>`, with no separators, where the id and the timestamp are the
 * `Twitch-Eventsub-Message-Id` and `-Timestamp` headers as sent (RFC 3339, to the nanosecond);
 * keyed with the subscription's secret. Twitch tells receivers to refuse messages older than
 * 10 minutes, so that is the default tolerance here. The message id is the key to dedupe on.
 */
export const twitch = hmacHeaderScheme(
  'twitch',
  providerConfig({
    algorithm: 'sha256',
    encoding: 'hex',
    header: 'Twitch-Eventsub-Message-Signature',
    prefix: 'sha256=',
    signedContent: '{id}{timestamp}{body}',
    timestampHeader: 'Twitch-Eventsub-Message-Timestamp',
    timestampFormat: 'rfc3339',
    idHeader: 'Twitch-Eventsub-Message-Id',
    toleranceMs: 600_000,
  }),
)
