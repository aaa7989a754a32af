// Schema migrations, applied in order; schema_version holds the last applied.
// Append new migrations; never edit one that has shipped.
// Times are integer milliseconds since the epoch; money is integer minor units.
export const MIGRATIONS: string[] = [
  // 1: the payment flow
  `
  CREATE TABLE sps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    webhook_url TEXT,
    key_hash BLOB NOT NULL UNIQUE,
    key_hint TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sp_id TEXT NOT NULL REFERENCES sps(id),
    token TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    pay_url TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    msisdn TEXT,
    imsi TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    associated_at INTEGER,
    completed_at INTEGER,
    idempotency_key TEXT,
    request_hash TEXT,
    UNIQUE (sp_id, idempotency_key)
  );
  CREATE INDEX orders_sp_seq ON orders(sp_id, seq);
  CREATE INDEX orders_sp_status ON orders(sp_id, status, seq);
  CREATE INDEX orders_sp_reference ON orders(sp_id, reference, seq);
  CREATE INDEX orders_pending_expiry ON orders(expires_at) WHERE status = 'pending';
  CREATE INDEX orders_msisdn ON orders(msisdn, associated_at) WHERE msisdn IS NOT NULL;
  CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    source_key TEXT NOT NULL UNIQUE,
    seen_at INTEGER NOT NULL,
    ts TEXT NOT NULL,
    packet INTEGER NOT NULL,
    token TEXT NOT NULL,
    carrier TEXT,
    via TEXT,
    msisdn TEXT,
    imsi TEXT,
    imei TEXT,
    apn TEXT,
    ue_ip TEXT,
    teid INTEGER,
    resolved_by TEXT,
    outcome TEXT NOT NULL,
    order_id TEXT
  );
  CREATE INDEX sightings_order ON sightings(order_id) WHERE order_id IS NOT NULL;
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sp_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    previous_status TEXT,
    time INTEGER NOT NULL,
    snapshot TEXT NOT NULL
  );
  CREATE INDEX events_sp_seq ON events(sp_id, seq);
  CREATE INDEX events_order ON events(order_id, seq);
  CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL REFERENCES events(seq),
    sp_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT
  );
  CREATE INDEX webhook_due ON webhook_outbox(next_attempt_at) WHERE state = 'pending';
  CREATE INDEX webhook_order ON webhook_outbox(order_id, id) WHERE state = 'pending';
  CREATE TABLE payment_outbox (
    order_id TEXT PRIMARY KEY REFERENCES orders(id),
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    started_at INTEGER,
    created_at INTEGER NOT NULL,
    last_error TEXT
  );
  CREATE INDEX payment_due ON payment_outbox(next_attempt_at) WHERE state = 'pending';
  CREATE TABLE ledger_accounts (
    msisdn TEXT PRIMARY KEY,
    balance INTEGER NOT NULL DEFAULT 0,
    currency TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    msisdn TEXT NOT NULL,
    amount INTEGER NOT NULL,
    kind TEXT NOT NULL,
    order_id TEXT UNIQUE,
    note TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX ledger_entries_msisdn ON ledger_entries(msisdn, id);
  `,
  // 2: the decode engine's tunnel table, checkpointed so that subscribers outlive a restart
  `
  CREATE TABLE engine_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    saved_at INTEGER NOT NULL,
    sessions INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  `,
  // 3: sightings that matched no order are deleted after a retention period (audit.retentionDays)
  `
  CREATE INDEX sightings_unlinked_seen ON sightings(seen_at) WHERE order_id IS NULL;
  `,
  // 4: rotation of an SP's API key and webhook secret, the previous ones valid for an overlap
  `
  ALTER TABLE sps ADD COLUMN prev_key_hash BLOB;
  ALTER TABLE sps ADD COLUMN prev_key_until INTEGER;
  ALTER TABLE sps ADD COLUMN prev_webhook_secret TEXT;
  ALTER TABLE sps ADD COLUMN prev_webhook_secret_until INTEGER;
  CREATE UNIQUE INDEX sps_prev_key ON sps(prev_key_hash) WHERE prev_key_hash IS NOT NULL;
  `,
  // 5: money never in doubt, tenants apart, opaque cursors
  `
  -- a key of this database for opaque cursors (the global sequence numbers stay inside)
  CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
  INSERT INTO meta (name, value) VALUES ('cursor_key', randomblob(16));

  -- ledger balances per currency; a balance that was credited without one is kept as XXX ("no currency"), never debited
  CREATE TABLE ledger_balances (
    msisdn TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (msisdn, currency)
  ) WITHOUT ROWID;
  INSERT INTO ledger_balances (msisdn, currency, balance, updated_at)
    SELECT msisdn, COALESCE(currency, 'XXX'), balance, updated_at FROM ledger_accounts;
  ALTER TABLE ledger_entries ADD COLUMN currency TEXT NOT NULL DEFAULT 'XXX';
  UPDATE ledger_entries SET currency = COALESCE((SELECT a.currency FROM ledger_accounts a WHERE a.msisdn = ledger_entries.msisdn), 'XXX');
  DROP TABLE ledger_accounts;

  -- payments: since when the outcome of an attempt is unknown (only a definite answer clears it);
  -- a leased row is not due until its lease ends (next_attempt_at = lease end), so "due" is one index range
  ALTER TABLE payment_outbox ADD COLUMN doubt_since INTEGER;
  ALTER TABLE payment_outbox ADD COLUMN doubt_error TEXT;
  CREATE INDEX payment_doubt ON payment_outbox(doubt_since) WHERE state = 'pending' AND doubt_since IS NOT NULL;
  UPDATE payment_outbox SET next_attempt_at = MAX(next_attempt_at, lease_until) WHERE state = 'pending' AND lease_until IS NOT NULL;

  -- webhooks: per SP, only the head of each order's queue (ready = 1) is due, found by one index seek per SP;
  -- the held-back rows behind it are never walked
  ALTER TABLE webhook_outbox ADD COLUMN ready INTEGER NOT NULL DEFAULT 0;
  UPDATE webhook_outbox SET ready = 1 WHERE state = 'pending'
    AND id = (SELECT MIN(p.id) FROM webhook_outbox p WHERE p.order_id = webhook_outbox.order_id AND p.state = 'pending');
  UPDATE webhook_outbox SET next_attempt_at = MAX(next_attempt_at, lease_until) WHERE state = 'pending' AND lease_until IS NOT NULL;
  DROP INDEX webhook_due;
  CREATE INDEX webhook_ready ON webhook_outbox(sp_id, next_attempt_at) WHERE state = 'pending' AND ready = 1;
  CREATE INDEX webhook_pending_age ON webhook_outbox(created_at) WHERE state = 'pending';
  CREATE TRIGGER webhook_outbox_head AFTER INSERT ON webhook_outbox
  BEGIN
    UPDATE webhook_outbox SET ready = 1 WHERE id = NEW.id AND NEW.state = 'pending'
      AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.order_id = NEW.order_id AND p.state = 'pending' AND p.id < NEW.id);
  END;
  CREATE TRIGGER webhook_outbox_next AFTER UPDATE OF state ON webhook_outbox
  WHEN OLD.state = 'pending' AND NEW.state != 'pending'
  BEGIN
    UPDATE webhook_outbox SET ready = 0 WHERE id = NEW.id;
    UPDATE webhook_outbox SET ready = 1
      WHERE id = (SELECT p.id FROM webhook_outbox p WHERE p.order_id = NEW.order_id AND p.state = 'pending' ORDER BY p.id LIMIT 1);
  END;
  `,
  // 6: consent. An order is identified (a subscriber's phone seen on its pay
  // page, or for a one-step SP its token seen) and charged only on
  // confirmation; the probe's ClientHello reports bind pay-page connections
  // to subscribers; evidence of every confirmation; per-SP confirmation mode
  // and return origins.
  `
  ALTER TABLE orders RENAME COLUMN associated_at TO identified_at;
  ALTER TABLE orders ADD COLUMN confirmed_at INTEGER;
  ALTER TABLE orders ADD COLUMN return_url TEXT;
  UPDATE orders SET status = 'identified', confirmed_at = identified_at WHERE status = 'associated';
  DROP INDEX orders_pending_expiry;
  CREATE INDEX orders_open_expiry ON orders(expires_at) WHERE status = 'pending' OR (status = 'identified' AND confirmed_at IS NULL);
  CREATE INDEX orders_msisdn_confirmed ON orders(msisdn, confirmed_at) WHERE confirmed_at IS NOT NULL;
  ALTER TABLE sps ADD COLUMN confirmation TEXT NOT NULL DEFAULT 'page' CHECK (confirmation IN ('page', 'none'));
  ALTER TABLE sps ADD COLUMN return_origins TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE tls_hellos (
    random TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL,
    ts TEXT NOT NULL,
    sni TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    imsi TEXT,
    ue_ip TEXT,
    teid INTEGER NOT NULL,
    gsn_src TEXT,
    gsn_dst TEXT
  ) WITHOUT ROWID;
  CREATE INDEX tls_hellos_seen ON tls_hellos(seen_at);
  CREATE TABLE identifications (
    order_id TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    imsi TEXT,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    page_digest TEXT,
    hello_ts TEXT,
    sni TEXT,
    ue_ip TEXT,
    teid INTEGER,
    gsn_src TEXT,
    gsn_dst TEXT,
    user_agent TEXT,
    PRIMARY KEY (order_id, msisdn)
  ) WITHOUT ROWID;
  CREATE TABLE confirmations (
    order_id TEXT PRIMARY KEY REFERENCES orders(id),
    mode TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    imsi TEXT,
    page_digest TEXT,
    identified_at INTEGER,
    page_view_at INTEGER,
    confirmed_at INTEGER NOT NULL,
    hello_ts TEXT,
    sni TEXT,
    ue_ip TEXT,
    teid INTEGER,
    gsn_src TEXT,
    gsn_dst TEXT,
    user_agent TEXT,
    sighting TEXT
  );
  -- the key of the pay page's anti-CSRF tokens (one per database: every pay front-end shares it)
  INSERT INTO meta (name, value) VALUES ('csrf_key', randomblob(32));
  `,
  // 7: CAMARA Carrier Billing. A held order (two-step: prepare -> the subscriber
  // validates on the pay page -> the SP confirms) is reserved when its
  // subscriber confirms and charged only when the SP confirms it (captured_at);
  // until then it is open (it expires, the SP may cancel it). requested_msisdn:
  // the number the SP named; another confirming number is declined.
  // camara_payments keeps what the CAMARA dialect echoes; sink_outbox the
  // CloudEvents for the payment's `sink`, written with the state change.
  `
  ALTER TABLE orders ADD COLUMN hold INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE orders ADD COLUMN captured_at INTEGER;
  ALTER TABLE orders ADD COLUMN requested_msisdn TEXT;
  DROP INDEX orders_open_expiry;
  CREATE INDEX orders_open_expiry ON orders(expires_at)
    WHERE status = 'pending' OR (status = 'identified' AND (confirmed_at IS NULL OR (hold = 1 AND captured_at IS NULL)));
  CREATE TABLE camara_payments (
    order_id TEXT PRIMARY KEY REFERENCES orders(id),
    sp_id TEXT NOT NULL,
    one_step INTEGER NOT NULL,
    client_correlator TEXT,
    request TEXT NOT NULL,
    merchant_identifier TEXT,
    sink TEXT,
    sink_token TEXT,
    last_status TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (sp_id, client_correlator)
  );
  CREATE INDEX camara_payments_sp ON camara_payments(sp_id, created_at);
  CREATE TABLE sink_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    sp_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    token TEXT,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    done_at INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX sink_outbox_due ON sink_outbox(next_attempt_at) WHERE done_at IS NULL;
  `,
  // 8: refunds. Each refund is an outbox row of its own, worked like a charge
  // (leased, retried under its id as idempotency key, in doubt when unknown);
  // orders.refunded_amount is what succeeded refunds gave back.
  `
  ALTER TABLE orders ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES orders(id),
    sp_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('total', 'partial')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reason TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure TEXT,
    idempotency_key TEXT,
    request_hash TEXT,
    camara TEXT,
    sink TEXT,
    sink_token TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    doubt_since INTEGER,
    last_error TEXT,
    UNIQUE (sp_id, idempotency_key)
  );
  CREATE INDEX refunds_due ON refunds(next_attempt_at) WHERE status = 'pending';
  CREATE INDEX refunds_order ON refunds(order_id, seq);
  `,
  // 9: CAMARA Number Verification. A grant is a one-time authorization code
  // (hashed) issued on a pay-listener connection bound to msisdn (null:
  // unbound); a token (hashed) is what the SP calls /verify with.
  `
  CREATE TABLE nv_grants (
    code_hash BLOB PRIMARY KEY,
    sp_id TEXT NOT NULL,
    msisdn TEXT,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE nv_tokens (
    token_hash BLOB PRIMARY KEY,
    sp_id TEXT NOT NULL,
    msisdn TEXT,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX nv_tokens_expiry ON nv_tokens(expires_at);
  `,
  // 10: a payment's or refund's sinkCredential (the bearer token its CAMARA
  // notifications carry) is sealed at rest like webhook secrets. The tokens
  // stored in clear are marked `plain:` (the daemon seals them at start) and
  // taken out of the stored requests.
  `
  UPDATE camara_payments SET request = json_remove(request, '$.sinkCredential.accessToken')
    WHERE json_extract(request, '$.sinkCredential.accessToken') IS NOT NULL;
  UPDATE camara_payments SET sink_token = 'plain:' || sink_token
    WHERE sink_token IS NOT NULL AND sink_token NOT LIKE 'aes256gcm:%' AND sink_token NOT LIKE 'plain:%';
  UPDATE refunds SET camara = json_remove(camara, '$.sinkCredential.accessToken')
    WHERE json_extract(camara, '$.sinkCredential.accessToken') IS NOT NULL;
  UPDATE refunds SET sink_token = 'plain:' || sink_token
    WHERE sink_token IS NOT NULL AND sink_token NOT LIKE 'aes256gcm:%' AND sink_token NOT LIKE 'plain:%';
  UPDATE sink_outbox SET token = 'plain:' || token
    WHERE token IS NOT NULL AND token NOT LIKE 'aes256gcm:%' AND token NOT LIKE 'plain:%';
  `,
  // 11: the sandbox. An SP marked test (sps.test) gets orders marked
  // sandbox: no sighting or pay-page visit finds them, they count in no
  // subscriber's limits, and the payment worker settles them without calling
  // the platform, as orders.sandbox says ('open' until simulated, then the
  // answer the simulated platform gives: 'paid' or 'declined').
  `
  ALTER TABLE sps ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE orders ADD COLUMN sandbox TEXT;
  `,
  // 12: the inner flow of a sighting (event contract 3): destination address,
  // transport, ports and its Community ID, to find the flow in Zeek, Suricata,
  // Arkime or Wireshark during a dispute. Null for sightings stored before.
  `
  ALTER TABLE sightings ADD COLUMN dst TEXT;
  ALTER TABLE sightings ADD COLUMN proto TEXT;
  ALTER TABLE sightings ADD COLUMN sport INTEGER;
  ALTER TABLE sightings ADD COLUMN dport INTEGER;
  ALTER TABLE sightings ADD COLUMN community_id TEXT;
  `,
];
