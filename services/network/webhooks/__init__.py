"""Webhooks to members' systems, per the Standard Webhooks specification: endpoints with a
secret shown once, deliveries fanned out from the outbox's events, signed attempts with
exponential backoff and jitter, a kept log of every attempt, replays, and refusal of
private targets (checked when the target is resolved, at every attempt)."""
