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

-- A generation that was sent before this version had one attempt worth showing: the one it follows.
UPDATE generations SET attempts = jsonb_build_array(jsonb_build_object(
    'attempt', greatest(submit_attempts, 1), 'provider', provider, 'model', model, 'providerTaskId', provider_task_id,
    'status', status, 'error', error, 'startedAt', submitted_at, 'endedAt', completed_at))
  WHERE status <> 'queued';

-- A token is bound to the provider it was handed to: after a failover the generation names another provider, and a
-- late callback of the earlier attempt still arrives under the first one's URL.
ALTER TABLE webhook_tokens ADD COLUMN provider text;
UPDATE webhook_tokens t SET provider = g.provider FROM generations g WHERE g.id = t.generation_id;
ALTER TABLE webhook_tokens ALTER COLUMN provider SET NOT NULL;
