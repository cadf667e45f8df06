-- One circuit per provider, shared by every instance (CONTRACT.md section 8, ProviderHealth).
CREATE TABLE provider_health (
  provider             text PRIMARY KEY,
  state                text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
  consecutive_failures integer NOT NULL DEFAULT 0,
  opened_at            timestamptz,
  probe_at             timestamptz,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
