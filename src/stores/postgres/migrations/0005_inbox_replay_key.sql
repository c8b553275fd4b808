-- A second key an event is a duplicate by, where its provider does not sign the event id
-- (GitHub's delivery id): a digest of the signed body, unique per source while it is kept.
-- A conflict on it, like one on the event id, makes the insert store nothing.

ALTER TABLE seamline_inbox ADD COLUMN replay_key text;

CREATE UNIQUE INDEX seamline_inbox_replay_key
  ON seamline_inbox (source, replay_key) WHERE replay_key IS NOT NULL;
