-- genorch schema, version 12: attempts, failover and re-runs (docs/API.md section 8).

-- Every submission sent to a provider, refused ones included, in the order sent (JSON array of
-- {attempt, provider, model, providerTaskId, status, error, startedAt, endedAt}). Kept on the generation row so the
-- state machine decides it with everything else in the same transition, and GenerationStore stays its only writer.
-- attempt is the number of the send (generations.submit_attempts when it was claimed), the same number
-- webhook_tokens.attempt holds for the callback URL handed out with it.
ALTER TABLE generations ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]';
-- A routed generation's candidate routes in routing order ([{provider, providerModel}]), for failover; NULL when the
-- client named the provider (then it never moves).
ALTER TABLE generations ADD COLUMN routes jsonb;

-- Generations sent before this version start without attempts: the state machine then takes a report as being about
-- the attempt they follow, and records it from there on. (Only GenerationStore writes generations, so no backfill.)

-- A token is bound to the provider it was handed to: after a failover the generation names another provider, and a
-- late callback of the earlier attempt still arrives under the first one's URL. NULL (tokens made before this
-- version): the generation's provider, which could not change then.
ALTER TABLE webhook_tokens ADD COLUMN provider text;
